#include "fuzz/migration/migration_case.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/deterministic_rng.h"

namespace lockstep::fuzz::migration {

namespace {

// Choices as the case generator makes them, from any source of numbers.
template <typename Source>
MigrationCase build_case(Source&& below, const CaseSpace& space) {
  MigrationCase c;
  c.guest = below(space.guest_lengths.size());
  const u64 length = space.guest_lengths[c.guest];
  const u64 ncuts = length > 1 ? 1 + below(space.max_cuts) : 0;
  for (u64 k = 0; k < ncuts; ++k) {
    // A quarter of cuts in the first few thousand instructions, where firmware and drivers set
    // devices up; the rest anywhere.
    const u64 span = below(4) == 0 ? std::min<u64>(length - 1, 4096) : length - 1;
    c.cuts.push_back(1 + below(span));
  }
  std::sort(c.cuts.begin(), c.cuts.end());
  c.cuts.erase(std::unique(c.cuts.begin(), c.cuts.end()), c.cuts.end());
  Leg leg{space.versions[below(space.versions.size())], space.engines[below(space.engines.size())]};
  c.legs.push_back(leg);
  for (std::size_t k = 0; k < c.cuts.size(); ++k) {
    if (space.versions.size() > 1 && below(100) < space.cross_version_percent) {
      std::string other = space.versions[below(space.versions.size() - 1)];
      if (other == leg.version) other = space.versions.back();
      leg.version = other;
    }
    leg.engine = space.engines[below(space.engines.size())];
    c.legs.push_back(leg);
  }
  return c;
}

}  // namespace

u64 case_seed(u64 run_seed, u64 index) {
  core::DeterministicRng rng(run_seed ^ (index * 0x9E3779B97F4A7C15ull));
  return rng.next();
}

MigrationCase draw_case(u64 seed, const CaseSpace& space) {
  core::DeterministicRng rng(seed);
  MigrationCase c = build_case([&](u64 n) { return rng.below(n); }, space);
  c.seed = seed;
  return c;
}

MigrationCase decode_case(std::span<const std::uint8_t> bytes, const CaseSpace& space) {
  std::size_t pos = 0;
  // Eight bytes per choice, little-endian, zero past the end: short inputs give early cuts and the
  // first guest, version and engine, which is what a fuzzer's first inputs should try.
  auto below = [&](u64 n) -> u64 {
    u64 v = 0;
    for (int i = 0; i < 8 && pos < bytes.size(); ++i) v |= u64{bytes[pos++]} << (8 * i);
    return v % n;
  };
  MigrationCase c = build_case(below, space);
  c.seed = 0;
  return c;
}

std::string describe_case(const MigrationCase& c, const std::string& guest_name) {
  std::string s = fmt::format("guest {}, {}/{}", guest_name, c.legs[0].version, engine_name(c.legs[0].engine));
  for (std::size_t k = 0; k < c.cuts.size(); ++k)
    s += fmt::format(" -> @{} -> {}/{}", c.cuts[k], c.legs[k + 1].version, engine_name(c.legs[k + 1].engine));
  return s;
}

}  // namespace lockstep::fuzz::migration
