#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <tuple>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "tools/bench_record.h"
#include "tools/bench_snapshot.h"
#include "tools/commands.h"
#include "tools/host_process.h"

namespace lockstep::tools {
namespace {

namespace fs = std::filesystem;

constexpr const char* kQemuBase[] = {"-M", "virt", "-m", "256M",
                                     "-cpu", "rv64,h=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false",
                                     "-bios", "none", "-display", "none", "-serial", "stdio", "-monitor", "none"};

struct Engine {
  std::string name;
  std::vector<std::string> argv;  // without the workload path
};

constexpr const char* kFwJump = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";
constexpr const char* kUboot = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";

struct Measurement {
  double best_seconds = std::numeric_limits<double>::infinity();
  std::string output;
  bool ok = true;
  std::string problem;
};

// The retired-instruction count the guest prints last ("minstret=N").
std::optional<uint64_t> guest_instructions(const std::string& output) {
  const auto pos = output.rfind("minstret=");
  if (pos == std::string::npos) return std::nullopt;
  return std::strtoull(output.c_str() + pos + 9, nullptr, 10);
}

fs::path self_path() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path("lockstep") : p;
}

// Per engine name, its speed over QEMU -icount's on each program measured (for the geometric mean).
using RatiosByEngine = std::map<std::string, std::vector<double>>;

// A guest booted through firmware, timed from power-on until its console shows `done` (the U-Boot
// prompt, or Linux powering off). Only the machine's firmware and kernel arguments differ between
// lockstep and QEMU.
struct BootBench {
  std::string label;
  std::vector<std::string> guest;    // firmware/kernel options, the same for lockstep and QEMU
  std::vector<std::string> ours;     // extra options for lockstep (console script)
  std::string key_after;             // QEMU: type a key once its output contains this (empty: none)
  std::string done;                  // console text that ends the measurement
  std::string what;
};

int bench_boot(const BootBench& spec, const std::string& jit, const std::string& qemu, int runs, int timeout,
               RatiosByEngine& ratios) {
  struct Boot {
    std::string name;
    std::vector<std::string> argv;
    bool types_key;
  };
  std::vector<Boot> boots;
  std::vector<std::string> ours = {self_path().string(), "run", "-M", "virt", "-m", "256M", "--jit=" + jit};
  ours.insert(ours.end(), spec.ours.begin(), spec.ours.end());
  ours.insert(ours.end(), spec.guest.begin(), spec.guest.end());
  boots.push_back({fmt::format("lockstep --jit={}", jit), ours, false});
  // The interpreter beside the JIT, so that the JIT's effect on the boot shows in the same run.
  std::vector<Boot> interpreter_boot;
  if (jit != "off") {
    std::vector<std::string> off = ours;
    std::replace(off.begin(), off.end(), std::string("--jit=" + jit), std::string("--jit=off"));
    interpreter_boot.push_back({"lockstep --jit=off", off, false});
  }
  for (bool icount : {true, false}) {
    std::vector<std::string> q = {qemu};
    for (const char* a : kQemuBase) q.push_back(a);
    // kQemuBase says -bios none: the guest's options bring the firmware (QEMU's default without one).
    auto it = std::find(q.begin(), q.end(), "-bios");
    if (it != q.end()) q.erase(it, it + 2);
    q.insert(q.end(), spec.guest.begin(), spec.guest.end());
    if (icount) q.insert(q.end(), {"-icount", "shift=0,sleep=off"});
    boots.push_back({icount ? "qemu -icount shift=0" : "qemu", q, !spec.key_after.empty()});
  }
  boots.insert(boots.end(), interpreter_boot.begin(), interpreter_boot.end());
  std::vector<double> best(boots.size(), std::numeric_limits<double>::infinity());
  int status = 0;
  for (int r = 0; r < runs; ++r) {
    for (size_t b = 0; b < boots.size(); ++b) {
      ProcessOptions options;
      options.timeout_seconds = timeout;
      if (boots[b].types_key) {
        options.respond_when_output_contains = spec.key_after;
        options.respond_with = " ";
      }
      options.stop_when_output_contains = spec.done;
      const ProcessResult p = run_process(boots[b].argv, options);
      if (p.timed_out || p.spawn_failed || p.out.find(spec.done) == std::string::npos) {
        status = 1;
        continue;
      }
      best[b] = std::min(best[b], p.seconds);
    }
  }
  for (size_t b = 0; b < boots.size(); ++b) {
    if (best[b] == std::numeric_limits<double>::infinity()) {
      fmt::print("{:<18} {:<24} {:>10} {:>9} {:>14}  {}\n", spec.label, boots[b].name, "-", "-", "-",
                 fmt::format("never printed '{}'", spec.done));
      continue;
    }
    fmt::print("{:<18} {:<24} {:>10.3f} {:>9} {:>13.2f}x  {}\n", spec.label, boots[b].name, best[b], "",
               best[1] / best[b], b == 0 ? spec.what : "");
    if (best[1] != std::numeric_limits<double>::infinity()) ratios[boots[b].name].push_back(best[1] / best[b]);
  }
  return status;
}

// OpenSBI + U-Boot from power-on to the U-Boot prompt (autoboot interrupted by a key).
int bench_uboot(const std::string& jit, const std::string& qemu, int runs, int timeout, RatiosByEngine& ratios) {
  if (!fs::exists(kFwJump) || !fs::exists(kUboot)) {
    fmt::print(stderr, "lockstep bench: Debian's opensbi/u-boot-qemu not installed; skipping the U-Boot boot\n");
    return 0;
  }
  return bench_boot({"uboot-prompt", {"-bios", kFwJump, "-kernel", kUboot}, {"--send-on", "autoboot", " "}, "autoboot",
                     "=> ", "time from start to the => prompt"},
                    jit, qemu, runs, timeout, ratios);
}

// Debian's kernel with the test initramfs (scripts/linux-guest.sh): power-on to power-off, and the
// same with a userspace workload (generate, gzip and hash 1.3 MB) before it. QEMU boots its own
// OpenSBI and device tree: the instruction counts differ a little, the work does not.
int bench_linux(const fs::path& dir, const std::string& jit, const std::string& qemu, int runs, int timeout,
                RatiosByEngine& ratios) {
  const fs::path image = dir / "Image", initrd = dir / "initramfs.cpio";
  if (!fs::exists(image) || !fs::exists(initrd)) {
    fmt::print(stderr,
               "lockstep bench: no Linux guest in {} (scripts/linux-guest.sh {} makes one; ctest -R linux/guest "
               "makes build/tests/linux/guest); skipping the Linux boot\n",
               dir.string(), dir.string());
    return 0;
  }
  int status = 0;
  for (const auto& [label, run, what] :
       {std::tuple{"linux-boot", "poweroff", "power-on to power-off"},
        std::tuple{"linux-workload", "workload", "boot, seq|gzip|md5sum|sha256sum in busybox, power-off"}}) {
    const std::vector<std::string> guest = {"-kernel", image.string(), "-initrd", initrd.string(), "-append",
                                            fmt::format("console=ttyS0 quiet LOCKSTEP_RUN={}", run)};
    status |= bench_boot({label, guest, {}, "", "reboot: Power down", what}, jit, qemu, runs, timeout, ratios);
  }
  return status;
}

}  // namespace

