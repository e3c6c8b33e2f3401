// Reverse-execution latency at the end of a long run (not a test: a measurement).
//
//   gdb_reverse_bench --kernel int_workload.elf --insns 1000000000 [--steps 20] [--interval N] [--jit THRESHOLD]
//
// Runs the guest forwards to --insns under the debug engine with default checkpoints (or
// --interval), then times reverse-stepi --steps times and a reverse-continue to a breakpoint set
// at the pc of an earlier instruction, and prints the checkpoint memory.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "jit/jit.h"
#include "replay/gdb/debug_engine.h"

namespace gdb = lockstep::replay::gdb;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  lockstep::machines::virt::VirtConfig config;
  config.bios = "none";
  std::uint64_t insns = 1'000'000'000, steps = 20, jit_threshold = 0;
  gdb::EngineOptions options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    std::uint64_t n = 0;
    std::from_chars(v.data(), v.data() + v.size(), n);
    if (a == "--kernel") config.kernel = v;
    else if (a == "--insns") insns = n;
    else if (a == "--steps") steps = n;
    else if (a == "--interval") options.checkpoints.interval = n;
    else if (a == "--memory") config.ram_size = n << 20;
    else if (a == "--jit") jit_threshold = n;
  }
  auto vm = lockstep::machines::virt::VirtMachine::create(config, [](std::uint8_t) {});
  if (!vm) {
    fmt::print(stderr, "{}\n", vm.error().message);
    return 1;
  }
  std::unique_ptr<lockstep::jit::Jit> jit;
  if (jit_threshold) {
    lockstep::jit::JitOptions jo;
    jo.threshold = static_cast<std::uint32_t>(jit_threshold);
    jit = lockstep::jit::Jit::create(jo);
    vm.value()->hart(0).code->tier = jit.get();
  }
  auto engine = gdb::DebugEngine::create(*vm.value(), options, nullptr, nullptr);
  if (!engine) return 1;
  gdb::DebugEngine& e = *engine.value();

  // What checking costs going forwards: a breakpoint and a watchpoint that are never hit
  // (0x100: no memory there).
  for (gdb::PointKind kind : {gdb::PointKind::Software, gdb::PointKind::Write}) {
    (void)e.insert(kind, 0x100, 8);
    const std::uint64_t from = e.icount(), span = std::uint64_t{1} << 23;
    const auto t0 = Clock::now();
    e.cont([&] { return e.icount() >= from + span; });
    const double ms = ms_since(t0);
    fmt::print("forward with a {} set: {:.0f} MIPS\n", kind == gdb::PointKind::Software ? "breakpoint" : "watchpoint",
               (e.icount() - from) / ms / 1000);
    (void)e.remove(kind, 0x100, 8);
  }

  auto t = Clock::now();
  const gdb::EngineStop fwd = e.go_to(insns, nullptr);
  const double forward_ms = ms_since(t);
  if (fwd.kind != gdb::EngineStop::Kind::Step || e.icount() != insns) {
    fmt::print(stderr, "the guest stopped at icount {} before {}\n", e.icount(), insns);
    return 1;
  }
  const auto st = e.checkpoints().stats();
  fmt::print("forward: {} instructions in {:.0f} ms ({:.0f} MIPS) with checkpoints every {}\n", insns, forward_ms,
             insns / forward_ms / 1000, options.checkpoints.interval);
  fmt::print("checkpoints: {} from icount {} to {}, {:.1f} MiB ({} distinct pages)\n", st.checkpoints,
             st.first_icount, st.last_icount, st.bytes / 1048576.0, st.pages);

  std::vector<double> lat;
  std::uint64_t pc_back = 0;
  for (std::uint64_t k = 0; k < steps; ++k) {
    t = Clock::now();
    const gdb::EngineStop s = e.reverse_step(0);
    lat.push_back(ms_since(t));
    if (s.kind != gdb::EngineStop::Kind::Step || e.icount() != insns - k - 1) {
      fmt::print(stderr, "reverse-stepi {} landed at {}\n", k, e.icount());
      return 1;
    }
    if (k == steps / 2) pc_back = vm.value()->hart(0).pc;
  }
  const double sum = std::accumulate(lat.begin(), lat.end(), 0.0);
  fmt::print("reverse-stepi: first {:.1f} ms, then mean {:.2f} ms, max {:.2f} ms over {} more steps\n", lat[0],
             (sum - lat[0]) / std::max<std::size_t>(1, lat.size() - 1),
             *std::max_element(lat.begin() + 1, lat.end()), lat.size() - 1);

  // reverse-continue to the last time an instruction ran at a pc seen a few steps back.
  (void)e.insert(gdb::PointKind::Software, pc_back, 2);
  t = Clock::now();
  const gdb::EngineStop rc = e.reverse_cont(nullptr);
  fmt::print("reverse-continue to a breakpoint hit: {:.1f} ms (landed at icount {}, {})\n", ms_since(t), e.icount(),
             rc.kind == gdb::EngineStop::Kind::Breakpoint ? "breakpoint" : "no hit");
  const auto st2 = e.checkpoints().stats();
  fmt::print("checkpoints after: {}, {:.1f} MiB\n", st2.checkpoints, st2.bytes / 1048576.0);
  return 0;
}
