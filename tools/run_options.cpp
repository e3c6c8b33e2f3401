#include "tools/run_options.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "tools/option_values.h"
#include "tools/qemu_style_args.h"

namespace lockstep::tools {

void add_run_options(CLI::App& app, RunOptionTexts& t) {
  add_machine_options(app, t.machine);
  app.add_option("--dumpdtb", t.dumpdtb, "write the device tree given to the guest to FILE and exit");
  app.add_option("--max-insns", t.max_insns, "stop after N instructions (exit code 3)");
  app.add_flag("--digest", t.digest, "at exit, print 'digest <icount> <xxh3-64>' of all machine state to stderr");
  app.add_option("--jit", t.jit,
                 "execution engine: off (interpreter only), on (tiered LLVM JIT; exit status 1 after the run if LLVM "
                 "could not start), auto (tiered JIT, or the interpreter with a warning if LLVM cannot start)")
      ->check(CLI::IsMember({"off", "on", "auto"}))
      ->capture_default_str();
  app.add_option("--jit-threshold", t.jit_threshold,
                 "instructions the interpreter runs in a block before its region is compiled (default 2000000)");
  app.add_option("--jit-cache-regions", t.jit_cache,
                 "compiled regions kept at once; past it the code cache is emptied (default 4096)");
  app.add_flag("--jit-compile-thread", t.jit_compile_thread,
               "compile on a helper thread (installed at a deterministic instruction, waiting if needed); "
               "measured slower than compiling on the guest thread on a 2-core host");
  app.add_flag("--jit-stats", t.jit_stats, "at exit, print JIT statistics (regions, compile time, hit rates) to stderr");
  app.add_flag("--jit-verify", t.jit_verify,
               "check every compiled region execution against the interpreter on a copy of the state; "
               "stop at the first difference");
  app.add_flag("--trace", t.trace, "trace every instruction to stderr: icount, privilege, pc, bits, disassembly");
  app.add_option("--save-at", t.save_at,
                 "ICOUNT=FILE: when the instruction count reaches ICOUNT, write a snapshot to FILE (atomically; "
                 "FILE.zst is zstd-compressed) and go on; repeatable");
  app.add_option("--incoming", t.incoming,
                 "FILE|unix:PATH|tcp:HOST:PORT: load a snapshot (waiting for one connection on a socket), then "
                 "continue; give the same other options as the source");
  app.add_option("--incoming-timeout", t.incoming_timeout,
                 "with --incoming unix:/tcp:, give up (exit 1) when no source connects, or a connected source "
                 "sends nothing, for S seconds (default 0: wait as long as it takes, as QEMU's -incoming does)");
  app.add_option("--migrate-at", t.migrate_at,
                 "ICOUNT=unix:PATH|tcp:HOST:PORT: at ICOUNT, stop and send the machine to a destination waiting "
                 "with --incoming, then exit");
  app.add_option("--dump-vmstate", t.dump_vmstate,
                 "write the machine's vmstate schema (QEMU's -dump-vmstate JSON layout) to FILE and exit");
  app.add_option("--describe-destination", t.describe,
                 "write what this configuration expects of an incoming stream (machine, RAM blocks, sections, "
                 "schema; what `lockstep snapshot explain` reads) to FILE, or - for stdout, and exit");
  app.add_option("--signature", t.signature,
                 "at exit, write [begin_signature, end_signature) as riscv-arch-test expects it");
  app.add_flag("--nographic", t.nographic,
               "the console is this terminal, both ways, as QEMU's -nographic: raw mode, Ctrl-A x quits, Ctrl-A h "
               "helps (without it, stdin is read only when stdin and stdout are both terminals)");
  app.add_option("--serial", t.serial, "stdio or mon:stdio: the console reads stdin (as -nographic), even a pipe");
  app.add_flag("-s", t.gdb_default, "serve the guest to gdb on tcp::1234 (QEMU's -s: -gdb tcp::1234)");
  app.add_flag("-S", t.gdb_wait, "with -s or -gdb: run nothing until gdb says so (QEMU's -S)");
  app.add_option("--gdb", t.gdb,
                 "DEV: serve the guest to gdb's remote protocol on tcp::PORT, tcp:HOST:PORT or unix:PATH, with "
                 "reverse execution (reverse-stepi, reverse-continue) from in-memory checkpoints");
  app.add_option("--gdb-checkpoint-interval", t.gdb_interval,
                 "with -s/-gdb: instructions between the debugger's checkpoints (default 4194304)");
  app.add_option("--gdb-checkpoint-memory", t.gdb_memory,
                 "with -s/-gdb: memory the checkpoints may take, QEMU's size spelling (default 1G); past it "
                 "the densest are dropped");
}

Result<RunOptions> resolve_run_options(const RunOptionTexts& t) {
  RunOptions o;
  if (t.machine.machine == "help" || t.machine.machine == "?") {
    o.machine_help = true;
    return o;
  }
  LS_TRY_ASSIGN(o.setup, resolve_machine_options(t.machine));
  for (const std::string& text : t.save_at) {
    auto c = parse_cut_point(text, "--save-at", /*allow_file=*/true);
    if (!c) return c.error();
    if (c->target.kind != MigrationEndpoint::File) return Error{fmt::format("--save-at '{}': expected ICOUNT=FILE", text)};
    o.cuts.push_back(c.value());
  }
  if (!t.migrate_at.empty()) {
    LS_TRY_ASSIGN(CutPoint c, parse_cut_point(t.migrate_at, "--migrate-at", /*allow_file=*/false));
    o.cuts.push_back(c);
  }
  std::stable_sort(o.cuts.begin(), o.cuts.end(), [](const CutPoint& a, const CutPoint& b) { return a.icount < b.icount; });
  if (!t.incoming.empty()) {
    auto e = parse_endpoint(t.incoming, /*allow_file=*/true);
    if (!e) return Error{"--incoming: " + e.error().message};
    o.incoming = e.value();
  }
  o.incoming_timeout = t.incoming_timeout;
  if (!t.max_insns.empty()) {
    LS_TRY_ASSIGN(o.max_insns, parse_count(t.max_insns, "--max-insns"));
  }
  o.jit = t.jit;
  o.jit_options.verify = t.jit_verify;
  o.jit_options.helper_thread = t.jit_compile_thread;
  if (!t.jit_threshold.empty()) {
    auto n = parse_count(t.jit_threshold, "--jit-threshold");
    if (!n || n.value() < 1 || n.value() > 1'000'000'000)
      return Error{fmt::format("invalid --jit-threshold '{}': give a count from 1 to 1000000000", t.jit_threshold)};
    o.jit_options.threshold = static_cast<uint32_t>(n.value());
  }
  if (!t.jit_cache.empty()) {
    auto n = parse_count(t.jit_cache, "--jit-cache-regions");
    if (!n || n.value() < 1 || n.value() > 1'000'000)
      return Error{fmt::format("invalid --jit-cache-regions '{}': give a count from 1 to 1000000", t.jit_cache)};
    o.jit_options.max_regions = static_cast<unsigned>(n.value());
  }
  o.jit_stats = t.jit_stats;
  if (t.jit == "off" && (t.jit_verify || t.jit_stats || t.jit_compile_thread || !t.jit_threshold.empty() || !t.jit_cache.empty()))
    return Error{"--jit-verify, --jit-stats, --jit-threshold, --jit-cache-regions and --jit-compile-thread need "
                 "--jit=on or auto"};
  o.digest = t.digest;
  o.trace = t.trace;
  o.signature_path = t.signature;
  o.dumpdtb_path = t.dumpdtb;
  o.dump_vmstate_path = t.dump_vmstate;
  o.describe_path = t.describe;
  if (!t.serial.empty() && t.serial != "stdio" && t.serial != "mon:stdio")
    return Error{fmt::format("-serial '{}': the console can be stdio or mon:stdio (the terminal)", t.serial)};
  if (t.nographic || !t.serial.empty())
    o.console_input = ConsoleInput::Stdin;
  else if (::isatty(STDIN_FILENO) == 1 && ::isatty(STDOUT_FILENO) == 1 && o.setup.script.empty())
    o.console_input = ConsoleInput::Stdin;  // someone at a terminal, as with QEMU -nographic
  if (t.gdb_default && !t.gdb.empty()) return Error{"-s is -gdb tcp::1234: give one of them"};
  if (t.gdb_default || !t.gdb.empty()) o.gdb_listen = t.gdb_default ? "tcp::1234" : t.gdb;
  o.gdb_wait = t.gdb_wait;
  if (t.gdb_wait && !o.gdb_listen) return Error{"-S waits for gdb: give -s or -gdb DEV too"};
  if ((!t.gdb_interval.empty() || !t.gdb_memory.empty()) && !o.gdb_listen)
    return Error{"--gdb-checkpoint-interval and --gdb-checkpoint-memory need -s or -gdb"};
  if (!t.gdb_interval.empty()) {
    auto n = parse_count(t.gdb_interval, "--gdb-checkpoint-interval");
    if (!n || n.value() == 0) return Error{fmt::format("--gdb-checkpoint-interval '{}': give a positive count", t.gdb_interval)};
    o.gdb_checkpoint_interval = n.value();
  }
  if (!t.gdb_memory.empty()) {
    LS_TRY_ASSIGN(o.gdb_checkpoint_memory, parse_memory_size(t.gdb_memory));
  }
  if (o.gdb_listen && (!o.cuts.empty() || o.max_insns))
    return Error{"-s/-gdb cannot be combined with --save-at, --migrate-at or --max-insns (gdb stops the guest; "
                 "`monitor goto N` moves to an icount)"};
  if (o.setup.config.kernel.empty() && o.setup.config.bios == "none" && o.dump_vmstate_path.empty() &&
      o.describe_path.empty())
    return Error{"nothing to run: give -kernel, or -bios with a firmware"};
  return o;
}

Result<RunOptions> parse_run_options(const std::vector<std::string>& args, bool later_wins) {
  CLI::App app{"lockstep run"};
  if (later_wins) app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  RunOptionTexts texts;
  add_run_options(app, texts);
  std::vector<std::string> words{"run"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  std::vector<std::string> qemu = qemu_style_args(static_cast<int>(argv.size()), argv.data());
  std::vector<char*> cargs;
  for (auto& a : qemu) cargs.push_back(a.data());
  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::CallForHelp&) {
    return Error{"--help is not a run option here"};
  } catch (const CLI::ParseError& e) {
    return Error{e.what()};
  }
  return resolve_run_options(texts);
}

std::string run_options_help() {
  CLI::App app{"", "lockstep run"};
  RunOptionTexts texts;
  add_run_options(app, texts);
  app.get_formatter()->column_width(34);
  return app.help();
}

}  // namespace lockstep::tools
