// `lockstep fuzz migration`: the semantic migration fuzzer (fuzz/migration/). The libFuzzer
// targets of fuzz/targets are separate binaries (see fuzz/README.md).
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "fuzz/migration/migration_fuzzer.h"
#include "machines/virt/machine_versions.h"
#include "tools/commands.h"
#include "tools/machine_options.h"
#include "tools/option_values.h"
#include "tools/qemu_style_args.h"

namespace lockstep::tools {
namespace {

namespace fm = lockstep::fuzz::migration;
constexpr int kExitFinding = 1;
constexpr int kExitError = 2;

Result<std::vector<std::string>> split_list(const std::string& text, const char* what) {
  std::vector<std::string> items;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    std::string item = text.substr(pos, comma - pos);
    if (item.empty()) return Error{fmt::format("{}: empty item in '{}'", what, text)};
    items.push_back(std::move(item));
    pos = comma + 1;
  }
  return items;
}

// A guest spelled as `lockstep run` options (firmware, kernel, disks, console script). The machine
// version is each case's; disks must not change, since every case boots the guest afresh.
Result<fm::FuzzGuest> run_options_guest(const std::string& text, std::uint64_t max_insns) {
  auto words = split_command_line(text);
  if (!words) return words.error();
  std::vector<std::string> argv_words = {"lockstep"};
  argv_words.insert(argv_words.end(), words->begin(), words->end());
  std::vector<char*> argv;
  for (auto& w : argv_words) argv.push_back(w.data());
  std::vector<std::string> args = qemu_style_args(static_cast<int>(argv.size()), argv.data());
  CLI::App app{"", "--guest-run"};
  MachineOptionTexts texts;
  add_machine_options(app, texts);
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::ParseError& e) {
    return Error{e.what()};
  }
  if (app.count("--machine")) return Error{"-M: the machine version is each case's: give versions with --machines"};
  auto setup = resolve_machine_options(texts);
  if (!setup) return setup.error();
  if (setup->config.kernel.empty() && setup->config.bios == "none") return Error{"nothing to run: give -kernel or -bios"};
  for (const auto& v : setup->config.virtio) {
    const auto& d = v.drive;
    if (v.kind == machines::virt::VirtioDeviceConfig::Kind::Blk && !d.read_only && !d.snapshot) {
      return Error{fmt::format("-drive file={}: add snapshot=on (or readonly=on): every case boots the guest afresh "
                               "from the same image, which must not change",
                               d.file)};
    }
  }
  fm::FuzzGuest g;
  const std::string& image = setup->config.kernel.empty() ? setup->config.bios : setup->config.kernel;
  g.name = std::filesystem::path(image).stem().string();
  g.config = std::move(setup->config);
  g.script = std::move(setup->script);
  g.run_args = std::move(words.value());
  g.max_insns = max_insns;
  return g;
}

