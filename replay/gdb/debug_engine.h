#pragma once
// The debugger's engine over a VirtMachine: run, step and stop at breakpoints and watchpoints, and
// go backwards by checkpoint + exact re-execution. The machine is deterministic (icount is the only
// clock, a run cut at any icount resumes as if never cut), so "the state at icount T" is what
// restoring the latest checkpoint at or before T and running to T gives, always the same.
//
// Positions. Most stops are "at a count": the state run(T) leaves (stepping back lands there).
// A breakpoint stop is "at an offer": hart k about to run the breakpoint's instruction at T, which
// may be after a trap or interrupt entry that run(T) has not made yet (entry retires nothing); a
// landing there runs on from the count with the stop probe until that moment.
//
// Reverse operations (rr's ReplayTimeline, QEMU's replay): reverse-stepi goes to T-1 (with -smp,
// to just before the selected hart's last instruction); reverse-continue re-runs the spans between
// checkpoints newest first with the probe collecting hits, and lands at the last hit before now:
// a breakpoint before its instruction, a watchpoint just after the access.
//
// Watchpoints follow gdb's model for RISC-V, whose watchpoints gdb calls "nonsteppable" (they
// trigger before the access, as the Sdtrig triggers do): a forward run stops before the accessing
// instruction, and gdb steps over it with watchpoints removed; a reverse run stops just after the
// access, and gdb steps back over it. Either way the user lands where the value changed (after the
// write going forwards, before it going backwards) and gdb shows old and new values.
//
// The engine installs its input source (input_history.h) and, while there is something to check,
// its stop probe as the code cache's tier (stop_probe.h); the destructor puts back what it found.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "machines/virt/virt_machine.h"
#include "replay/gdb/checkpoints.h"
#include "replay/gdb/console_gate.h"
#include "replay/gdb/input_history.h"
#include "replay/gdb/rsp_session.h"
#include "replay/gdb/stop_probe.h"

namespace lockstep::replay::gdb {

struct EngineOptions {
  CheckpointOptions checkpoints;
  // Instructions per run between looks for Ctrl-C (and for gdb connecting, when none is).
  std::uint64_t slice = std::uint64_t{1} << 22;
};

struct EngineStop {
  enum class Kind {
    Breakpoint,    // `address`: the breakpoint; `hardware`: set by Z1
    Watchpoint,    // `address`: the data address; `watch`: which kind matched
    Step,          // a step (either way) ended
    Interrupted,   // Ctrl-C (or a gdb connecting)
    Exited,        // the guest powered off: `exit_code`
    HistoryBegin,  // reverse execution reached the oldest checkpoint
    HistoryEnd,    // the input source ended the run (the end of a replayed recording)
    Deadlock,      // every hart waits for an interrupt that cannot come
    TrapLoop,      // a hart's trap vector cannot be fetched (`address`)
    Refused,       // nothing was run: `message` says why
  };
  Kind kind = Kind::Step;
  unsigned hart = 0;
  std::uint64_t address = 0;
  PointKind watch = PointKind::Write;
  bool hardware = false;
  int exit_code = 0;
  std::string message;
};

class DebugEngine {
 public:
  // Takes the first checkpoint (the start of history) at the machine's icount. `live`: the real
  // input source or null; `console`: the gate the machine's console sink goes through, or null.
  static Result<std::unique_ptr<DebugEngine>> create(machines::virt::VirtMachine& vm, const EngineOptions& options,
                                                     machines::InputSource* live, ConsoleGate* console);
  ~DebugEngine();
  DebugEngine(const DebugEngine&) = delete;
  DebugEngine& operator=(const DebugEngine&) = delete;

  machines::virt::VirtMachine& machine() { return vm_; }
  std::uint64_t icount() const { return vm_.icount(); }

  // Breakpoints are pcs (any hart, any mode); watchpoints virtual address ranges.
  Status insert(PointKind kind, std::uint64_t address, std::uint64_t length);
  Status remove(PointKind kind, std::uint64_t address, std::uint64_t length);
  void clear_points();

  using Interrupted = std::function<bool()>;
  EngineStop cont(const Interrupted& interrupted);
  EngineStop step(unsigned hart, const Interrupted& interrupted);
  EngineStop reverse_cont(const Interrupted& interrupted);
  EngineStop reverse_step(unsigned hart);
  // `monitor goto`: the state at `icount` (before or after now; forward runs check no breakpoint).
  EngineStop go_to(std::uint64_t icount, const Interrupted& interrupted);
  // Runs `visit` with the machine at `icount`, then puts the machine back exactly as it was.
  Status visit(std::uint64_t icount, const std::function<Status()>& visit);
  // The debugger wrote registers or memory: the history after now is no longer this machine's,
  // and the changed machine is checkpointed (going back before now returns to the old history,
  // where the change was never made).
  Status modified();

  const CheckpointStore& checkpoints() const { return store_; }
  std::uint64_t history_start() const { return store_.first() ? store_.first()->icount : 0; }
  // Why reverse execution is refused on this machine ("" when it is not).
  const std::string& reverse_refusal() const { return reverse_refusal_; }

 private:
  DebugEngine(machines::virt::VirtMachine& vm, const EngineOptions& options, machines::InputSource* live,
              ConsoleGate* console);
  machines::virt::RunOutcome run(std::uint64_t limit, const ProbePlan* plan);
  // Runs forward (checkpointing new ground) until the probe stops the run or something else does.
  EngineStop forward(ProbePlan plan, const Interrupted& interrupted);
  // The state run(icount) leaves: from the current state when it is on the way, else from the
  // latest checkpoint (leaving a checkpoint near a far landing).
  Status goto_count(std::uint64_t icount);
  // Hart `hart` about to run `pc` with the machine at `total` (after any trap entry before it).
  Status land_before(std::uint64_t total, unsigned hart, std::uint64_t pc);
  Status restore(const CheckpointStore::Checkpoint& cp);
  ProbePlan plan_from_here() const;
  EngineStop stop_at_hit(const Hit& hit);
  std::optional<EngineStop> outcome_stop(const machines::virt::RunOutcome& o);

  machines::virt::VirtMachine& vm_;
  EngineOptions options_;
  ConsoleGate* console_;
  core::CompiledTier* inner_tier_;
  machines::InputSource* board_input_ = nullptr;
  StopProbe probe_;
  InputHistory history_;
  CheckpointStore store_;
  // Per breakpoint address: how many Z0 and Z1 inserted it (the report says which).
  struct BreakpointRefs {
    std::uint64_t address;
    unsigned software, hardware;
  };
  std::vector<BreakpointRefs> breakpoint_refs_;
  bool at_count_ = true;
  std::optional<int> exited_;
  std::string reverse_refusal_;
};

}  // namespace lockstep::replay::gdb
