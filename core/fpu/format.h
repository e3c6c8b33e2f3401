#pragma once
#include <bit>

#include "core/csr_bits.h"
#include "core/types.h"

// IEEE 754 binary32/binary64 as RISC-V sees them: encodings, classes, rounding modes, flags.
// Everything here works on raw bit patterns; nothing reads the host FPU.
namespace lockstep::core::fpu {

// RISC-V rounding modes (the rm field / frm CSR values 0..4).
inline constexpr unsigned kRNE = 0;  // to nearest, ties to even
inline constexpr unsigned kRTZ = 1;  // toward zero
inline constexpr unsigned kRDN = 2;  // toward -inf
inline constexpr unsigned kRUP = 3;  // toward +inf
inline constexpr unsigned kRMM = 4;  // to nearest, ties away from zero

// Accrued exception flags, fflags bit positions.
inline constexpr u32 kNX = csr::kNX, kUF = csr::kUF, kOF = csr::kOF, kDZ = csr::kDZ, kNV = csr::kNV;

struct F32 {
  using U = u32;
  using Host = float;
  static constexpr int kWidth = 32, kFrac = 23, kPrec = 24, kBias = 127;
  static constexpr int kEmin = -126, kEmax = 127;
  static constexpr U kSign = 0x80000000u, kInf = 0x7f800000u, kFracMask = 0x007fffffu;
  static constexpr U kQuiet = 0x00400000u, kCanonNaN = 0x7fc00000u, kMaxFinite = 0x7f7fffffu;
};

struct F64 {
  using U = u64;
  using Host = double;
  static constexpr int kWidth = 64, kFrac = 52, kPrec = 53, kBias = 1023;
  static constexpr int kEmin = -1022, kEmax = 1023;
  static constexpr U kSign = u64{1} << 63, kInf = 0x7ff0000000000000ull, kFracMask = (u64{1} << 52) - 1;
  static constexpr U kQuiet = u64{1} << 51, kCanonNaN = 0x7ff8000000000000ull,
                     kMaxFinite = 0x7fefffffffffffffull;
};

template <class F> constexpr typename F::U abs_bits(typename F::U x) { return x & ~F::kSign; }
template <class F> constexpr bool sign_of(typename F::U x) { return (x & F::kSign) != 0; }
template <class F> constexpr bool is_nan(typename F::U x) { return abs_bits<F>(x) > F::kInf; }
template <class F> constexpr bool is_snan(typename F::U x) { return is_nan<F>(x) && !(x & F::kQuiet); }
template <class F> constexpr bool is_inf(typename F::U x) { return abs_bits<F>(x) == F::kInf; }
template <class F> constexpr bool is_zero(typename F::U x) { return abs_bits<F>(x) == 0; }
template <class F> constexpr bool is_subnormal(typename F::U x) {
  return abs_bits<F>(x) != 0 && abs_bits<F>(x) <= F::kFracMask;
}

// NaN-boxing of single values in 64-bit f registers.
inline constexpr u64 kBoxMask = 0xffffffff00000000ull;
constexpr u64 box_s(u32 v) { return kBoxMask | v; }
// A single operand whose upper 32 bits are not all ones reads as the canonical NaN.
constexpr u32 unbox_s(u64 v) { return (v & kBoxMask) == kBoxMask ? static_cast<u32>(v) : F32::kCanonNaN; }

}  // namespace lockstep::core::fpu
