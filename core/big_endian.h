#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

// Big-endian loads and stores (the migration stream's byte order). A byte-at-a-time shift loop is
// not turned into one bswap by GCC 12 at -O2; these are, and a RAM section is millions of them.
namespace lockstep {

static_assert(std::endian::native == std::endian::little, "the byte swaps below assume a little-endian host");

inline std::uint64_t load_be64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}
inline std::uint32_t load_be32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline void store_be64(std::uint8_t* p, std::uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
}

}  // namespace lockstep