int bench_main(int argc, char** argv) {
  CLI::App app{
      "Benchmark lockstep side by side with QEMU (Debian's qemu-system-riscv64) in the same run.\n"
      "Each workload runs on lockstep, on QEMU with -icount shift=0,sleep=off (deterministic, the mark to beat)\n"
      "and on plain QEMU; whole-process wall time, best of --runs. MIPS use the instruction count the guest\n"
      "prints last (minstret=N). Ratios are lockstep's speed over QEMU's: > 1 means lockstep is faster.",
      "lockstep bench"};
  std::vector<std::string> workloads;
  int runs = 3;
  int timeout = 600;
  std::string qemu = "qemu-system-riscv64";
  std::string jit = "off";
  bool uboot = true;
  std::string linux_dir = (self_path().parent_path().parent_path() / "tests" / "linux" / "guest").string();
  bool linux_boot = true;
  bool snapshot = false;
  std::string snapshot_dir = "/tmp";
  app.add_option("--workload", workloads, "guest ELF to run (repeatable); default: the built bench workloads");
  app.add_option("--runs", runs, "runs per engine; the best time counts")->capture_default_str()->check(CLI::Range(1, 100));
  app.add_option("--timeout", timeout, "seconds before a run is killed")->capture_default_str();
  app.add_option("--qemu", qemu, "QEMU binary")->capture_default_str();
  app.add_flag("!--no-uboot", uboot, "skip the OpenSBI + U-Boot boot-to-prompt measurement");
  app.add_option("--linux", linux_dir, "directory with the Linux guest's Image and initramfs.cpio (scripts/linux-guest.sh)")
      ->capture_default_str();
  app.add_flag("!--no-linux", linux_boot, "skip the Linux boot and workload measurements");
  app.add_flag("--snapshot", snapshot,
               "instead: save and load of a 1 GiB guest (a quarter of its pages data), plain and .zst, beside "
               "QEMU's own save of the same guest");
  app.add_option("--snapshot-dir", snapshot_dir, "where --snapshot and --record write their files")->capture_default_str();
  bool record = false;
  app.add_flag("--record", record,
               "instead: lockstep record's overhead over a plain run, trace size, replay speed, beside QEMU's own "
               "-icount rr=record on the same guests (the integer workload, and Linux when built)");
  app.add_option("--jit", jit, "lockstep's engine: off, on, auto (on/auto also run --jit=off beside it)")->check(CLI::IsMember({"off", "on", "auto"}))->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "lockstep bench: {}\n", e.what());
    return 1;
  }

  if (snapshot) return bench_snapshot(qemu, runs, timeout, snapshot_dir);
  if (record)
    return bench_record((self_path().parent_path().parent_path() / "tests" / "guests").string(), linux_dir, qemu, runs,
                        timeout, snapshot_dir);
  if (workloads.empty()) {
    const fs::path dir = self_path().parent_path().parent_path() / "tests" / "guests";
    // The packed variants are the same programs linked with data on their last code page.
    for (const char* name : {"int_workload.elf", "fp_workload.elf", "int_workload_packed.elf", "fp_workload_packed.elf"}) {
      if (fs::exists(dir / name)) workloads.push_back((dir / name).string());
    }
    if (workloads.empty()) {
      fmt::print(stderr, "lockstep bench: no workloads found in {} (build the project, or pass --workload)\n", dir.string());
      return 1;
    }
  }

  std::vector<Engine> engines;
  engines.push_back({fmt::format("lockstep --jit={}", jit),
                     {self_path().string(), "run", "-M", "virt", "-m", "256M", "-bios", "none", "--jit=" + jit, "-kernel"}});
  Engine qemu_icount{"qemu -icount shift=0", {qemu}};
  Engine qemu_plain{"qemu", {qemu}};
  for (const char* a : kQemuBase) {
    qemu_icount.argv.push_back(a);
    qemu_plain.argv.push_back(a);
  }
  qemu_icount.argv.insert(qemu_icount.argv.end(), {"-icount", "shift=0,sleep=off", "-kernel"});
  qemu_plain.argv.push_back("-kernel");
  engines.push_back(qemu_icount);
  engines.push_back(qemu_plain);
  if (jit != "off") {
    engines.push_back({"lockstep --jit=off",
                       {self_path().string(), "run", "-M", "virt", "-m", "256M", "-bios", "none", "--jit=off", "-kernel"}});
  }

  int status = 0;
  fmt::print("{:<18} {:<24} {:>10} {:>9} {:>14}  {}\n", "workload", "engine", "best s", "MIPS", "vs qemu-icount", "check");
  RatiosByEngine ratios;
  if (uboot) status |= bench_uboot(jit, qemu, runs, timeout, ratios);
  if (linux_boot) status |= bench_linux(linux_dir, jit, qemu, runs, timeout, ratios);
  for (const std::string& w : workloads) {
    std::vector<Measurement> results(engines.size());
    // Interleave engines run by run so that a noisy moment on the machine hits all of them.
    for (int r = 0; r < runs; ++r) {
      for (size_t e = 0; e < engines.size(); ++e) {
        std::vector<std::string> cmd = engines[e].argv;
        cmd.push_back(w);
        const ProcessResult p = run_process(cmd, timeout);
        Measurement& m = results[e];
        if (p.spawn_failed || p.timed_out || p.signal || p.exit_code != 0) {
          m.ok = false;
          m.problem = p.spawn_failed ? "could not start" : p.timed_out ? "timed out" : fmt::format("exit {}", p.exit_code);
          continue;
        }
        m.best_seconds = std::min(m.best_seconds, p.seconds);
        m.output = p.out;
      }
    }
    const auto insns = guest_instructions(results[1].output);
    const double reference = results[1].ok ? results[1].best_seconds : 0;
    for (size_t e = 0; e < engines.size(); ++e) {
      const Measurement& m = results[e];
      const std::string name = fs::path(w).filename().string();
      if (!m.ok) {
        fmt::print("{:<18} {:<24} {:>10} {:>9} {:>14}  {}\n", name, engines[e].name, "-", "-", "-", m.problem);
        status = 1;
        continue;
      }
      const double mips = insns ? static_cast<double>(*insns) / m.best_seconds / 1e6 : 0;
      const bool ours = e == 0 || e == 3;
      const std::string check =
          ours ? (m.output == results[1].output ? "same output as qemu -icount" : "OUTPUT DIFFERS") : "";
      if (ours && m.output != results[1].output) status = 1;
      fmt::print("{:<18} {:<24} {:>10.3f} {:>9.1f} {:>13.2f}x  {}\n", name, engines[e].name, m.best_seconds, mips,
                 reference > 0 ? reference / m.best_seconds : 0.0, check);
      if (reference > 0) ratios[engines[e].name].push_back(reference / m.best_seconds);
    }
  }
  for (const auto& [engine, r] : ratios) {
    double log_sum = 0;
    for (double x : r) log_sum += std::log(x);
    fmt::print("{:<18} {:<24} {:>10} {:>9} {:>13.2f}x  over {} programs\n", "geometric mean", engine, "", "",
               std::exp(log_sum / static_cast<double>(r.size())), r.size());
  }
  return status;
}

}  // namespace lockstep::tools
