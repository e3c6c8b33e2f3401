#pragma once
// Whole-file byte I/O for tests that build, damage and compare stream files.
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace lockstep::testing {

inline std::vector<std::uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(f), {});
}

inline void spit(const std::string& path, const std::vector<std::uint8_t>& d) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(d.data()), static_cast<std::streamsize>(d.size()));
}

}  // namespace lockstep::testing
