#pragma once
// The debugger's front door: a VirtMachine served to gdb over the remote serial protocol, with
// reverse execution. What `lockstep run -s / -S / -gdb DEV` and `lockstep debug TRACE -gdb DEV` call.
//
//   ConsoleGate gate(print_to_stdout);                      // output shown once (reverse re-runs)
//   auto vm = VirtMachine::create(config, gate.sink(), script);
//   GdbServerOptions o{.listen = "tcp::1234", .wait_for_attach = true, .console = &gate};
//   auto end = serve_gdb(*vm, o);                           // until the guest ends or gdb kills it
//
// Without wait_for_attach (QEMU's -s without -S) the guest runs at once and gdb may attach at any
// time (the guest stops then); after gdb detaches it runs on. Checkpoints are taken from the start
// either way, so gdb can go back to before it attached.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "machines/console/input_source.h"
#include "machines/virt/virt_machine.h"
#include "replay/gdb/console_gate.h"
#include "replay/gdb/debug_engine.h"
#include "replay/gdb/rsp_connection.h"

namespace lockstep::replay::gdb {

struct GdbServerOptions {
  std::string listen = "tcp::1234";  // QEMU's -gdb spelling (parse_gdb_endpoint); -s is "tcp::1234"
  bool wait_for_attach = false;      // -S: nothing runs before gdb says so
  EngineOptions engine;              // checkpoint interval and memory cap, run slice
  // The real input source (terminal, replayed trace) or null. The debugger puts its own in front
  // of it (set_input_source), which logs what it delivers for reverse execution: do not install
  // it on the machine yourself.
  machines::InputSource* input = nullptr;
  ConsoleGate* console = nullptr;  // the gate the machine's console sink was made from, or null
  // One-line status messages ("waiting for gdb on localhost:1234"); stderr when unset.
  std::function<void(std::string_view)> status;
  // Called once listening: what to give gdb's `target remote`, and the TCP port (0 for a unix
  // socket). With "tcp::0" the port is the one the kernel chose.
  std::function<void(std::string_view address, std::uint16_t port)> listening;
};

struct GdbServeEnd {
  enum class Kind {
    GuestExited,  // exit_code: the guest's
    Killed,       // gdb's kill
    InputEnded,   // the input source ended the run with no gdb attached (a replay's end, Ctrl-A x)
    Deadlock,     // with no gdb attached: every hart waits and nothing can wake one
    TrapLoop,     // with no gdb attached: a hart cannot fetch its trap vector
  };
  Kind kind = Kind::GuestExited;
  int exit_code = 0;
};

// Serves until the guest ends (exit, or with no gdb attached anything that ends a run) or gdb
// kills it. Errors: the endpoint cannot be parsed or listened on, the first checkpoint fails.
Result<GdbServeEnd> serve_gdb(machines::virt::VirtMachine& vm, const GdbServerOptions& options);

}  // namespace lockstep::replay::gdb
