#pragma once
// The run itself, shared by `lockstep run` and `lockstep record` (and what replay builds on):
// build the machine the options describe, load --incoming, run with the cut points, report the
// end the way `lockstep run` documents its exit codes. Hooks let a caller watch and add stops.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "jit/jit.h"
#include "machines/console/input_source.h"
#include "machines/virt/virt_machine.h"
#include "replay/live_input.h"
#include "tools/run_options.h"

namespace lockstep::tools {

inline constexpr int kExitError = 1;
inline constexpr int kExitInsnLimit = 3;
inline constexpr int kExitDeadlock = 4;
inline constexpr int kExitCutNotReached = 5;  // a --save-at / --migrate-at icount the guest never reached

struct RunEnd {
  machines::virt::RunOutcome outcome;
  int exit_code = 0;
  std::optional<std::string> migrated_to;  // --migrate-at: where the machine went
};

struct RunHooks {
  // The input layer's outside source; null: the live one the options ask for (terminal, networks).
  machines::InputSource* input = nullptr;
  // The live source behind `input` when the caller made one (record wraps it): its networks get the
  // guest's transmitted frames. Null with a caller's own input (replay): frames go nowhere.
  replay::LiveInput* live = nullptr;
  // After the machine is built and any --incoming stream loaded, before the first instruction.
  std::function<Status(machines::virt::VirtMachine&)> started;
  // Extra stops: the next icount after `icount` at which stopped() runs (nullopt: none).
  std::function<std::optional<std::uint64_t>(std::uint64_t icount)> next_stop;
  std::function<Status(machines::virt::VirtMachine&)> stopped;
  // Once, when the run ends (not for --dumpdtb and the like).
  std::function<Status(machines::virt::VirtMachine&, const RunEnd&)> ended;
  // Whether run_guest says why the run stopped (--max-insns, deadlock); replay says it its own way.
  bool report_stop = true;
};

// Console output goes to stdout. Returns the process exit code; errors are printed as "who: ...".
int run_guest(const RunOptions& options, RunHooks& hooks, const char* who);

// The live input the options ask for: the terminal (-nographic, -serial stdio) and the host network
// backends (-netdev user|socket|stream), opened now; null when they ask for neither.
Result<std::unique_ptr<replay::LiveInput>> open_live_input(const RunOptions& options);

// The inputs a run starts with: the live input when no source is given (it becomes hooks.input and
// hooks.live; `live` owns it), the guest's frames wired to the live networks, then hooks.started.
// Not yet installed on the machine.
Status start_inputs(const RunOptions& options, RunHooks& hooks, machines::virt::VirtMachine& vm,
                    std::unique_ptr<replay::LiveInput>& live);

// The last step of a run: returns `code`, or ends the process with it at once when the JIT still
// compiles on its helper thread (its destructor would wait for code nobody runs).
int end_run(std::unique_ptr<machines::virt::VirtMachine>& vm, lockstep::jit::Jit* tier, int code);

// The console sink of every command that runs a guest: stdout, unbuffered.
void console_to_stdout(std::uint8_t c);

}  // namespace lockstep::tools
