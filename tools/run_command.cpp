#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "jit/jit.h"
#include "machines/virt/virt_machine.h"
#include "machines/virt/virt_snapshot.h"
#include "snapshot/stream/json_access.h"
#include "snapshot/stream/zstd_source.h"
#include "tools/migration_channel.h"
#include "tools/commands.h"
#include "tools/machine_options.h"
#include "tools/qemu_style_args.h"
#include "tools/option_values.h"

namespace lockstep::tools {
namespace {

constexpr int kExitError = 1;
constexpr int kExitInsnLimit = 3;
constexpr int kExitDeadlock = 4;
constexpr int kExitCutNotReached = 5;  // a --save-at / --migrate-at icount the guest never reached

void console_byte(uint8_t c) {
  // Unbuffered, so output interleaves correctly with anything else the process prints.
  while (::write(STDOUT_FILENO, &c, 1) < 0 && errno == EINTR) {
  }
}

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

}  // namespace

int run_main(int argc, char** argv) {
  CLI::App app{
      "Run a guest on lockstep's deterministic RISC-V virt machine.\n"
      "Options spelled as in QEMU mean the same thing: lockstep run -M virt -m 256M -bios none -kernel guest.elf\n"
      "Console output goes to stdout. The exit code is the guest's (sifive_test or HTIF), 3 when --max-insns\n"
      "stopped the run, 4 when the guest can make no progress (every hart waits for an interrupt that cannot\n"
      "come, or a hart's trap vector cannot be fetched), 5 when the run ended\n"
      "before a --save-at or --migrate-at icount (nothing written or sent), 1 on errors.",
      "lockstep run"};
  app.get_formatter()->column_width(34);

  MachineOptionTexts machine_texts;
  std::string max_insns_text;
  std::optional<uint64_t> max_insns;
  bool digest = false, trace = false;
  std::string jit = "auto";
  std::string jit_threshold_text;
  std::string jit_cache_text;
  bool jit_stats = false, jit_verify = false;
  lockstep::jit::JitOptions jit_options;
  std::string signature_path;
  std::string dumpdtb_path;
  std::vector<std::string> save_at_texts;
  std::string incoming_text, migrate_at_text, dump_vmstate_path, describe_path;
  unsigned incoming_timeout = 0;

  add_machine_options(app, machine_texts);
  app.add_option("--dumpdtb", dumpdtb_path, "write the device tree given to the guest to FILE and exit");
  app.add_option("--max-insns", max_insns_text, "stop after N instructions (exit code 3)");
  app.add_flag("--digest", digest, "at exit, print 'digest <icount> <xxh3-64>' of all machine state to stderr");
  app.add_option("--jit", jit,
                 "execution engine: off (interpreter only), on (tiered LLVM JIT; exit status 1 after the run if LLVM "
                 "could not start), auto (tiered JIT, or the interpreter with a warning if LLVM cannot start)")
      ->check(CLI::IsMember({"off", "on", "auto"}))
      ->capture_default_str();
  app.add_option("--jit-threshold", jit_threshold_text, "instructions the interpreter runs in a block before its region is compiled (default 2000000)");
  app.add_option("--jit-cache-regions", jit_cache_text,
                 "compiled regions kept at once; past it the code cache is emptied (default 4096)");
  app.add_flag("--jit-compile-thread", jit_options.helper_thread,
               "compile on a helper thread (installed at a deterministic instruction, waiting if needed); "
               "measured slower than compiling on the guest thread on a 2-core host");
  app.add_flag("--jit-stats", jit_stats, "at exit, print JIT statistics (regions, compile time, hit rates) to stderr");
  app.add_flag("--jit-verify", jit_verify,
               "check every compiled region execution against the interpreter on a copy of the state; "
               "stop at the first difference");
  app.add_flag("--trace", trace, "trace every instruction to stderr: icount, privilege, pc, bits, disassembly");
  app.add_option("--save-at", save_at_texts,
                 "ICOUNT=FILE: when the instruction count reaches ICOUNT, write a snapshot to FILE (atomically; "
                 "FILE.zst is zstd-compressed) and go on; repeatable");
  app.add_option("--incoming", incoming_text,
                 "FILE|unix:PATH|tcp:HOST:PORT: load a snapshot (waiting for one connection on a socket), then "
                 "continue; give the same other options as the source");
  app.add_option("--incoming-timeout", incoming_timeout,
                 "with --incoming unix:/tcp:, give up (exit 1) when no source connects, or a connected source "
                 "sends nothing, for S seconds (default 0: wait as long as it takes, as QEMU's -incoming does)");
  app.add_option("--migrate-at", migrate_at_text,
                 "ICOUNT=unix:PATH|tcp:HOST:PORT: at ICOUNT, stop and send the machine to a destination waiting "
                 "with --incoming, then exit");
  app.add_option("--dump-vmstate", dump_vmstate_path,
                 "write the machine's vmstate schema (QEMU's -dump-vmstate JSON layout) to FILE and exit");
  app.add_option("--describe-destination", describe_path,
                 "write what this configuration expects of an incoming stream (machine, RAM blocks, sections, "
                 "schema; what `lockstep snapshot explain` reads) to FILE, or - for stdout, and exit");
  app.add_option("--signature", signature_path,
                 "at exit, write [begin_signature, end_signature) as riscv-arch-test expects it");

  std::vector<std::string> args = qemu_style_args(argc, argv);
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "lockstep run: {}\n", e.what());
    return kExitError;
  }

  if (machine_texts.machine == "help" || machine_texts.machine == "?") {
    fmt::print("{}", machines::virt::machine_version_help());
    return 0;
  }
  auto setup = resolve_machine_options(machine_texts);
  if (!setup) {
    fmt::print(stderr, "lockstep run: {}\n", setup.error().message);
    return kExitError;
  }
  std::vector<CutPoint> cuts;  // --save-at and --migrate-at, in icount order
  for (const std::string& t : save_at_texts) {
    auto c = parse_cut_point(t, "--save-at", /*allow_file=*/true);
    if (!c || c->target.kind != MigrationEndpoint::File) {
      fmt::print(stderr, "lockstep run: {}\n",
                 c ? fmt::format("--save-at '{}': expected ICOUNT=FILE", t) : c.error().message);
      return kExitError;
    }
    cuts.push_back(c.value());
  }
  std::optional<CutPoint> migrate_at;
  if (!migrate_at_text.empty()) {
    auto c = parse_cut_point(migrate_at_text, "--migrate-at", /*allow_file=*/false);
    if (!c) {
      fmt::print(stderr, "lockstep run: {}\n", c.error().message);
      return kExitError;
    }
    migrate_at = c.value();
  }
  std::optional<MigrationEndpoint> incoming;
  if (!incoming_text.empty()) {
    auto e = parse_endpoint(incoming_text, /*allow_file=*/true);
    if (!e) {
      fmt::print(stderr, "lockstep run: --incoming: {}\n", e.error().message);
      return kExitError;
    }
    incoming = e.value();
  }
  if (!max_insns_text.empty()) {
    auto n = parse_count(max_insns_text, "--max-insns");
    if (!n) {
      fmt::print(stderr, "lockstep run: {}\n", n.error().message);
      return kExitError;
    }
    max_insns = n.value();
  }
  jit_options.verify = jit_verify;
  if (!jit_threshold_text.empty()) {
    auto n = parse_count(jit_threshold_text, "--jit-threshold");
    if (!n || n.value() < 1 || n.value() > 1'000'000'000) {
      fmt::print(stderr, "lockstep run: invalid --jit-threshold '{}': give a count from 1 to 1000000000\n",
                 jit_threshold_text);
      return kExitError;
    }
    jit_options.threshold = static_cast<uint32_t>(n.value());
  }
  if (!jit_cache_text.empty()) {
    auto n = parse_count(jit_cache_text, "--jit-cache-regions");
    if (!n || n.value() < 1 || n.value() > 1'000'000) {
      fmt::print(stderr, "lockstep run: invalid --jit-cache-regions '{}': give a count from 1 to 1000000\n",
                 jit_cache_text);
      return kExitError;
    }
    jit_options.max_regions = static_cast<unsigned>(n.value());
  }
  if (jit == "off" && (jit_verify || jit_stats || jit_options.helper_thread || !jit_threshold_text.empty() ||
                       !jit_cache_text.empty())) {
    fmt::print(stderr, "lockstep run: --jit-verify, --jit-stats, --jit-threshold, --jit-cache-regions and "
                       "--jit-compile-thread need --jit=on or auto\n");
    return kExitError;
  }
  if (setup->config.kernel.empty() && setup->config.bios == "none" && dump_vmstate_path.empty() && describe_path.empty()) {
    fmt::print(stderr, "lockstep run: nothing to run: give -kernel, or -bios with a firmware\n");
    return kExitError;
  }

  auto created = machines::virt::VirtMachine::create(setup->config, console_byte, std::move(setup->script));
  if (!created) {
    fmt::print(stderr, "lockstep run: {}\n", created.error().message);
    return kExitError;
  }
  machines::virt::VirtMachine& vm = *created.value();
  if (!dumpdtb_path.empty()) {
    const auto& fdt = vm.device_tree();
    std::string error;
    if (!write_file_atomically(dumpdtb_path, std::string(fdt.begin(), fdt.end()), error)) {
      fmt::print(stderr, "lockstep run: {}\n", error);
      return kExitError;
    }
    return 0;
  }
  if (!describe_path.empty()) {
    const std::string text = snapshot::stream::json_text(machines::virt::describe_destination(vm), 2) + "\n";
    if (describe_path == "-") {
      fmt::print("{}", text);
      return 0;
    }
    std::string error;
    if (!write_file_atomically(describe_path, text, error)) {
      fmt::print(stderr, "lockstep run: {}\n", error);
      return kExitError;
    }
    return 0;
  }
  if (!dump_vmstate_path.empty()) {
    std::string error;
    if (!write_file_atomically(dump_vmstate_path, snapshot::stream::json_text(machines::virt::dump_vmstate(vm), 4) + "\n", error)) {
      fmt::print(stderr, "lockstep run: {}\n", error);
      return kExitError;
    }
    return 0;
  }
  if (incoming) {
    if (Status s = load_incoming(vm, *incoming, incoming_timeout); !s) {
      fmt::print(stderr, "lockstep run: {}\n", s.error().message);
      return kExitError;
    }
  }
  // The JIT (a compiled tier under the interpreter): guest-visible results are the same with or
  // without it. LLVM starts in the background; if it cannot, everything is interpreted and that
  // is reported after the run (an error with --jit=on, a warning with auto).
  std::unique_ptr<lockstep::jit::Jit> compiled_tier;
  if (jit != "off") {
    compiled_tier = lockstep::jit::Jit::create(jit_options);
    vm.hart(0).code->tier = compiled_tier.get();
  }
  core::TraceSink sink{trace ? stderr : nullptr};
  if (migrate_at) cuts.push_back(*migrate_at);
  std::stable_sort(cuts.begin(), cuts.end(), [](const CutPoint& a, const CutPoint& b) { return a.icount < b.icount; });
  machines::virt::RunOutcome outcome;
  std::size_t next_cut = 0;
  // Cut points at or before a loaded snapshot's icount already happened on the source.
  while (next_cut < cuts.size() && cuts[next_cut].icount < vm.icount()) ++next_cut;
  for (;;) {
    std::optional<uint64_t> limit = max_insns;
    if (next_cut < cuts.size() && (!limit || cuts[next_cut].icount < *limit)) limit = cuts[next_cut].icount;
    outcome = vm.run(limit, trace ? &sink : nullptr);
    if (outcome.kind != machines::virt::RunOutcome::InsnLimit || next_cut == cuts.size() ||
        vm.icount() != cuts[next_cut].icount)
      break;
    const CutPoint& cut = cuts[next_cut++];
    if (cut.target.kind != MigrationEndpoint::File) {
      if (Status s = migrate_out(vm, cut.target); !s) {
        fmt::print(stderr, "lockstep run: migration at icount {} failed: {}\n", cut.icount, s.error().message);
        return kExitError;
      }
      fmt::print(stderr, "lockstep: migrated at icount {} to {}\n", vm.icount(), cut.target.text);
      if (digest) fmt::print(stderr, "digest {} {:016x}\n", vm.icount(), vm.digest());
      return 0;
    }
    auto saved = machines::virt::save_snapshot_file(vm, cut.target.path);
    if (!saved) {
      fmt::print(stderr, "lockstep run: --save-at {}: {}\n", cut.icount, saved.error().message);
      return kExitError;
    }
  }

  int code = outcome.exit_code;
  if (outcome.kind == machines::virt::RunOutcome::InsnLimit) {
    fmt::print(stderr, "lockstep: stopped after {} instructions (--max-insns)\n", vm.icount());
    code = kExitInsnLimit;
  } else if (outcome.kind == machines::virt::RunOutcome::Deadlock) {
    fmt::print(stderr, "lockstep: every hart waits for an interrupt and none can arrive (no timer armed); stopped at icount {}\n",
               vm.icount());
    code = kExitDeadlock;
  } else if (outcome.kind == machines::virt::RunOutcome::TrapLoop) {
    fmt::print(stderr,
               "lockstep: hart {} cannot fetch its trap vector 0x{:x} (trap cause {}): every fetch traps to the same "
               "address and no instruction can retire; stopped at icount {}\n",
               outcome.hart, outcome.pc, outcome.cause, vm.icount());
    code = kExitDeadlock;
  }
  // A cut the run ended before: say so, or a missing file is found only later and the exit looks clean.
  for (std::size_t i = next_cut; i < cuts.size(); ++i) {
    const CutPoint& cut = cuts[i];
    const bool file = cut.target.kind == MigrationEndpoint::File;
    fmt::print(stderr, "lockstep run: {} {}: the guest stopped at icount {}, before {}; {}\n",
               file ? "--save-at" : "--migrate-at", cut.icount, vm.icount(), cut.icount,
               file ? fmt::format("{} not written", cut.target.path) : fmt::format("nothing sent to {}", cut.target.text));
    code = kExitCutNotReached;
  }
  if (outcome.kind == machines::virt::RunOutcome::Exited && !vm.script_pending().empty()) {
    fmt::print(stderr, "lockstep: the guest stopped before {} matched\n", vm.script_pending());
  }
  if (!signature_path.empty()) {
    auto sig = vm.signature();
    std::string error;
    if (!sig) {
      fmt::print(stderr, "lockstep run: {}\n", sig.error().message);
      code = kExitError;
    } else if (!write_file_atomically(signature_path, sig.value(), error)) {
      fmt::print(stderr, "lockstep run: {}\n", error);
      code = kExitError;
    }
  }
  if (digest) fmt::print(stderr, "digest {} {:016x}\n", vm.icount(), vm.digest());
  if (jit_stats && compiled_tier) compiled_tier->print_stats(stderr, vm.icount());
  if (compiled_tier && !compiled_tier->start_error().empty()) {
    if (jit == "on") {
      fmt::print(stderr, "lockstep run: --jit=on: {} (the run was interpreted)\n", compiled_tier->start_error());
      code = kExitError;
    } else {
      fmt::print(stderr, "lockstep: the JIT could not start ({}); the run was interpreted\n", compiled_tier->start_error());
    }
  }
  // A batch still compiling on the JIT's helper thread would make the Jit's destructor wait for
  // code nobody will run: close the machine (disk images are flushed there) and end the process.
  if (compiled_tier && compiled_tier->compiling()) {
    created.value().reset();
    std::fflush(nullptr);
    std::_Exit(code);
  }
  return code;
}

}  // namespace lockstep::tools
