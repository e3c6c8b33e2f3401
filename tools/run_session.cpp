#include "tools/run_session.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "jit/jit.h"
#include "machines/virt/virt_snapshot.h"
#include "replay/live_input.h"
#include "snapshot/stream/json_access.h"
#include "snapshot/stream/zstd_source.h"
#include "tools/debug_session.h"
#include "tools/migration_channel.h"

namespace lockstep::tools {
namespace {

// Temporary file, fsync, rename: the final name never holds a partial file.
bool write_file_atomically(const std::string& path, const std::string& text, std::string& error) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = fmt::format("could not write '{}': {}", tmp, std::strerror(errno));
    return false;
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool ok = done == text.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    error = fmt::format("could not write '{}': {}", tmp, std::strerror(errno));
    ::unlink(tmp.c_str());
    return false;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = fmt::format("could not rename '{}' to '{}': {}", tmp, path, std::strerror(errno));
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

void announce_listening(const std::string& where) {
  fmt::print(stderr, "lockstep: waiting for an incoming migration on {}\n", where);
}

Status load_incoming(machines::virt::VirtMachine& vm, const MigrationEndpoint& from, unsigned timeout_s) {
  if (from.kind == MigrationEndpoint::File) return machines::virt::load_snapshot_file(vm, from.path);
  LS_TRY_ASSIGN(IncomingChannel channel, IncomingChannel::open(from, announce_listening, timeout_s));
  snapshot::stream::ByteSource raw(channel.fd());
  // The guest starts once the stream's end and VM description are in, whether or not the sender
  // has closed the connection yet.
  raw.set_live(true);
  LS_TRY_ASSIGN(auto head, raw.peek_n(4));
  if (head.size() == 4 && std::equal(head.begin(), head.end(), std::begin(snapshot::stream::kZstdMagic)))
    return Error{fmt::format("{}: the incoming stream is zstd-compressed; send plain streams over sockets", from.text)};
  Status loaded = machines::virt::load_snapshot(vm, raw);
  if (!loaded && timeout_s > 0 && loaded.error().message.find("within the receive timeout") != std::string::npos)
    return Error{loaded.error().message + fmt::format(" (--incoming-timeout {})", timeout_s)};
  return loaded;
}

Status migrate_out(const machines::virt::VirtMachine& vm, const MigrationEndpoint& to) {
  LS_TRY_ASSIGN(int fd, connect_endpoint(to));
  snapshot::stream::ByteSink sink(fd, /*owns_fd=*/true);
  LS_TRY(machines::virt::save_snapshot(vm, sink));
  return sink.finish();
}

// --dumpdtb, --describe-destination, --dump-vmstate: write and exit.
int describe(const machines::virt::VirtMachine& vm, const RunOptions& o, const char* who) {
  std::string text, path;
  if (!o.dumpdtb_path.empty()) {
    text.assign(vm.device_tree().begin(), vm.device_tree().end());
    path = o.dumpdtb_path;
  } else if (!o.describe_path.empty()) {
    text = snapshot::stream::json_text(machines::virt::describe_destination(vm), 2) + "\n";
    path = o.describe_path;
    if (path == "-") {
      fmt::print("{}", text);
      return 0;
    }
  } else {
    text = snapshot::stream::json_text(machines::virt::dump_vmstate(vm), 4) + "\n";
    path = o.dump_vmstate_path;
  }
  std::string error;
  if (!write_file_atomically(path, text, error)) {
    fmt::print(stderr, "{}: {}\n", who, error);
    return kExitError;
  }
  return 0;
}

}  // namespace

Result<std::unique_ptr<replay::LiveInput>> open_live_input(const RunOptions& o) {
  const bool console = o.console_input == ConsoleInput::Stdin;
  if (!console && o.setup.host_networks.empty()) return std::unique_ptr<replay::LiveInput>{};
  LS_TRY_ASSIGN(auto live, replay::LiveInput::open(console ? STDIN_FILENO : -1, stderr));
  for (const auto& n : o.setup.host_networks) {
    auto backend = net::open_netdev(n.netdev);
    if (!backend) return backend.error().within(fmt::format("-netdev {}: ", n.netdev.id));
    live->add_network(n.nic, std::move(backend.value()));
  }
  return live;
}

Status start_inputs(const RunOptions& o, RunHooks& hooks, machines::virt::VirtMachine& vm,
                    std::unique_ptr<replay::LiveInput>& live) {
  if (!hooks.input) {
    LS_TRY_ASSIGN(live, open_live_input(o));
    hooks.input = live.get();
    hooks.live = live.get();
  }
  if (hooks.live)
    hooks.live->for_each_network([&vm](unsigned nic, net::HostNetBackend& backend) {
      vm.set_nic_transmit(nic, [&backend](std::span<const std::uint8_t> frame) { backend.transmit(frame); });
    });
  if (hooks.started) LS_TRY(hooks.started(vm));
  return Ok{};
}

void console_to_stdout(std::uint8_t c) {
  // Unbuffered, so output interleaves correctly with anything else the process prints.
  while (::write(STDOUT_FILENO, &c, 1) < 0 && errno == EINTR) {
  }
}

int run_guest(const RunOptions& o, RunHooks& hooks, const char* who) {
  if (o.gdb_listen && !o.describe_only()) return debug_guest(o, hooks, who);
  auto created = machines::virt::VirtMachine::create(o.setup.config, console_to_stdout, o.setup.script);
  if (!created) {
    fmt::print(stderr, "{}: {}\n", who, created.error().message);
    return kExitError;
  }
  machines::virt::VirtMachine& vm = *created.value();
  if (o.describe_only()) return describe(vm, o, who);
  if (o.incoming) {
    if (Status s = load_incoming(vm, *o.incoming, o.incoming_timeout); !s) {
      fmt::print(stderr, "{}: {}\n", who, s.error().message);
      return kExitError;
    }
  }
  std::unique_ptr<replay::LiveInput> live;
  if (Status s = start_inputs(o, hooks, vm, live); !s) {
    fmt::print(stderr, "{}: {}\n", who, s.error().message);
    return kExitError;
  }
  vm.set_input_source(hooks.input);
  // The JIT (a compiled tier under the interpreter): guest-visible results are the same with or
  // without it. LLVM starts in the background; if it cannot, everything is interpreted and that
  // is reported after the run (an error with --jit=on, a warning with auto).
  std::unique_ptr<lockstep::jit::Jit> compiled_tier;
  if (o.jit != "off") {
    compiled_tier = lockstep::jit::Jit::create(o.jit_options);
    vm.hart(0).code->tier = compiled_tier.get();
  }
  core::TraceSink sink{o.trace ? stderr : nullptr};
  const std::vector<CutPoint>& cuts = o.cuts;
  RunEnd end;
  std::size_t next_cut = 0;
  // Cut points at or before a loaded snapshot's icount already happened on the source.
  while (next_cut < cuts.size() && cuts[next_cut].icount < vm.icount()) ++next_cut;
  for (;;) {
    std::optional<uint64_t> limit = o.max_insns;
    auto lower = [&](std::uint64_t at) {
      if (!limit || at < *limit) limit = at;
    };
    if (next_cut < cuts.size()) lower(cuts[next_cut].icount);
    std::optional<std::uint64_t> extra = hooks.next_stop ? hooks.next_stop(vm.icount()) : std::nullopt;
    if (extra) lower(*extra);
    end.outcome = vm.run(limit, o.trace ? &sink : nullptr);
    if (end.outcome.kind != machines::virt::RunOutcome::InsnLimit) break;
    if (extra && vm.icount() == *extra) {
      if (Status s = hooks.stopped(vm); !s) {
        fmt::print(stderr, "{}: {}\n", who, s.error().message);
        return kExitError;
      }
    }
    if (next_cut == cuts.size() || vm.icount() != cuts[next_cut].icount) {
      if (o.max_insns && vm.icount() >= *o.max_insns) break;
      continue;
    }
    const CutPoint& cut = cuts[next_cut++];
    // State that cannot travel refuses the save, as QEMU's migration blockers do.
    if (const std::string blocker = vm.migration_blocker(); !blocker.empty()) {
      fmt::print(stderr, "{}: {} at icount {}: {}\n", who,
                 cut.target.kind == MigrationEndpoint::File ? "--save-at" : "--migrate-at", cut.icount, blocker);
      return kExitError;
    }
    if (cut.target.kind != MigrationEndpoint::File) {
      if (Status s = migrate_out(vm, cut.target); !s) {
        fmt::print(stderr, "{}: migration at icount {} failed: {}\n", who, cut.icount, s.error().message);
        return kExitError;
      }
      fmt::print(stderr, "lockstep: migrated at icount {} to {}\n", vm.icount(), cut.target.text);
      if (o.digest) fmt::print(stderr, "digest {} {:016x}\n", vm.icount(), vm.digest());
      end.migrated_to = cut.target.text;
      if (hooks.ended) {
        if (Status s = hooks.ended(vm, end); !s) {
          fmt::print(stderr, "{}: {}\n", who, s.error().message);
          return kExitError;
        }
      }
      return 0;
    }
    auto saved = machines::virt::save_snapshot_file(vm, cut.target.path);
    if (!saved) {
      fmt::print(stderr, "{}: --save-at {}: {}\n", who, cut.icount, saved.error().message);
      return kExitError;
    }
    if (o.max_insns && vm.icount() >= *o.max_insns) break;
  }

  using machines::virt::RunOutcome;
  int code = end.outcome.exit_code;
  std::FILE* report = hooks.report_stop ? stderr : nullptr;
  if (end.outcome.kind == RunOutcome::InsnLimit) {
    if (report) fmt::print(report, "lockstep: stopped after {} instructions (--max-insns)\n", vm.icount());
    code = kExitInsnLimit;
  } else if (end.outcome.kind == RunOutcome::Deadlock) {
    if (report)
      fmt::print(report, "lockstep: every hart waits for an interrupt and none can arrive (no timer armed); stopped at "
                         "icount {}\n",
                 vm.icount());
    code = kExitDeadlock;
  } else if (end.outcome.kind == RunOutcome::TrapLoop) {
    if (report) fmt::print(report,
               "lockstep: hart {} cannot fetch its trap vector 0x{:x} (trap cause {}): every fetch traps to the same "
               "address and no instruction can retire; stopped at icount {}\n",
               end.outcome.hart, end.outcome.pc, end.outcome.cause, vm.icount());
    code = kExitDeadlock;
  }
  // A cut the run ended before: say so, or a missing file is found only later and the exit looks clean.
  for (std::size_t i = next_cut; i < cuts.size(); ++i) {
    const CutPoint& cut = cuts[i];
    const bool file = cut.target.kind == MigrationEndpoint::File;
    fmt::print(stderr, "{}: {} {}: the guest stopped at icount {}, before {}; {}\n", who,
               file ? "--save-at" : "--migrate-at", cut.icount, vm.icount(), cut.icount,
               file ? fmt::format("{} not written", cut.target.path) : fmt::format("nothing sent to {}", cut.target.text));
    code = kExitCutNotReached;
  }
  if (end.outcome.kind == RunOutcome::Exited && !vm.script_pending().empty()) {
    fmt::print(stderr, "lockstep: the guest stopped before {} matched\n", vm.script_pending());
  }
  if (!o.signature_path.empty()) {
    auto sig = vm.signature();
    std::string error;
    if (!sig) {
      fmt::print(stderr, "{}: {}\n", who, sig.error().message);
      code = kExitError;
    } else if (!write_file_atomically(o.signature_path, sig.value(), error)) {
      fmt::print(stderr, "{}: {}\n", who, error);
      code = kExitError;
    }
  }
  if (o.digest) fmt::print(stderr, "digest {} {:016x}\n", vm.icount(), vm.digest());
  if (o.jit_stats && compiled_tier) compiled_tier->print_stats(stderr, vm.icount());
  if (compiled_tier && !compiled_tier->start_error().empty()) {
    if (o.jit == "on") {
      fmt::print(stderr, "{}: --jit=on: {} (the run was interpreted)\n", who, compiled_tier->start_error());
      code = kExitError;
    } else {
      fmt::print(stderr, "lockstep: the JIT could not start ({}); the run was interpreted\n", compiled_tier->start_error());
    }
  }
  end.exit_code = code;
  if (hooks.ended) {
    if (Status s = hooks.ended(vm, end); !s) {
      fmt::print(stderr, "{}: {}\n", who, s.error().message);
      code = kExitError;
    }
  }
  live.reset();  // the terminal as it was, before anything else is printed
  return end_run(created.value(), compiled_tier.get(), code);
}

int end_run(std::unique_ptr<machines::virt::VirtMachine>& vm, lockstep::jit::Jit* tier, int code) {
  // A batch still compiling on the JIT's helper thread would make the Jit's destructor wait for
  // code nobody will run: close the machine (disk images are flushed there) and end the process.
  if (tier && tier->compiling()) {
    vm.reset();
    std::fflush(nullptr);
    std::_Exit(code);
  }
  return code;
}

}  // namespace lockstep::tools
