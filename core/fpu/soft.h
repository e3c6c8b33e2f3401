#pragma once
#include <utility>

#include "core/fpu/format.h"

// Software IEEE 754 arithmetic on bit patterns, for every RISC-V rounding mode.
//
// The host FPU does the common work (core/fpu/host.h). These functions cover what x86 cannot:
// ties-to-away (RMM) rounding, integer conversions with RISC-V saturation, and fused
// multiply-add on hosts without FMA. Results and flags follow IEEE 754-2008 with tininess
// detected after rounding (what RISC-V specifies and QEMU's softfloat does for riscv); NaN
// results are the canonical NaN. Integer arithmetic only, so the results never depend on the
// host's floating-point state.
namespace lockstep::core::fpu::soft {

using u128 = unsigned __int128;

inline u64 shr_jam64(u64 x, int n) {
  if (n <= 0) return x;
  if (n >= 64) return x != 0;
  return (x >> n) | ((x << (64 - n)) != 0);
}
inline u128 shr_jam128(u128 x, int n) {
  if (n <= 0) return x;
  if (n >= 128) return x != 0;
  return (x >> n) | ((x << (128 - n)) != 0);
}
inline int clz128(u128 x) {  // x != 0
  const u64 hi = static_cast<u64>(x >> 64);
  return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll(static_cast<u64>(x));
}

// Whether rounding magnitude m up by one unit is right, given the discarded bits rem and the
// value of half a unit in the same scale.
inline bool round_up(bool sign, u64 m, u64 rem, u64 half, unsigned rm) {
  switch (rm) {
    case kRNE: return rem > half || (rem == half && (m & 1));
    case kRTZ: return false;
    case kRDN: return sign && rem != 0;
    case kRUP: return !sign && rem != 0;
    default: return rem >= half;  // kRMM
  }
}

// The result of an overflow: infinity or the largest finite value, by rounding direction.
template <class F>
inline typename F::U overflow(bool sign, unsigned rm, u32& fl) {
  fl |= kOF | kNX;
  const bool to_inf = rm == kRNE || rm == kRMM || (rm == kRUP && !sign) || (rm == kRDN && sign);
  return (sign ? F::kSign : 0) | (to_inf ? F::kInf : F::kMaxFinite);
}

// Rounds (-1)^sign * sig * 2^(exp - 63) to format F. sig has bit 63 set; any bits below the
// format's precision, bit 0 included, may hold a sticky "something nonzero was shifted out".
template <class F>
inline typename F::U round_pack(bool sign, int exp, u64 sig, unsigned rm, u32& fl) {
  using U = typename F::U;
  constexpr int kShift = 64 - F::kPrec;
  constexpr u64 kHalf = u64{1} << (kShift - 1), kMask = (u64{1} << kShift) - 1;
  if (exp > F::kEmax) return overflow<F>(sign, rm, fl);
  bool tiny = false;
  if (exp < F::kEmin) {
    // Tininess after rounding: the value rounded to full precision with an unbounded exponent
    // is still below 2^emin. Only a value just below 2^emin can round up out of tininess.
    tiny = true;
    if (exp == F::kEmin - 1) {
      const u64 m = sig >> kShift;
      if (round_up(sign, m, sig & kMask, kHalf, rm) && m + 1 == (u64{1} << F::kPrec)) tiny = false;
    }
    sig = shr_jam64(sig, F::kEmin - exp);
    exp = F::kEmin;
  }
  u64 m = sig >> kShift;
  const u64 rem = sig & kMask;
  if (rem != 0) fl |= tiny ? (kNX | kUF) : kNX;
  m += round_up(sign, m, rem, kHalf, rm);
  // The significand's leading one adds into the exponent field, so a carry out of rounding and a
  // subnormal that rounds up to 2^emin both land on the right encoding.
  const u64 enc = (static_cast<u64>(exp + F::kBias - 1) << F::kFrac) + m;
  if (enc >= F::kInf) return overflow<F>(sign, rm, fl);
  return (sign ? F::kSign : 0) | static_cast<U>(enc);
}

// Normalises a nonzero wide significand x (value x * 2^e0) and rounds it.
template <class F>
inline typename F::U round_wide(bool sign, int e0, u128 x, unsigned rm, u32& fl) {
  const int lz = clz128(x);
  x <<= lz;
  const u64 sig = static_cast<u64>(x >> 64) | (static_cast<u64>(x) != 0);
  return round_pack<F>(sign, e0 + 127 - lz, sig, rm, fl);
}

// A finite nonzero operand: value = (-1)^sign * m * 2^(e - (prec - 1)), m in [2^(prec-1), 2^prec).
struct Unpacked {
  bool sign;
  int e;
  u64 m;
};
template <class F>
inline Unpacked unpack(typename F::U x) {
  const bool s = sign_of<F>(x);
  const int ef = static_cast<int>((x >> F::kFrac) & (F::kInf >> F::kFrac));
  const u64 fr = static_cast<u64>(x & F::kFracMask);
  if (ef == 0) {
    const int lz = __builtin_clzll(fr) - (64 - F::kPrec);
    return {s, F::kEmin - lz, fr << lz};
  }
  return {s, ef - F::kBias, fr | (u64{1} << F::kFrac)};
}

// An exact zero sum of nonzero values is +0, or -0 when rounding down.
template <class F>
constexpr typename F::U exact_zero(unsigned rm) {
  return rm == kRDN ? F::kSign : 0;
}

// Signals NV for any signaling NaN among the operands and returns the canonical NaN.
template <class F, class... Ts>
inline typename F::U nan_result(u32& fl, Ts... ops) {
  if ((is_snan<F>(ops) || ...)) fl |= kNV;
  return F::kCanonNaN;
}

// a + b (finite nonzero, unpacked): exact alignment in 128 bits with a sticky bit.
template <class F>
inline typename F::U add_finite(Unpacked a, Unpacked b, unsigned rm, u32& fl) {
  if (a.e < b.e || (a.e == b.e && a.m < b.m)) std::swap(a, b);  // |a| >= |b|
  const u128 x = static_cast<u128>(a.m) << 64;
  const u128 y = shr_jam128(static_cast<u128>(b.m) << 64, a.e - b.e);
  const u128 s = a.sign == b.sign ? x + y : x - y;
  if (s == 0) return exact_zero<F>(rm);
  return round_wide<F>(a.sign, a.e - (F::kPrec - 1) - 64, s, rm, fl);
}

template <class F>
inline typename F::U add(typename F::U a, typename F::U b, unsigned rm, u32& fl) {
  if (is_nan<F>(a) || is_nan<F>(b)) return nan_result<F>(fl, a, b);
  if (is_inf<F>(a) || is_inf<F>(b)) {
    if (is_inf<F>(a) && is_inf<F>(b) && sign_of<F>(a) != sign_of<F>(b)) {
      fl |= kNV;
      return F::kCanonNaN;
    }
    return is_inf<F>(a) ? a : b;
  }
  if (is_zero<F>(a) && is_zero<F>(b)) return sign_of<F>(a) == sign_of<F>(b) ? a : exact_zero<F>(rm);
  if (is_zero<F>(a)) return b;
  if (is_zero<F>(b)) return a;
  return add_finite<F>(unpack<F>(a), unpack<F>(b), rm, fl);
}

template <class F>
inline typename F::U mul(typename F::U a, typename F::U b, unsigned rm, u32& fl) {
  if (is_nan<F>(a) || is_nan<F>(b)) return nan_result<F>(fl, a, b);
  const typename F::U s = (a ^ b) & F::kSign;
  if (is_inf<F>(a) || is_inf<F>(b)) {
    if (is_zero<F>(a) || is_zero<F>(b)) {
      fl |= kNV;
      return F::kCanonNaN;
    }
    return s | F::kInf;
  }
  if (is_zero<F>(a) || is_zero<F>(b)) return s;
  const Unpacked x = unpack<F>(a), y = unpack<F>(b);
  return round_wide<F>(s != 0, x.e + y.e - 2 * (F::kPrec - 1), static_cast<u128>(x.m) * y.m, rm, fl);
}

template <class F>
inline typename F::U div(typename F::U a, typename F::U b, unsigned rm, u32& fl) {
  if (is_nan<F>(a) || is_nan<F>(b)) return nan_result<F>(fl, a, b);
  const typename F::U s = (a ^ b) & F::kSign;
  if (is_inf<F>(a)) {
    if (is_inf<F>(b)) {
      fl |= kNV;
      return F::kCanonNaN;
    }
    return s | F::kInf;
  }
  if (is_inf<F>(b)) return s;
  if (is_zero<F>(b)) {
    if (is_zero<F>(a)) {
      fl |= kNV;
      return F::kCanonNaN;
    }
    fl |= kDZ;
    return s | F::kInf;
  }
  if (is_zero<F>(a)) return s;
  const Unpacked x = unpack<F>(a), y = unpack<F>(b);
  // The quotient of (m_a << 74) / m_b has at least 73 bits; the remainder becomes a sticky bit.
  const u128 n = static_cast<u128>(x.m) << 74;
  u128 q = n / y.m;
  if (n % y.m != 0) q |= 1;
  return round_wide<F>(s != 0, x.e - y.e - 74, q, rm, fl);
}

// a * b + c with a single rounding. All operand signs are as given (the caller negates for
// fmsub/fnmadd/fnmsub). RISC-V signals NV for inf * 0 even when c is a quiet NaN.
template <class F>
inline typename F::U fma(typename F::U a, typename F::U b, typename F::U c, unsigned rm, u32& fl) {
  using U = typename F::U;
  const bool inf_zero =
      (is_inf<F>(a) && is_zero<F>(b)) || (is_zero<F>(a) && is_inf<F>(b));
  if (is_nan<F>(a) || is_nan<F>(b) || is_nan<F>(c)) {
    if (inf_zero) fl |= kNV;
    return nan_result<F>(fl, a, b, c);
  }
  if (inf_zero) {
    fl |= kNV;
    return F::kCanonNaN;
  }
  const U ps = (a ^ b) & F::kSign;
  if (is_inf<F>(a) || is_inf<F>(b)) {
    if (is_inf<F>(c) && (c & F::kSign) != ps) {
      fl |= kNV;
      return F::kCanonNaN;
    }
    return ps | F::kInf;
  }
  if (is_inf<F>(c)) return c;
  if (is_zero<F>(a) || is_zero<F>(b)) {
    if (!is_zero<F>(c)) return c;
    return (c & F::kSign) == ps ? c : exact_zero<F>(rm);
  }
  const Unpacked x = unpack<F>(a), y = unpack<F>(b);
  const u128 p = static_cast<u128>(x.m) * y.m;
  const int ep = x.e + y.e - 2 * (F::kPrec - 1);  // product = p * 2^ep
  if (is_zero<F>(c)) return round_wide<F>(ps != 0, ep, p, rm, fl);
  const Unpacked z = unpack<F>(c);
  const int ec = z.e - (F::kPrec - 1);  // addend = z.m * 2^ec
  // Place both in one 128-bit frame whose bit 125 holds the larger leading bit: the larger
  // operand is exact there, and a smaller one that falls off the bottom is far enough below
  // the rounding position for a sticky bit to stand in for it.
  const int lead_p = ep + 127 - clz128(p), lead_c = z.e;
  const int f0 = (lead_p > lead_c ? lead_p : lead_c) - 125;
  auto place = [f0](u128 v, int e) { return e >= f0 ? v << (e - f0) : shr_jam128(v, f0 - e); };
  const u128 xp = place(p, ep), xc = place(z.m, ec);
  u128 s;
  bool sign;
  if ((ps != 0) == z.sign) {
    s = xp + xc;
    sign = z.sign;
  } else if (xp >= xc) {
    s = xp - xc;
    sign = ps != 0;
  } else {
    s = xc - xp;
    sign = z.sign;
  }
  if (s == 0) return exact_zero<F>(rm);
  return round_wide<F>(sign, f0, s, rm, fl);
}

// Conversion between the two formats (narrowing rounds; widening is exact).
template <class To, class From>
inline typename To::U convert(typename From::U a, unsigned rm, u32& fl) {
  using U = typename To::U;
  if (is_nan<From>(a)) {
    if (is_snan<From>(a)) fl |= kNV;
    return To::kCanonNaN;
  }
  const U s = sign_of<From>(a) ? To::kSign : 0;
  if (is_inf<From>(a)) return s | To::kInf;
  if (is_zero<From>(a)) return s;
  const Unpacked x = unpack<From>(a);
  return round_pack<To>(x.sign, x.e, x.m << (64 - From::kPrec), rm, fl);
}

// Integer to float: (-1)^neg * mag.
template <class F>
inline typename F::U from_int(bool neg, u64 mag, unsigned rm, u32& fl) {
  if (mag == 0) return 0;
  const int lz = __builtin_clzll(mag);
  return round_pack<F>(neg, 63 - lz, mag << lz, rm, fl);
}

// Float to integer with RISC-V saturation: NaN and +overflow give the maximum, -overflow the
// minimum; NV replaces NX on an invalid conversion. Bits = 32 or 64; the result is the integer's
// two's-complement bit pattern zero-extended to 64 bits.
template <class F, bool Signed, int Bits>
inline u64 to_int(typename F::U a, unsigned rm, u32& fl) {
  constexpr u64 kMax = Signed ? (u64{1} << (Bits - 1)) - 1 : (Bits == 64 ? ~u64{0} : (u64{1} << Bits) - 1);
  constexpr u64 kMinMag = Signed ? u64{1} << (Bits - 1) : 0;  // magnitude of the minimum
  constexpr u64 kMask = Bits == 64 ? ~u64{0} : (u64{1} << Bits) - 1;
  auto invalid = [&fl](bool neg) {
    fl |= kNV;
    return neg ? (0 - kMinMag) & kMask : kMax;
  };
  if (is_nan<F>(a)) return invalid(false);
  const bool neg = sign_of<F>(a);
  if (is_inf<F>(a)) return invalid(neg);
  if (is_zero<F>(a)) return 0;
  const Unpacked x = unpack<F>(a);
  if (x.e >= 64) return invalid(neg);
  u64 mag, rem, half;
  const int shift = x.e - (F::kPrec - 1);
  if (shift >= 0) {
    mag = x.m << shift;  // e <= 63 keeps this within 64 bits
    rem = 0;
    half = 1;
  } else if (-shift <= 62) {
    mag = x.m >> -shift;
    rem = x.m & ((u64{1} << -shift) - 1);
    half = u64{1} << (-shift - 1);
  } else {  // below one half: only the directed modes can round it away from zero
    mag = 0;
    rem = 1;
    half = 2;
  }
  if (round_up(neg, mag, rem, half, rm)) {
    if (mag == ~u64{0}) return invalid(neg);
    ++mag;
  }
  if (neg) {
    if (mag > kMinMag) return invalid(true);
  } else if (mag > kMax) {
    return invalid(false);
  }
  if (rem != 0) fl |= kNX;
  return (neg ? 0 - mag : mag) & kMask;
}

}  // namespace lockstep::core::fpu::soft
