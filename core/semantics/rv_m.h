#pragma once
#include "core/semantics/rv_i.h"

// RV64M. Division by zero and overflow follow the specification's table (no traps).
namespace lockstep::core::sem {

inline u64 mulhu64(u64 a, u64 b) { return static_cast<u64>((static_cast<unsigned __int128>(a) * b) >> 64); }
inline u64 mulh64(u64 a, u64 b) {
  return static_cast<u64>((static_cast<__int128>(static_cast<i64>(a)) * static_cast<i64>(b)) >> 64);
}
inline u64 mulhsu64(u64 a, u64 b) {
  return static_cast<u64>((static_cast<__int128>(static_cast<i64>(a)) * static_cast<__int128>(b)) >> 64);
}
inline u64 div64(u64 a, u64 b) {
  if (b == 0) return ~u64{0};
  if (static_cast<i64>(a) == INT64_MIN && static_cast<i64>(b) == -1) return a;
  return static_cast<u64>(static_cast<i64>(a) / static_cast<i64>(b));
}
inline u64 rem64(u64 a, u64 b) {
  if (b == 0) return a;
  if (static_cast<i64>(a) == INT64_MIN && static_cast<i64>(b) == -1) return 0;
  return static_cast<u64>(static_cast<i64>(a) % static_cast<i64>(b));
}
inline u64 divw32(u64 a, u64 b) {
  const i32 x = static_cast<i32>(a), y = static_cast<i32>(b);
  if (y == 0) return ~u64{0};
  if (x == INT32_MIN && y == -1) return sext32(static_cast<u32>(x));
  return sext32(static_cast<u32>(x / y));
}
inline u64 remw32(u64 a, u64 b) {
  const i32 x = static_cast<i32>(a), y = static_cast<i32>(b);
  if (y == 0) return sext32(static_cast<u32>(x));
  if (x == INT32_MIN && y == -1) return 0;
  return sext32(static_cast<u32>(x % y));
}

LOCKSTEP_ALU_REG(mul, a * b)
LOCKSTEP_ALU_REG(mulh, mulh64(a, b))
LOCKSTEP_ALU_REG(mulhsu, mulhsu64(a, b))
LOCKSTEP_ALU_REG(mulhu, mulhu64(a, b))
LOCKSTEP_ALU_REG(div, div64(a, b))
LOCKSTEP_ALU_REG(divu, b == 0 ? ~u64{0} : a / b)
LOCKSTEP_ALU_REG(rem, rem64(a, b))
LOCKSTEP_ALU_REG(remu, b == 0 ? a : a % b)
LOCKSTEP_ALU_REG(mulw, sext32(u32(a) * u32(b)))
LOCKSTEP_ALU_REG(divw, divw32(a, b))
LOCKSTEP_ALU_REG(divuw, u32(b) == 0 ? ~u64{0} : sext32(u32(a) / u32(b)))
LOCKSTEP_ALU_REG(remw, remw32(a, b))
LOCKSTEP_ALU_REG(remuw, u32(b) == 0 ? sext32(u32(a)) : sext32(u32(a) % u32(b)))

}  // namespace lockstep::core::sem
