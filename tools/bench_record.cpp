#include "tools/bench_record.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "replay/trace_reader.h"
#include "tools/host_process.h"

namespace lockstep::tools {
namespace {

namespace fs = std::filesystem;

constexpr const char* kQemuCpu = "rv64,h=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false";

struct Guest {
  std::string name;
  std::vector<std::string> machine;  // options both lockstep and QEMU take (after -M virt -m 256M)
  std::string what;
};

struct Timing {
  double best = std::numeric_limits<double>::infinity();
  std::string problem;
};

void time_run(const std::vector<std::string>& argv, int timeout, Timing& t) {
  ProcessOptions o;
  o.timeout_seconds = timeout;
  const ProcessResult p = run_process(argv, o);
  if (p.spawn_failed || p.timed_out || p.signal || (p.exit_code != 0 && p.exit_code != 3)) {
    t.problem = p.status();
    return;
  }
  t.best = std::min(t.best, p.seconds);
}

std::uint64_t file_size(const std::string& path) {
  std::error_code ec;
  const auto n = fs::file_size(path, ec);
  return ec ? 0 : n;
}

}  // namespace

int bench_record(const std::string& guests_dir, const std::string& linux_dir, const std::string& qemu, int runs,
                 int timeout, const std::string& work_dir) {
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  std::vector<Guest> guests;
  if (fs::exists(guests_dir + "/int_workload.elf"))
    guests.push_back({"int_workload", {"-bios", "none", "-kernel", guests_dir + "/int_workload.elf"}, "compute-bound"});
  if (fs::exists(linux_dir + "/Image") && fs::exists(linux_dir + "/initramfs.cpio"))
    guests.push_back({"linux", {"-kernel", linux_dir + "/Image", "-initrd", linux_dir + "/initramfs.cpio", "-append",
                                "console=ttyS0 LOCKSTEP_RUN=poweroff"},
                      "console-heavy: Linux boot (not quiet) to power-off"});
  if (guests.empty()) {
    fmt::print(stderr, "lockstep bench --record: no guests in {} or {}\n", guests_dir, linux_dir);
    return 1;
  }
  fs::create_directories(work_dir);
  fmt::print("{:<14} {:<36} {:>9} {:>10}  {}\n", "guest", "run", "best s", "vs plain", "size");
  int status = 0;
  for (const Guest& g : guests) {
    const std::string trace = work_dir + "/bench-" + g.name + ".trace";
    const std::string rr = work_dir + "/bench-" + g.name + ".qemu-rr";
    std::vector<std::string> ours = {"-M", "virt", "-m", "256M", "--jit", "off"};
    ours.insert(ours.end(), g.machine.begin(), g.machine.end());
    std::vector<std::string> run = {self, "run"};
    run.insert(run.end(), ours.begin(), ours.end());
    std::vector<std::string> record = {self, "record", "-o", trace, "--"};
    record.insert(record.end(), ours.begin(), ours.end());
    const std::vector<std::string> replay = {self, "replay", trace};
    std::vector<std::string> q = {qemu, "-M", "virt", "-m", "256M", "-cpu", kQemuCpu, "-display", "none", "-serial", "stdio",
                                  "-monitor", "none", "-rtc", "base=2026-01-01T00:00:00,clock=vm"};
    q.insert(q.end(), g.machine.begin(), g.machine.end());
    std::vector<std::string> q_plain = q, q_rr = q;
    q_plain.insert(q_plain.end(), {"-icount", "shift=0,sleep=off"});
    q_rr.insert(q_rr.end(), {"-icount", fmt::format("shift=0,sleep=off,rr=record,rrfile={}", rr)});
    struct Row {
      std::string name;
      std::vector<std::string> argv;
      Timing t;
    };
    std::vector<Row> rows = {{"lockstep run --jit off", run, {}},
                             {"lockstep record (digest every 1e8)", record, {}},
                             {"lockstep replay", replay, {}},
                             {"qemu -icount shift=0", q_plain, {}},
                             {"qemu -icount shift=0,rr=record", q_rr, {}}};
    // Interleaved run by run, so a noisy moment hits every row; the replay needs the trace first.
    for (int r = 0; r < runs; ++r)
      for (Row& row : rows) time_run(row.argv, timeout, row.t);
    auto trace_info = replay::read_trace(trace);
    std::uint64_t icount = 0, inputs = 0;
    if (trace_info && trace_info->end) icount = trace_info->end->value("icount", std::uint64_t{0});
    if (trace_info)
      for (const auto& e : trace_info->events) inputs += e.kind == replay::TraceEvent::Kind::ConsoleInput;
    for (std::size_t k = 0; k < rows.size(); ++k) {
      const Row& row = rows[k];
      if (!row.t.problem.empty()) {
        fmt::print("{:<14} {:<36} {:>9} {:>10}  {}\n", g.name, row.name, "-", "-", row.t.problem);
        status = 1;
        continue;
      }
      const Timing& plain = k < 3 ? rows[0].t : rows[3].t;
      std::string size;
      if (k == 1)
        size = fmt::format("{} bytes, {:.1f} bytes per 10^6 instructions, {} input events", file_size(trace),
                           icount ? static_cast<double>(file_size(trace)) * 1e6 / static_cast<double>(icount) : 0.0, inputs);
      if (k == 4) size = fmt::format("{} bytes", file_size(rr));
      fmt::print("{:<14} {:<36} {:>9.3f} {:>+9.1f}%  {}\n", g.name, row.name, row.t.best,
                 (row.t.best / plain.best - 1) * 100, size);
    }
    fmt::print("{:<14} {} ({} instructions)\n", "", g.what, icount);
  }
  return status;
}

}  // namespace lockstep::tools
