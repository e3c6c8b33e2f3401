#pragma once
// Whole-file byte I/O for tests that build, damage and compare stream files.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace lockstep::testing {

// The lockstep binary a test drives: $LOCKSTEP_UNDER_TEST (the ASan build, a planted variant)
// when set, else the one this build made (`built`, the target's LOCKSTEP_BIN definition).
inline std::string binary_under_test(const char* built) {
  const char* env = std::getenv("LOCKSTEP_UNDER_TEST");
  return env && *env ? env : built;
}

inline std::vector<std::uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(f), {});
}

inline void spit(const std::string& path, const std::vector<std::uint8_t>& d) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(d.data()), static_cast<std::streamsize>(d.size()));
}

}  // namespace lockstep::testing
