#pragma once
// A migration fuzz case: which guest, where to cut, and the version and engine of every leg. A case
// is drawn from its own 64-bit seed (so one number reproduces it) or decoded from a libFuzzer input.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fuzz/migration/migration_run.h"

namespace lockstep::fuzz::migration {

struct MigrationCase {
  u64 seed = 0;
  std::size_t guest = 0;   // index into the guest list
  std::vector<u64> cuts;   // ascending, each inside the straight run
  std::vector<Leg> legs;   // cuts.size() + 1
};

// What cases are drawn from.
struct CaseSpace {
  std::vector<u64> guest_lengths;     // instructions of each guest's straight run
  std::vector<std::string> versions;  // machine versions
  std::vector<Engine> engines;
  unsigned max_cuts = 3;
  unsigned cross_version_percent = 10;  // of cuts, a load into another machine version
};

// The seed of case `index` of a run with `run_seed`: cases do not depend on --jobs.
u64 case_seed(u64 run_seed, u64 index);
MigrationCase draw_case(u64 seed, const CaseSpace& space);
// The same choices from raw bytes (the libFuzzer target): every byte string is a valid case.
MigrationCase decode_case(std::span<const std::uint8_t> bytes, const CaseSpace& space);

// "guest hello, virt-2.0/interp -> @1234 -> virt-2.0/jit"
std::string describe_case(const MigrationCase& c, const std::string& guest_name);

}  // namespace lockstep::fuzz::migration
