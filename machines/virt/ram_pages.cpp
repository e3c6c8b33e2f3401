#include "machines/virt/ram_pages.h"

#include <sys/mman.h>

#include <cstring>
#include <fstream>
#include <string>

#include <xxhash.h>

namespace lockstep::machines::virt {
namespace {

bool swap_configured() {
  static const bool configured = [] {
    std::ifstream f("/proc/swaps");
    std::string line;
    int lines = 0;
    while (std::getline(f, line)) ++lines;
    return !f.eof() || lines > 1;  // unreadable counts as configured; line 1 is the header
  }();
  return configured;
}

}  // namespace

std::vector<std::uint8_t> resident_pages(const core::RamBlock& b) {
  if (swap_configured()) return {};
  const std::uint64_t pages = (b.size + kSnapshotPageSize - 1) / kSnapshotPageSize;
  std::vector<std::uint8_t> v(pages);
  if (::mincore(b.host, b.size, v.data()) != 0) return {};
  for (auto& r : v) r &= 1;
  return v;
}

bool is_zero_page(const std::uint8_t* p) {
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i < kSnapshotPageSize; i += 64) {
    std::uint64_t w[8];
    std::memcpy(w, p + i, 64);
    acc |= w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7];
    if (acc) return false;
  }
  return true;
}

std::uint64_t zero_page_hash() {
  static const std::uint64_t h = [] {
    static const std::uint8_t zero[kSnapshotPageSize] = {};
    return XXH3_64bits(zero, sizeof zero);
  }();
  return h;
}

std::vector<std::uint64_t> page_hashes(const core::RamBlock& b) {
  const std::vector<std::uint8_t> resident = resident_pages(b);
  const std::uint64_t pages = (b.size + kSnapshotPageSize - 1) / kSnapshotPageSize;
  std::vector<std::uint64_t> out(pages);
  for (std::uint64_t i = 0; i < pages; ++i) {
    const std::uint64_t off = i * kSnapshotPageSize;
    const std::uint64_t len = std::min(kSnapshotPageSize, b.size - off);
    if (len == kSnapshotPageSize && !resident.empty() && !resident[i])
      out[i] = zero_page_hash();
    else
      out[i] = XXH3_64bits(b.host + off, len);
  }
  return out;
}

}  // namespace lockstep::machines::virt
