// The semantic migration fuzzer as a libFuzzer target: the input bytes choose the guest, the cuts,
// each leg's machine version and engine (decode_case), and the case is judged as `lockstep fuzz
// migration` judges it (migration_oracle.h). A finding prints its summary and traps, so OSS-Fuzz /
// ClusterFuzzLite can spread migration fuzzing over many machines.
// Guests: every *.elf in $LOCKSTEP_FUZZ_GUESTS, else in fuzz_migration_guests/ beside the binary
// (fuzz/build.sh puts the small test guests there), else the build tree's tests/guests (a fixed set
// of small ones). Engines: $LOCKSTEP_FUZZ_ENGINES ("interp" by default; "interp,jit" starts LLVM
// for every JIT leg, slow under the sanitizers).
// fuzz-seeds: migration
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fuzz/migration/migration_oracle.h"
#include "machines/virt/machine_versions.h"

namespace {

namespace fm = lockstep::fuzz::migration;
namespace fs = std::filesystem;

std::vector<std::string> guest_files() {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("LOCKSTEP_FUZZ_GUESTS")) dirs.emplace_back(env);
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back(self.parent_path() / "fuzz_migration_guests");
  std::vector<std::string> files;
  for (const auto& d : dirs) {
    for (const auto& e : fs::directory_iterator(d, ec))
      if (e.path().extension() == ".elf") files.push_back(e.path().string());
    if (!files.empty()) break;
  }
#ifdef LOCKSTEP_FUZZ_BUILD_GUESTS
  if (files.empty())
    for (const char* g : {"hello", "plic_uart", "rtc", "timer", "mmio_faults", "pmp"})
      files.push_back(fmt::format("{}/{}.elf", LOCKSTEP_FUZZ_BUILD_GUESTS, g));
#endif
  std::sort(files.begin(), files.end());
  return files;
}

struct Fixture {
  std::unique_ptr<fm::MigrationOracle> oracle;
  fm::CaseSpace space;
};

Fixture* make_fixture() {
  auto files = guest_files();
  if (files.empty()) {
    std::fprintf(stderr, "fuzz_migration: no guest: set LOCKSTEP_FUZZ_GUESTS to a folder of bare-metal *.elf\n");
    std::exit(2);
  }
  std::vector<fm::FuzzGuest> guests;
  for (const auto& f : files) guests.push_back(fm::bare_metal_guest(f, 32u << 20, 5'000'000));
  std::vector<std::string> versions;
  for (const auto& v : lockstep::machines::virt::machine_versions()) versions.emplace_back(v.name);
  std::vector<fm::Engine> engines{fm::Engine::Interpreter};
  if (const char* e = std::getenv("LOCKSTEP_FUZZ_ENGINES"); e && std::string(e).find("jit") != std::string::npos)
    engines.push_back(fm::Engine::Jit);
  auto* fx = new Fixture;
  fx->oracle = std::make_unique<fm::MigrationOracle>(std::move(guests), std::move(versions), engines, fm::EngineOptions{});
  auto prepared = fx->oracle->prepare(1);
  if (!prepared) {
    std::fprintf(stderr, "fuzz_migration: %s\n", prepared.error().message.c_str());
    std::exit(2);
  }
  if (prepared.value()) {
    std::fprintf(stderr, "fuzz_migration: %s\n", prepared.value()->summary.c_str());
    __builtin_trap();
  }
  fx->space = fx->oracle->space(3, 10);
  return fx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture* fx = make_fixture();
  const fm::MigrationCase c = fm::decode_case({data, size}, fx->space);
  if (auto f = fx->oracle->check(c)) {
    std::fprintf(stderr, "fuzz_migration: %s: %s\n  %s\n", std::string(fm::finding_kind_name(f->kind)).c_str(),
                 f->summary.c_str(), fm::describe_case(c, fx->oracle->guests()[c.guest].name).c_str());
    for (const auto& d : f->details) std::fprintf(stderr, "  %s\n", d.c_str());
    __builtin_trap();
  }
  return 0;
}
