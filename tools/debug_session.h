#pragma once
// A run served to gdb (replay/gdb): what run_guest does when -s / -gdb is given, and what
// `lockstep debug TRACE` does with the trace's inputs.
#include "tools/run_session.h"

namespace lockstep::tools {

// Builds the machine, loads --incoming, calls hooks.started, serves gdb until the guest ends or gdb
// kills it. hooks.input (or the live console) is handed to the debugger, which logs it for reverse
// execution. Exit code: the guest's, 0 after gdb's kill or the end of a replayed trace, 4 when the
// guest can make no progress, 1 on errors.
int debug_guest(const RunOptions& options, RunHooks& hooks, const char* who);

}  // namespace lockstep::tools
