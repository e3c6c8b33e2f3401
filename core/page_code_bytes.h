#pragma once
#include <algorithm>
#include <array>

#include "core/types.h"

namespace lockstep::core {

// Which bytes of one RAM page decoded instructions were taken from (QEMU's per-page code bitmap):
// a store or DMA into the page invalidates code only where it overwrites one of these bytes.
struct PageCodeBytes {
  static constexpr unsigned kWords = kPageSize / 64;
  std::array<u64, kWords> bits{};

  // Whether any byte of [offset, offset + len) is code; the range lies within the page.
  bool any(u64 offset, u64 len) const {
    if (len <= 8) {  // a store: one word, or two when it crosses one
      const u64 word = offset / 64, bit = offset % 64, mask = (u64{1} << len) - 1;
      if ((bits[word] >> bit) & mask) return true;
      return bit + len > 64 && (bits[word + 1] & (mask >> (64 - bit)));
    }
    const u64 end = offset + len;
    for (u64 word = offset / 64; word * 64 < end; ++word) {
      const u64 lo = std::max(offset, word * 64) - word * 64;
      const u64 hi = std::min(end, word * 64 + 64) - word * 64;
      const u64 mask = (hi - lo == 64 ? ~u64{0} : ((u64{1} << (hi - lo)) - 1)) << lo;
      if (bits[word] & mask) return true;
    }
    return false;
  }
  void set(u64 offset, u64 len) {
    for (u64 k = offset; k < offset + len; ++k) bits[k / 64] |= u64{1} << (k % 64);
  }
};

}  // namespace lockstep::core
