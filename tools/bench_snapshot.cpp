#include "tools/bench_snapshot.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <cstdlib>

#include <fmt/format.h>

#include "machines/virt/virt_snapshot.h"
#include "tools/host_process.h"

namespace lockstep::tools {
namespace fs = std::filesystem;
namespace {

constexpr std::uint64_t kRam = std::uint64_t{1} << 30;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

fs::path self_dir() { return fs::read_symlink("/proc/self/exe").parent_path(); }

Result<std::unique_ptr<machines::virt::VirtMachine>> filled_machine(const std::string& elf, bool run_guest) {
  machines::virt::VirtConfig c;
  c.ram_size = kRam;
  c.bios = "none";
  c.kernel = elf;
  machines::ConsoleScript script;
  script.set_stop("filled\n");
  auto m = machines::virt::VirtMachine::create(c, {}, std::move(script));
  if (!m) return m.error();
  if (run_guest) {
    auto out = m.value()->run(std::uint64_t{1} << 34);
    if (out.kind != machines::virt::RunOutcome::ScriptStop) return Error{"the fill guest did not print 'filled'"};
  }
  return m;
}

// QEMU: the same guest, then HMP `migrate "exec:cat > F"` with the bandwidth limit lifted; QEMU's
// own "total time" of the migration is its save time.
std::optional<double> qemu_save_seconds(const std::string& qemu, const std::string& elf, const std::string& out,
                                        int timeout, std::string& problem) {
  // Migrate only once the guest has filled its memory (it says so on the serial port).
  const std::string serial = out + ".serial";
  std::remove(serial.c_str());
  const std::string script = fmt::format(
      "while ! grep -q filled {} 2>/dev/null; do sleep 0.05; done; "
      "printf 'migrate_set_parameter max-bandwidth 1T\\nmigrate \"exec:cat > {}\"\\ninfo migrate\\nquit\\n'",
      serial, out);
  const std::string cmd = fmt::format(
      "({}) | {} -M virt -m 1G -cpu rv64,h=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false -bios none "
      "-kernel {} -display none -serial file:{} -monitor stdio",
      script, qemu, elf, serial);
  ProcessOptions o;
  o.timeout_seconds = timeout;
  ProcessResult r = run_process({"sh", "-c", cmd}, o);
  std::remove(serial.c_str());
  const std::string key = "total time: ";
  const std::size_t at = r.out.find(key);
  if (at == std::string::npos) {
    problem = "no 'total time' in QEMU's info migrate: " + r.status();
    return std::nullopt;
  }
  return std::strtod(r.out.c_str() + at + key.size(), nullptr) / 1000.0;
}

}  // namespace

int bench_snapshot(const std::string& qemu, int runs, int timeout, const std::string& dir) {
  const std::string elf = (self_dir().parent_path() / "tests" / "guests" / "ram_fill.elf").string();
  if (!fs::exists(elf)) {
    fmt::print(stderr, "lockstep bench: {} not found (build the project first)\n", elf);
    return 1;
  }
  fs::create_directories(dir);
  const std::string plain = (fs::path(dir) / "bench.mig").string();
  const std::string zst = (fs::path(dir) / "bench.mig.zst").string();
  const std::string qemu_file = (fs::path(dir) / "bench-qemu.mig").string();

  auto src = filled_machine(elf, true);
  if (!src) {
    fmt::print(stderr, "lockstep bench: {}\n", src.error().message);
    return 1;
  }
  struct Best {
    double save = 1e9, save_zst = 1e9, load = 1e9, load_zst = 1e9, qemu = 1e9;
  } best;
  std::uint64_t plain_bytes = 0, zst_bytes = 0, qemu_bytes = 0;
  std::string problem;
  for (int run = 0; run < runs; ++run) {
    auto t0 = std::chrono::steady_clock::now();
    auto s = machines::virt::save_snapshot_file(*src.value(), plain);
    if (!s) return fmt::print(stderr, "lockstep bench: save: {}\n", s.error().message), 1;
    best.save = std::min(best.save, seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    s = machines::virt::save_snapshot_file(*src.value(), zst);
    if (!s) return fmt::print(stderr, "lockstep bench: save: {}\n", s.error().message), 1;
    best.save_zst = std::min(best.save_zst, seconds_since(t0));
    for (int z = 0; z < 2; ++z) {
      auto dst = filled_machine(elf, false);
      if (!dst) return fmt::print(stderr, "lockstep bench: {}\n", dst.error().message), 1;
      t0 = std::chrono::steady_clock::now();
      Status l = machines::virt::load_snapshot_file(*dst.value(), z ? zst : plain);
      if (!l) return fmt::print(stderr, "lockstep bench: load: {}\n", l.error().message), 1;
      double& b = z ? best.load_zst : best.load;
      b = std::min(b, seconds_since(t0));
    }
    if (auto q = qemu_save_seconds(qemu, elf, qemu_file, timeout, problem)) best.qemu = std::min(best.qemu, *q);
  }
  plain_bytes = fs::file_size(plain);
  zst_bytes = fs::file_size(zst);
  if (fs::exists(qemu_file)) qemu_bytes = fs::file_size(qemu_file);
  const double gib = static_cast<double>(kRam) / 1e9;
  fmt::print("snapshot of a 1 GiB guest, a quarter of its pages holding data (best of {}):\n", runs);
  fmt::print("{:<34} {:>9} {:>11} {:>12}\n", "", "seconds", "GB/s (RAM)", "file MB");
  auto row = [&](const char* what, double s, std::uint64_t bytes) {
    fmt::print("{:<34} {:>9.3f} {:>11.2f} {:>12.1f}\n", what, s, gib / s, static_cast<double>(bytes) / 1e6);
  };
  row("lockstep save (plain, fsync)", best.save, plain_bytes);
  row("lockstep save (.zst, fsync)", best.save_zst, zst_bytes);
  row("lockstep load (plain, verified)", best.load, plain_bytes);
  row("lockstep load (.zst, verified)", best.load_zst, zst_bytes);
  if (best.qemu < 1e9) {
    row("qemu save (exec:cat > F)", best.qemu, qemu_bytes);
    fmt::print("lockstep plain save vs qemu save: {:.2f}x faster\n", best.qemu / best.save);
  } else {
    fmt::print("qemu save: {}\n", problem);
  }
  for (const auto& f : {plain, zst, qemu_file}) std::remove(f.c_str());
  return 0;
}

}  // namespace lockstep::tools
