#include "machines/virt/qemu_seeded_random.h"

#include <algorithm>
#include <array>

namespace lockstep::machines::virt {
namespace {

// MT19937 as in Matsumoto and Nishimura's mt19937ar.c (and GLib's grand.c).
class Mt19937 {
 public:
  explicit Mt19937(const std::vector<uint32_t>& key) {
    init(19650218u);
    unsigned i = 1, j = 0;
    for (size_t k = std::max<size_t>(kN, key.size()); k; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + key[j] + j;
      if (++i >= kN) {
        mt_[0] = mt_[kN - 1];
        i = 1;
      }
      if (++j >= key.size()) j = 0;
    }
    for (unsigned k = kN - 1; k; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) - i;
      if (++i >= kN) {
        mt_[0] = mt_[kN - 1];
        i = 1;
      }
    }
    mt_[0] = 0x80000000u;
  }

  uint32_t next() {
    if (index_ >= kN) twist();
    uint32_t y = mt_[index_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
  }

 private:
  static constexpr unsigned kN = 624, kM = 397;
  void init(uint32_t s) {
    mt_[0] = s;
    for (unsigned i = 1; i < kN; ++i) mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + i;
  }
  void twist() {
    for (unsigned k = 0; k < kN; ++k) {
      const uint32_t y = (mt_[k] & 0x80000000u) | (mt_[(k + 1) % kN] & 0x7fffffffu);
      mt_[k] = mt_[(k + kM) % kN] ^ (y >> 1) ^ ((y & 1) ? 0x9908b0dfu : 0);
    }
    index_ = 0;
  }
  std::array<uint32_t, kN> mt_{};
  unsigned index_ = kN;
};

}  // namespace

std::vector<uint8_t> qemu_seeded_random_bytes(uint64_t seed, unsigned skip_draws, unsigned bytes) {
  Mt19937 rng({static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
  for (unsigned k = 0; k < skip_draws; ++k) rng.next();
  std::vector<uint8_t> out;
  while (out.size() < bytes) {
    const uint32_t x = rng.next();
    for (unsigned b = 0; b < 4 && out.size() < bytes; ++b) out.push_back(static_cast<uint8_t>(x >> (8 * b)));
  }
  return out;
}

}  // namespace lockstep::machines::virt
