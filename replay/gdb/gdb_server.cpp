#include "replay/gdb/gdb_server.h"

#include <cstdio>

#include <fmt/format.h>

#include "replay/gdb/machine_target.h"

namespace lockstep::replay::gdb {
namespace {

enum class Served { Detached, Killed, Exited };

// One gdb connection, packet by packet, until gdb detaches, kills, goes away or the guest exits.
Served serve_connection(RspConnection& conn, MachineTarget& target, int& exit_code) {
  RspSession session(target, RspSession::Wire{
                                 [&](std::string_view reply) { return conn.send(reply); },
                                 [&] { return conn.interrupt_requested(); },
                                 [&] { conn.stop_acknowledging(); },
                             });
  for (;;) {
    auto event = conn.next(-1);
    if (!event) break;  // gdb went away: as a detach
    if (!event.value()) continue;
    const RspEvent& e = *event.value();
    if (e.kind == RspEvent::Kind::TooLong) {
      if (!session.too_long()) break;
      continue;
    }
    if (e.kind != RspEvent::Kind::Packet) continue;  // Ctrl-C while stopped: nothing to stop
    auto next = session.handle(e.payload);
    if (!next) break;
    switch (next.value()) {
      case RspSession::Next::Serve: continue;
      case RspSession::Next::Detach: target.detached(); return Served::Detached;
      case RspSession::Next::Kill: return Served::Killed;
      case RspSession::Next::Exited: exit_code = target.last_stop().exit_code; return Served::Exited;
    }
  }
  target.detached();
  return Served::Detached;
}

}  // namespace

Result<GdbServeEnd> serve_gdb(machines::virt::VirtMachine& vm, const GdbServerOptions& options) {
  auto status = [&](const std::string& line) {
    if (options.status) {
      options.status(line);
    } else {
      fmt::print(stderr, "{}\n", line);
    }
  };
  LS_TRY_ASSIGN(const GdbEndpoint at, parse_gdb_endpoint(options.listen));
  LS_TRY_ASSIGN(auto listener, RspListener::open(at));
  LS_TRY_ASSIGN(auto engine, DebugEngine::create(vm, options.engine, options.input, options.console));
  MachineTarget target(*engine);
  status(fmt::format("lockstep: waiting for gdb on {}{}", listener->address(),
                     options.wait_for_attach ? " (the guest starts when gdb continues)" : ""));
  if (options.listening) options.listening(listener->address(), listener->port());

  std::unique_ptr<RspConnection> conn;
  if (options.wait_for_attach) {
    LS_TRY_ASSIGN(conn, listener->accept(-1));
  }
  for (;;) {
    if (!conn) {
      // No gdb: the guest runs (taking checkpoints) until it ends or gdb connects.
      std::unique_ptr<RspConnection> incoming;
      const EngineStop s = engine->cont([&] {
        auto c = listener->accept(0);
        if (c && c.value()) incoming = std::move(c.value());
        return incoming != nullptr;
      });
      switch (s.kind) {
        case EngineStop::Kind::Exited: return GdbServeEnd{GdbServeEnd::Kind::GuestExited, s.exit_code};
        case EngineStop::Kind::HistoryEnd: return GdbServeEnd{GdbServeEnd::Kind::InputEnded, 0};
        case EngineStop::Kind::Deadlock: return GdbServeEnd{GdbServeEnd::Kind::Deadlock, 0};
        case EngineStop::Kind::TrapLoop: return GdbServeEnd{GdbServeEnd::Kind::TrapLoop, 0};
        case EngineStop::Kind::Refused: return Error{s.message};
        default: break;
      }
      if (!incoming) continue;
      conn = std::move(incoming);
    }
    status(fmt::format("lockstep: gdb attached at icount {}", vm.icount()));
    int exit_code = 0;
    switch (serve_connection(*conn, target, exit_code)) {
      case Served::Exited: return GdbServeEnd{GdbServeEnd::Kind::GuestExited, exit_code};
      case Served::Killed: return GdbServeEnd{GdbServeEnd::Kind::Killed, 0};
      case Served::Detached:
        conn.reset();
        status(fmt::format("lockstep: gdb detached at icount {}; the guest runs on", vm.icount()));
        break;
    }
  }
}

}  // namespace lockstep::replay::gdb
