#pragma once
#include <bit>
#include <type_traits>

#include "core/fpu/format.h"
#include "core/fpu/host.h"
#include "core/fpu/soft.h"

// RISC-V F/D operations on raw bit patterns: result bits in, result bits out, flags accrued into
// fl. rm is a resolved rounding mode (0..4). Bit-exact with QEMU 7.2's riscv softfloat setup:
// default-NaN mode (every NaN result is canonical), tininess after rounding, NV for inf * 0 in a
// fused multiply-add whatever the addend.
//
// add/sub/mul/div/sqrt/fma and double-to-single run on the host FPU in RNE/RTZ/RDN/RUP. RMM first
// runs in RNE: an exact result is the same in every mode; an inexact one is redone in software
// with ties away (sqrt never lands on a tie, so its RNE result is already the RMM result).
// Integer conversions, comparisons, min/max and classification are integer code.
//
// Fast path: reading the host flags costs more than the operation. When NX has already accrued
// (the usual state in floating-point code: software rarely clears fflags), an operation whose
// result is finite, normal and neither the largest finite nor the smallest normal value can have
// raised nothing but NX: NV gives a NaN, DZ an infinity, OF an infinity or the largest finite
// value, UF (tininess after rounding) a result no larger than the smallest normal. Such results
// skip the flag read; any other result is recomputed on the flag-reading path.
//
// The fast path is inline and small; the flag-reading path is a separate, never-inlined function
// (`*_flags`). In RNE the fast path is plain C++ arithmetic: the host runs in round-to-nearest
// (host.h), so the operation needs no MXCSR access and the compiler (GCC for the interpreter,
// LLVM for compiled regions) treats it as an ordinary instruction: registers stay in registers
// around it, and only the fast path is inlined into regions.
namespace lockstep::core::fpu {

namespace detail {
template <class F> using HostT = typename F::Host;
template <class F> inline HostT<F> to_host(typename F::U x) { return std::bit_cast<HostT<F>>(x); }
template <class F> inline typename F::U from_host(HostT<F> x) { return std::bit_cast<typename F::U>(x); }

// Host result -> guest result: canonical NaN, flags accrued.
template <class F>
inline typename F::U finish(HostT<F> r, u32 mx, u32& fl) {
  fl |= host::fflags_of(mx);
  const typename F::U bits = from_host<F>(r);
  return is_nan<F>(bits) ? F::kCanonNaN : bits;
}

// A result that cannot carry a flag other than NX (see the header comment).
template <class F>
inline bool ordinary(typename F::U r) {
  const typename F::U m = abs_bits<F>(r);
  return m > F::kFracMask + 1 && m < F::kMaxFinite;
}

// Whether the no-flags fast path may be tried.
inline bool nx_accrued(unsigned rm, u32 fl) { return rm != kRMM && (fl & kNX); }

enum class Arith { Add, Sub, Mul, Div };

template <class F, Arith Op>
inline HostT<F> host_arith(HostT<F> x, HostT<F> y, unsigned rm, u32& mx) {
  if constexpr (std::is_same_v<F, F32>) {
    if constexpr (Op == Arith::Add) return host::add_s(x, y, rm, mx);
    if constexpr (Op == Arith::Sub) return host::sub_s(x, y, rm, mx);
    if constexpr (Op == Arith::Mul) return host::mul_s(x, y, rm, mx);
    if constexpr (Op == Arith::Div) return host::div_s(x, y, rm, mx);
  } else {
    if constexpr (Op == Arith::Add) return host::add_d(x, y, rm, mx);
    if constexpr (Op == Arith::Sub) return host::sub_d(x, y, rm, mx);
    if constexpr (Op == Arith::Mul) return host::mul_d(x, y, rm, mx);
    if constexpr (Op == Arith::Div) return host::div_d(x, y, rm, mx);
  }
}
template <class F, Arith Op>
inline HostT<F> host_arith_nf(HostT<F> x, HostT<F> y, unsigned rm) {
  if constexpr (std::is_same_v<F, F32>) {
    if constexpr (Op == Arith::Add) return host::add_s_nf(x, y, rm);
    if constexpr (Op == Arith::Sub) return host::sub_s_nf(x, y, rm);
    if constexpr (Op == Arith::Mul) return host::mul_s_nf(x, y, rm);
    if constexpr (Op == Arith::Div) return host::div_s_nf(x, y, rm);
  } else {
    if constexpr (Op == Arith::Add) return host::add_d_nf(x, y, rm);
    if constexpr (Op == Arith::Sub) return host::sub_d_nf(x, y, rm);
    if constexpr (Op == Arith::Mul) return host::mul_d_nf(x, y, rm);
    if constexpr (Op == Arith::Div) return host::div_d_nf(x, y, rm);
  }
}

// The fast path: false when the result may carry a flag besides NX, NX has not accrued, or the
// mode is RMM (then the flag path decides).
template <class F, Arith Op>
inline bool arith_fast(typename F::U a, typename F::U b, unsigned rm, u32 fl, typename F::U& out) {
  if (!nx_accrued(rm, fl)) return false;
  const HostT<F> x = to_host<F>(a), y = to_host<F>(b);
  HostT<F> r;
  if (rm == kRNE) {
    if constexpr (Op == Arith::Add) r = x + y;
    if constexpr (Op == Arith::Sub) r = x - y;
    if constexpr (Op == Arith::Mul) r = x * y;
    if constexpr (Op == Arith::Div) r = x / y;
  } else {
    r = host_arith_nf<F, Op>(x, y, rm);
  }
  out = from_host<F>(r);
  if (ordinary<F>(out)) return true;
  // An exact zero carries no flag: a sum or difference of floats that is zero is exact (a tiny
  // sum is representable: gradual underflow), and so is a product or quotient with a zero
  // operand (inf * 0 and 0 / 0 are NaN, not zero). Only tiny nonzero operands underflow to zero.
  if (abs_bits<F>(out) != 0) return false;
  if constexpr (Op == Arith::Add || Op == Arith::Sub) return true;
  if constexpr (Op == Arith::Mul) return abs_bits<F>(a) == 0 || abs_bits<F>(b) == 0;
  return abs_bits<F>(a) == 0;
}

// The flag-reading path, out of line: compiled code (jit/) calls the process's copy instead of
// inlining it, so a region carries only the fast path.
template <class F, Arith Op>
[[gnu::noinline]] typename F::U arith_flags(typename F::U a, typename F::U b, unsigned rm, u32& fl) {
  const HostT<F> x = to_host<F>(a), y = to_host<F>(b);
  u32 mx;
  const HostT<F> r = host_arith<F, Op>(x, y, rm == kRMM ? kRNE : rm, mx);
  if (rm == kRMM && (mx & 0x20)) [[unlikely]] {  // PE: inexact, so the tie rule may matter
    if constexpr (Op == Arith::Add) return soft::add<F>(a, b, kRMM, fl);
    if constexpr (Op == Arith::Sub) return soft::add<F>(a, b ^ F::kSign, kRMM, fl);
    if constexpr (Op == Arith::Mul) return soft::mul<F>(a, b, kRMM, fl);
    if constexpr (Op == Arith::Div) return soft::div<F>(a, b, kRMM, fl);
  }
  return finish<F>(r, mx, fl);
}

template <class F, Arith Op>
inline typename F::U arith(typename F::U a, typename F::U b, unsigned rm, u32& fl) {
  typename F::U r;
  if (arith_fast<F, Op>(a, b, rm, fl, r)) return r;
  return arith_flags<F, Op>(a, b, rm, fl);
}

template <class F>
inline HostT<F> host_fma(HostT<F> a, HostT<F> b, HostT<F> c, unsigned rm, u32& mx) {
  if constexpr (std::is_same_v<F, F32>) {
    return host::fma_s(a, b, c, rm, mx);
  } else {
    return host::fma_d(a, b, c, rm, mx);
  }
}

template <class F>
[[gnu::noinline]] typename F::U sqrt_flags(typename F::U a, unsigned rm, u32& fl) {
  u32 mx;
  HostT<F> r;
  if constexpr (std::is_same_v<F, F32>) {
    r = host::sqrt_s(to_host<F>(a), rm, mx);
  } else {
    r = host::sqrt_d(to_host<F>(a), rm, mx);
  }
  return finish<F>(r, mx, fl);
}

template <class F>
[[gnu::noinline]] typename F::U fma_flags(typename F::U a, typename F::U b, typename F::U c, unsigned rm, u32& fl) {
  if (!host::kHasFma) [[unlikely]] return soft::fma<F>(a, b, c, rm, fl);
  u32 mx;
  const HostT<F> r = host_fma<F>(to_host<F>(a), to_host<F>(b), to_host<F>(c), rm == kRMM ? kRNE : rm, mx);
  // x86 does not signal invalid for inf * 0 + qNaN; RISC-V does: NaN results get their flags in
  // software. An inexact RMM result is redone in software.
  if (is_nan<F>(from_host<F>(r)) || (rm == kRMM && (mx & 0x20))) [[unlikely]] {
    return soft::fma<F>(a, b, c, rm, fl);
  }
  return finish<F>(r, mx, fl);
}

[[gnu::noinline]] inline u32 narrow_flags(u64 a, unsigned rm, u32& fl) {
  if (rm == kRMM) [[unlikely]] return soft::convert<F32, F64>(a, rm, fl);
  u32 mx;
  const float r = host::cvt_d_to_s(std::bit_cast<double>(a), rm, mx);
  return finish<F32>(r, mx, fl);
}
}  // namespace detail

template <class F> inline typename F::U add(typename F::U a, typename F::U b, unsigned rm, u32& fl) {
  return detail::arith<F, detail::Arith::Add>(a, b, rm, fl);
}
template <class F> inline typename F::U sub(typename F::U a, typename F::U b, unsigned rm, u32& fl) {
  return detail::arith<F, detail::Arith::Sub>(a, b, rm, fl);
}
template <class F> inline typename F::U mul(typename F::U a, typename F::U b, unsigned rm, u32& fl) {
  return detail::arith<F, detail::Arith::Mul>(a, b, rm, fl);
}
template <class F> inline typename F::U div(typename F::U a, typename F::U b, unsigned rm, u32& fl) {
  return detail::arith<F, detail::Arith::Div>(a, b, rm, fl);
}

template <class F>
inline typename F::U sqrt(typename F::U a, unsigned rm, u32& fl) {
  // A square root is never a tie (nor subnormal), so RMM rounds like RNE.
  const unsigned hrm = rm == kRMM ? kRNE : rm;
  if (fl & kNX) {
    const detail::HostT<F> x = detail::to_host<F>(a);
    typename F::U r;
    if constexpr (std::is_same_v<F, F32>) {
      r = detail::from_host<F>(hrm == kRNE ? __builtin_sqrtf(x) : host::sqrt_s_nf(x, hrm));
    } else {
      r = detail::from_host<F>(hrm == kRNE ? __builtin_sqrt(x) : host::sqrt_d_nf(x, hrm));
    }
    if (detail::ordinary<F>(r) || abs_bits<F>(r) == 0) return r;  // only sqrt(±0) is zero: exact
  }
  return detail::sqrt_flags<F>(a, hrm, fl);
}

// a * b + c, one rounding. fmsub/fnmsub/fnmadd negate operands before calling.
template <class F>
inline typename F::U fma(typename F::U a, typename F::U b, typename F::U c, unsigned rm, u32& fl) {
  using detail::to_host;
  if (host::kHasFma && detail::nx_accrued(rm, fl)) {
    typename F::U r;
    if constexpr (std::is_same_v<F, F32>) {
      r = detail::from_host<F>(host::fma_s_nf(to_host<F>(a), to_host<F>(b), to_host<F>(c), rm));
    } else {
      r = detail::from_host<F>(host::fma_d_nf(to_host<F>(a), to_host<F>(b), to_host<F>(c), rm));
    }
    if (detail::ordinary<F>(r)) return r;
    // A zero operand makes a * b an exact zero, and a zero result then exact (see arith_fast).
    if (abs_bits<F>(r) == 0 && (abs_bits<F>(a) == 0 || abs_bits<F>(b) == 0)) return r;
  }
  return detail::fma_flags<F>(a, b, c, rm, fl);
}

// Double to single, rounding.
inline u32 narrow(u64 a, unsigned rm, u32& fl) {
  if (rm != kRMM && (fl & kNX)) {
    const u32 r = std::bit_cast<u32>(host::cvt_d_to_s_nf(std::bit_cast<double>(a), rm));
    if (detail::ordinary<F32>(r)) return r;
  }
  return detail::narrow_flags(a, rm, fl);
}

// Single to double: exact; only a signaling NaN signals.
inline u64 widen(u32 a, u32& fl) {
  if (is_nan<F32>(a)) {
    if (is_snan<F32>(a)) fl |= kNV;
    return F64::kCanonNaN;
  }
  const u64 s = static_cast<u64>(a & F32::kSign) << 32;
  if ((a & ~F32::kSign) == 0) return s;
  if (is_inf<F32>(a)) return s | F64::kInf;
  const soft::Unpacked x = soft::unpack<F32>(a);  // exact: every single is a normal double
  return s | (static_cast<u64>(x.e + F64::kBias) << 52) | ((x.m << (52 - 23)) & F64::kFracMask);
}

// Integer -> float. The source is the integer's value as (negative, magnitude). A magnitude
// below 2^precision converts exactly (no flag, any mode): the host's conversion, inline; the
// rest rounds in software.
namespace detail {
template <class F> inline typename F::U from_int(bool neg, u64 mag, unsigned rm, u32& fl) {
  if (mag < (u64{1} << F::kPrec)) {
    const typename F::U r = from_host<F>(static_cast<HostT<F>>(static_cast<i64>(mag)));
    return neg ? r | F::kSign : r;  // mag != 0 when neg
  }
  return soft::from_int<F>(neg, mag, rm, fl);
}
}  // namespace detail
template <class F> inline typename F::U from_i32(u64 x, unsigned rm, u32& fl) {
  const i32 v = static_cast<i32>(x);
  return detail::from_int<F>(v < 0, v < 0 ? 0 - static_cast<u64>(static_cast<i64>(v)) : static_cast<u64>(v), rm, fl);
}
template <class F> inline typename F::U from_u32(u64 x, unsigned rm, u32& fl) {
  return detail::from_int<F>(false, static_cast<u32>(x), rm, fl);
}
template <class F> inline typename F::U from_i64(u64 x, unsigned rm, u32& fl) {
  const bool neg = static_cast<i64>(x) < 0;
  return detail::from_int<F>(neg, neg ? 0 - x : x, rm, fl);
}
template <class F> inline typename F::U from_u64(u64 x, unsigned rm, u32& fl) {
  return detail::from_int<F>(false, x, rm, fl);
}

// Float -> integer, saturating; 32-bit results are sign-extended to 64 bits (wu included).
inline u64 sext32(u64 v) { return static_cast<u64>(static_cast<i64>(static_cast<i32>(v))); }
template <class F> inline u64 to_i32(typename F::U a, unsigned rm, u32& fl) {
  return sext32(soft::to_int<F, true, 32>(a, rm, fl));
}
template <class F> inline u64 to_u32(typename F::U a, unsigned rm, u32& fl) {
  return sext32(soft::to_int<F, false, 32>(a, rm, fl));
}
template <class F> inline u64 to_i64(typename F::U a, unsigned rm, u32& fl) {
  return soft::to_int<F, true, 64>(a, rm, fl);
}
template <class F> inline u64 to_u64(typename F::U a, unsigned rm, u32& fl) {
  return soft::to_int<F, false, 64>(a, rm, fl);
}

// Comparisons. feq is quiet (NV only for a signaling NaN); flt/fle signal on any NaN.
namespace detail {
// a < b for non-NaN values, with -0 == +0.
template <class F> inline bool less(typename F::U a, typename F::U b) {
  const bool sa = sign_of<F>(a), sb = sign_of<F>(b);
  if (sa != sb) return sa && ((a | b) & ~F::kSign) != 0;
  return sa ? a > b : a < b;
}
}  // namespace detail

template <class F> inline u64 feq(typename F::U a, typename F::U b, u32& fl) {
  if (is_nan<F>(a) || is_nan<F>(b)) {
    if (is_snan<F>(a) || is_snan<F>(b)) fl |= kNV;
    return 0;
  }
  return a == b || ((a | b) & ~F::kSign) == 0;
}
template <class F> inline u64 flt(typename F::U a, typename F::U b, u32& fl) {
  if (is_nan<F>(a) || is_nan<F>(b)) {
    fl |= kNV;
    return 0;
  }
  return detail::less<F>(a, b);
}
template <class F> inline u64 fle(typename F::U a, typename F::U b, u32& fl) {
  if (is_nan<F>(a) || is_nan<F>(b)) {
    fl |= kNV;
    return 0;
  }
  return !detail::less<F>(b, a);
}

// IEEE 754-2019 minimumNumber / maximumNumber, -0 < +0: one NaN gives the other operand, two
// give the canonical NaN; a signaling NaN signals NV.
template <class F, bool Max>
inline typename F::U minmax(typename F::U a, typename F::U b, u32& fl) {
  const bool na = is_nan<F>(a), nb = is_nan<F>(b);
  if (na || nb) [[unlikely]] {
    if (is_snan<F>(a) || is_snan<F>(b)) fl |= kNV;
    if (na && nb) return F::kCanonNaN;
    return na ? b : a;
  }
  // Total order on non-NaN values, -0 below +0.
  const bool sa = sign_of<F>(a), sb = sign_of<F>(b);
  const bool a_lt_b = sa != sb ? sa : (sa ? a > b : a < b);
  return a_lt_b != Max ? a : b;
}
template <class F> inline typename F::U fmin(typename F::U a, typename F::U b, u32& fl) {
  return minmax<F, false>(a, b, fl);
}
template <class F> inline typename F::U fmax(typename F::U a, typename F::U b, u32& fl) {
  return minmax<F, true>(a, b, fl);
}

// fclass: one of ten bits.
template <class F> inline u64 fclass(typename F::U a) {
  const bool s = sign_of<F>(a);
  if (is_inf<F>(a)) return s ? 1u << 0 : 1u << 7;
  if (is_nan<F>(a)) return is_snan<F>(a) ? 1u << 8 : 1u << 9;
  if (is_zero<F>(a)) return s ? 1u << 3 : 1u << 4;
  if (is_subnormal<F>(a)) return s ? 1u << 2 : 1u << 5;
  return s ? 1u << 1 : 1u << 6;
}

}  // namespace lockstep::core::fpu
