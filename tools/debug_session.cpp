#include "tools/debug_session.h"

#include <fmt/format.h>

#include "jit/jit.h"
#include "replay/gdb/gdb_server.h"

namespace lockstep::tools {

int debug_guest(const RunOptions& o, RunHooks& hooks, const char* who) {
  if (auto endpoint = replay::gdb::parse_gdb_endpoint(*o.gdb_listen); !endpoint) {
    fmt::print(stderr, "{}: -gdb '{}': {}\n", who, *o.gdb_listen, endpoint.error().message);
    return kExitError;
  }
  // Reverse execution re-runs the past: the gate shows each byte of console output once.
  replay::gdb::ConsoleGate gate(console_to_stdout);
  auto created = machines::virt::VirtMachine::create(o.setup.config, gate.sink(), o.setup.script);
  if (!created) {
    fmt::print(stderr, "{}: {}\n", who, created.error().message);
    return kExitError;
  }
  machines::virt::VirtMachine& vm = *created.value();
  if (o.incoming) {
    fmt::print(stderr, "{}: -gdb with --incoming: load the stream with lockstep record ... --incoming, then debug "
                       "the trace (lockstep debug TRACE -gdb DEV)\n", who);
    return kExitError;
  }
  // The debugger installs the input source itself (it logs what it delivers for reverse runs).
  std::unique_ptr<replay::LiveInput> live;
  if (Status s = start_inputs(o, hooks, vm, live); !s) {
    fmt::print(stderr, "{}: {}\n", who, s.error().message);
    return kExitError;
  }
  std::unique_ptr<lockstep::jit::Jit> compiled_tier;
  if (o.jit != "off") {
    compiled_tier = lockstep::jit::Jit::create(o.jit_options);
    vm.hart(0).code->tier = compiled_tier.get();
  }
  replay::gdb::GdbServerOptions g;
  g.listen = *o.gdb_listen;
  g.wait_for_attach = o.gdb_wait;
  g.engine.checkpoints.interval = o.gdb_checkpoint_interval;
  g.engine.checkpoints.memory_cap = o.gdb_checkpoint_memory;
  g.input = hooks.input;
  g.console = &gate;
  auto end = replay::gdb::serve_gdb(vm, g);
  live.reset();
  if (!end) {
    fmt::print(stderr, "{}: {}\n", who, end.error().message);
    return kExitError;
  }
  using Kind = replay::gdb::GdbServeEnd::Kind;
  int code = 0;
  switch (end->kind) {
    case Kind::GuestExited: code = end->exit_code; break;
    case Kind::Killed:
    case Kind::InputEnded: code = 0; break;
    case Kind::Deadlock:
    case Kind::TrapLoop: code = kExitDeadlock; break;
  }
  if (o.digest) fmt::print(stderr, "digest {} {:016x}\n", vm.icount(), vm.digest());
  return end_run(created.value(), compiled_tier.get(), code);
}

}  // namespace lockstep::tools