int migration_main(int argc, char** argv) {
  CLI::App app{
      "Fuzz migrations: run guests straight and migrated in process (save to memory, a fresh machine loads it)\n"
      "at random cuts, with random engines and machine versions on either side, and check that\n"
      "  - the machine loaded at a cut has the digest of the machine that saved it,\n"
      "  - the migrated run ends as the straight run does (outcome, icount, digest, console output),\n"
      "  - a load is refused exactly when `snapshot check` of the two versions says incompatible, and for its reason,\n"
      "  - straight runs with the interpreter and the JIT agree.\n"
      "Cases are drawn from --seed (the same cases whatever --jobs). At the first finding the case is minimised\n"
      "(one cut, as late as it fails, the smallest guest, the interpreter) and a reproducer is written to --out.\n"
      "Exit status: 0 nothing found, 1 a finding, 2 an error.",
      "lockstep fuzz migration"};
  app.get_formatter()->column_width(30);
  std::vector<std::string> guest_files, guest_runs;
  std::string guest_dir, engines_text = "interp,jit", machines_text;
  std::string cases_text, case_text, max_insns_text = "50000000", jit_threshold_text = "1000", memory_text = "32M";
  double seconds = 0;
  fm::FuzzOptions options;
  options.jobs = std::max(1u, std::thread::hardware_concurrency());
  bool quiet = false;
  app.add_option("--guest", guest_files, "a bare-metal guest ELF, run as `lockstep run -bios none -kernel ELF`; repeatable");
  app.add_option("--guest-dir", guest_dir, "every *.elf in DIR is a guest (sorted by name)");
  app.add_option("--guest-run", guest_runs,
                 "a guest as `lockstep run` options in one argument, e.g. U-Boot with a disk and a console script: "
                 "'-smp 2 -bios fw_jump.bin -kernel u-boot.bin -drive file=d.img,if=virtio,snapshot=on "
                 "--send-on autoboot \" \" --stop-on \"=> \"' (-M is each case's; disks need snapshot=on or "
                 "readonly=on; -m applies only to --guest ELFs); repeatable");
  app.add_option("-m,--memory", memory_text,
                 "guest RAM, QEMU spelling (every case saves and loads every page: small is fast)")
      ->capture_default_str();
  app.add_option("--seed", options.seed, "the run's seed: which cases are drawn")->capture_default_str();
  app.add_option("--cases", cases_text, "stop after N cases (default 1000 unless --time is given)");
  app.add_option("--time", seconds, "stop after S seconds");
  app.add_option("--case", case_text, "check only this case (its 16-hex-digit seed, as a report names it)");
  app.add_option("-j,--jobs", options.jobs, "cases checked in parallel (default: the number of host cores)");
  app.add_option("--engines", engines_text, "engines the legs are drawn from: interp, jit or interp,jit")
      ->capture_default_str();
  app.add_option("-M,--machines", machines_text, "machine versions drawn from, comma-separated (default: all)");
  app.add_option("--max-cuts", options.max_cuts, "cuts per case, 1 to N")->capture_default_str();
  app.add_option("--cross-version", options.cross_version_percent,
                 "percent of cuts that load into another machine version (a version-pair probe)")
      ->capture_default_str();
  app.add_option("--jit-threshold", jit_threshold_text, "the JIT's threshold in fuzz runs (low: small guests get compiled)")
      ->capture_default_str();
  app.add_option("--max-insns", max_insns_text, "instructions a run may take before it is stopped (and compared there)")
      ->capture_default_str();
  app.add_option("-o,--out", options.out_dir, "where a finding's reproducer directory is written")->capture_default_str();
  app.add_flag("-q,--quiet", quiet, "no progress line");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitError;
  }
  auto fail = [](const std::string& message) {
    fmt::print(stderr, "lockstep fuzz migration: {}\n", message);
    return kExitError;
  };

  auto max_insns = parse_count(max_insns_text, "--max-insns");
  if (!max_insns || max_insns.value() == 0) return fail(max_insns ? "--max-insns must be at least 1" : max_insns.error().message);
  auto ram_size = parse_memory_size(memory_text);
  if (!ram_size) return fail(ram_size.error().message);
  auto threshold = parse_count(jit_threshold_text, "--jit-threshold");
  if (!threshold || threshold.value() == 0 || threshold.value() > 1'000'000'000)
    return fail(fmt::format("invalid --jit-threshold '{}': give a count from 1 to 1000000000", jit_threshold_text));
  if (options.max_cuts == 0 || options.max_cuts > 64) return fail("--max-cuts must be 1 to 64");
  if (options.cross_version_percent > 100) return fail("--cross-version is a percentage, 0 to 100");
  if (options.jobs == 0 || options.jobs > 256) return fail("--jobs must be 1 to 256");
  if (!cases_text.empty()) {
    auto n = parse_count(cases_text, "--cases");
    if (!n || n.value() == 0) return fail(n ? "--cases must be at least 1" : n.error().message);
    options.cases = n.value();
  }
  if (seconds < 0) return fail("--time must not be negative");
  if (seconds > 0) options.seconds = seconds;
  if (!options.cases && !options.seconds) options.cases = 1000;
  if (!case_text.empty()) {
    std::uint64_t seed = 0;
    const auto [ptr, ec] = std::from_chars(case_text.data(), case_text.data() + case_text.size(), seed, 16);
    if (ec != std::errc{} || ptr != case_text.data() + case_text.size())
      return fail(fmt::format("invalid --case '{}': give the case's seed in hex, as the report names it", case_text));
    options.only_case = seed;
  }
  if (quiet) options.progress = nullptr;

  std::vector<fm::Engine> engines;
  auto engine_names = split_list(engines_text, "--engines");
  if (!engine_names) return fail(engine_names.error().message);
  for (const auto& e : engine_names.value()) {
    if (e == "interp") engines.push_back(fm::Engine::Interpreter);
    else if (e == "jit") engines.push_back(fm::Engine::Jit);
    else return fail(fmt::format("--engines: unknown engine '{}' (interp, jit)", e));
  }
  if (std::find(engines.begin(), engines.end(), fm::Engine::Jit) != engines.end()) {
    auto probe = jit::Jit::create({});
    if (!probe->start_error().empty())
      return fail(fmt::format("--engines jit: the JIT cannot start: {}", probe->start_error()));
  }
  std::vector<std::string> versions;
  if (machines_text.empty()) {
    for (const auto& v : machines::virt::machine_versions()) versions.emplace_back(v.name);
  } else {
    auto names = split_list(machines_text, "--machines");
    if (!names) return fail(names.error().message);
    for (const auto& n : names.value()) {
      auto v = machines::virt::find_machine_version(n);
      if (!v) return fail(fmt::format("--machines: unknown machine '{}'\n{}", n, machines::virt::machine_version_help()));
      versions.emplace_back(v->name);
    }
  }

  std::vector<std::string> elf_paths = guest_files;
  if (!guest_dir.empty()) {
    std::error_code ec;
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(guest_dir, ec))
      if (entry.path().extension() == ".elf") found.push_back(entry.path().string());
    if (ec) return fail(fmt::format("--guest-dir {}: {}", guest_dir, ec.message()));
    std::sort(found.begin(), found.end());
    if (found.empty()) return fail(fmt::format("--guest-dir {}: no *.elf file", guest_dir));
    elf_paths.insert(elf_paths.end(), found.begin(), found.end());
  }
  if (elf_paths.empty() && guest_runs.empty()) return fail("no guest: give --guest ELF, --guest-dir DIR or --guest-run OPTIONS");
  std::vector<fm::FuzzGuest> guests;
  for (const auto& path : elf_paths) {
    if (!std::filesystem::is_regular_file(path)) return fail(fmt::format("--guest {}: no such file", path));
    guests.push_back(fm::bare_metal_guest(path, ram_size.value(), max_insns.value()));
  }
  for (const auto& text : guest_runs) {
    auto g = run_options_guest(text, max_insns.value());
    if (!g) return fail(fmt::format("--guest-run '{}': {}", text, g.error().message));
    guests.push_back(std::move(g.value()));
  }

  fm::EngineOptions engine;
  engine.jit_threshold = static_cast<core::u32>(threshold.value());
  fm::MigrationOracle oracle(std::move(guests), std::move(versions), std::move(engines), engine);
  if (options.progress) fmt::print(options.progress, "fuzz migration: {} guests; straight runs and static checks...\n",
                                   oracle.guests().size());
  auto prepared = oracle.prepare(options.jobs);
  if (!prepared) return fail(prepared.error().message);
  if (prepared.value()) {
    const fm::Finding& f = *prepared.value();
    fmt::print(stderr, "finding: {}\n  {}\n", fm::finding_kind_name(f.kind), f.summary);
    for (const auto& d : f.details) fmt::print(stderr, "  {}\n", d);
    return kExitFinding;
  }
  auto summary = fm::fuzz_migrations(oracle, options);
  if (!summary) return fail(summary.error().message);
  if (summary->finding_dir) {
    std::string report;
    if (FILE* f = std::fopen((*summary->finding_dir + "/report.txt").c_str(), "r")) {
      char buf[4096];
      for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) report.append(buf, n);
      std::fclose(f);
    }
    fmt::print(stderr, "{}\nreproducer: {}\n", report, *summary->finding_dir);
    return kExitFinding;
  }
  return 0;
}

}  // namespace

int fuzz_main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "migration") return migration_main(argc - 1, argv + 1);
  const bool help = argc >= 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h");
  fmt::print(help ? stdout : stderr,
             "Usage: lockstep fuzz migration [OPTIONS]   (lockstep fuzz migration --help)\n"
             "  migration  fuzz migrations of guests: cut points, engines and machine-version pairs\n"
             "The libFuzzer targets (stream loader, snapshot tools, devices) are separate binaries: fuzz/README.md.\n");
  return help ? 0 : kExitError;
}

}  // namespace lockstep::tools
