#pragma once
// How the debugger sees the guest run without slowing it when there is nothing to see: a
// core::CompiledTier that the interpreter offers each block before running it. A block that holds
// no breakpoint, no target and no hart being stepped is declined (the interpreter runs it at full
// speed); one that does is executed here, an instruction at a time, exactly as the interpreter
// would (the same semantics functions, finish_flow for traps and jumps), checking before each
// instruction (breakpoints, a target position) and after it (watchpoints, a finished step).
//
// Stopping: the probe leaves the block (Hart::stop_block) and raises stop_requested(); the board
// then reaches its next feed point, where the engine's input source ends the run (InputQuit). The
// machine therefore stops exactly at the hit, with nothing run past it.
//
// While watchpoints are set every instruction of every hart goes through here (memory_access.h
// decodes what it touches): about an indirect call and a table look-up per instruction.
// Not seen: an instruction that straddles a page boundary (the interpreter decodes it alone and
// never offers it), and accesses that are not an instruction's (page-table walks, device DMA).
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "core/interpreter.h"
#include "replay/gdb/memory_access.h"
#include "replay/gdb/rsp_session.h"

namespace lockstep::machines::virt {
class VirtMachine;
}

namespace lockstep::replay::gdb {

struct Watchpoint {
  std::uint64_t address = 0, length = 0;
  PointKind kind = PointKind::Write;  // Write, Read or Access
};

struct Hit {
  enum class Kind { Breakpoint, Watchpoint, Target, Step };
  Kind kind = Kind::Breakpoint;
  unsigned hart = 0;
  // The machine's icount (all harts) at the stop: before the instruction for Breakpoint, Target
  // and a watchpoint stopping a forward run; after it for Step and a collected watchpoint hit.
  std::uint64_t total = 0;
  // Watchpoint: the icount before the accessing instruction.
  std::uint64_t total_before = 0;
  std::uint64_t pc = 0;  // the breakpoint, the target, or the accessing instruction
  std::uint64_t data_address = 0;
  PointKind watch = PointKind::Write;
};

// What one run looks for.
struct ProbePlan {
  bool collect = false;    // never stop; remember the last hit (the search of reverse-continue)
  bool use_points = true;  // check the breakpoints and watchpoints
  // Stop when `hart` is about to execute `pc` with the machine at icount `total`.
  struct Before {
    std::uint64_t total;
    unsigned hart;
    std::uint64_t pc;
  };
  std::optional<Before> before;
  // Stop once `hart` retires the instruction it runs at its icount `icount` (where it stood at
  // `pc`) or, with stop_on_trap, enters a trap handler instead (stepi). Collecting, the hit
  // records the machine's icount right after that instruction.
  struct Step {
    unsigned hart;
    std::uint64_t icount;
    std::uint64_t pc;
    bool stop_on_trap;
  };
  std::optional<Step> step;
  // A breakpoint under a hart where the run starts is not hit: resuming executes it.
  std::uint64_t start_total = ~std::uint64_t{0};
  std::vector<std::uint64_t> start_pcs;
};

class StopProbe final : public core::CompiledTier {
 public:
  explicit StopProbe(machines::virt::VirtMachine& vm);

  // The tier that runs when the probe is not installed (the JIT, or none); told of dropped blocks.
  void set_inner(core::CompiledTier* inner) { inner_ = inner; }
  core::CompiledTier* inner() const { return inner_; }

  std::vector<std::uint64_t> breakpoints;  // sorted, unique
  std::vector<Watchpoint> watchpoints;

  // Whether a run with `plan` needs the probe at all.
  bool needed(const ProbePlan& plan) const {
    return (plan.use_points && (!breakpoints.empty() || !watchpoints.empty())) || plan.before || plan.step;
  }
  void arm(ProbePlan plan);
  bool stop_requested() const { return stop_requested_; }
  // The hit that stopped the run, or (collect) the last hit seen.
  const std::optional<Hit>& hit() const { return hit_; }

  bool execute(core::Hart& h, core::Block& block, std::uint64_t end_icount) override;

  // The guest's own debug triggers (Sdtrig) are armed on some hart: the interpreter then offers no
  // block to a tier, and the engine runs one instruction at a time, asking between instructions.
  // What each hart stood at before the instruction:
  struct Mark {
    std::uint64_t icount, pc;
    std::optional<MemoryAccess> access;
  };
  bool blind() const;
  // The probed run ended because the guest armed its triggers (not a hit); resume_after_blind()
  // clears that, keeping any hit collected so far.
  bool went_blind() const { return went_blind_; }
  void resume_after_blind();
  std::vector<Mark> marks() const;
  // After one instruction of the machine (a run ending at `limit`): records what the plan looks
  // for (true: stop). Seen from outside a trap entry and the instruction after it are one step, so
  // a breakpoint on a trap vector is seen one instruction late and a step never ends at a vector.
  bool between(const std::vector<Mark>& before, std::uint64_t limit);
  void block_dropped(core::CodeCache& cache, core::Block& block) override {
    if (inner_) inner_->block_dropped(cache, block);
  }

 private:
  bool interested(unsigned hart, const core::Hart& h, const core::Block& block) const;
  bool breakpoint_at(std::uint64_t pc) const;
  // The watched address and kind an access touches, if any.
  std::optional<std::pair<std::uint64_t, PointKind>> watched(const MemoryAccess& a) const;
  // Records `hit`; true when the run must stop (not collecting).
  bool record(const Hit& hit);
  std::optional<Hit> check_before(unsigned hart, const core::Hart& h, std::uint64_t total, bool block_start) const;
  unsigned hart_index(const core::Hart& h) const;
  std::uint64_t machine_icount() const;

  machines::virt::VirtMachine& vm_;
  core::CompiledTier* inner_ = nullptr;
  ProbePlan plan_;
  std::optional<Hit> hit_;
  bool stop_requested_ = false;
  bool went_blind_ = false;
};

}  // namespace lockstep::replay::gdb
