// The software engine (core/fpu/soft.h: RMM, integer conversions, FMA without host FMA) against
// the host FPU on millions of operands, in the four modes x86 has. Same code paths decide RMM,
// so agreement here plus the hand-checked ties in semantics_test.cpp pin the RMM results down.
#include <bit>
#include <cstdio>
#include <string>

#include "core/fpu/ops.h"
#include "tests/unit/fpu/fpu_test_util.h"

using namespace lockstep::core;
using namespace lockstep::core::fpu;

namespace {

struct Rng {
  u64 s;
  u64 next() {
    u64 z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  unsigned below(unsigned n) { return static_cast<unsigned>(next() % n); }
};

template <class F>
typename F::U make(typename F::U sign, int biased_exp, u64 frac) {
  return sign | (static_cast<typename F::U>(biased_exp) << F::kFrac) | static_cast<typename F::U>(frac & F::kFracMask);
}

// An operand: specials, random bits, and shapes that reach ties, cancellation, subnormals and
// overflow.
template <class F>
typename F::U operand(Rng& r) {
  using U = typename F::U;
  constexpr int kMaxExp = 2 * F::kBias + 1;
  const U sign = (r.next() & 1) ? F::kSign : 0;
  switch (r.below(8)) {
    case 0: {
      const U specials[] = {0, F::kInf, F::kCanonNaN, F::kInf | 1, 1, F::kFracMask, F::kFracMask + 1,
                            F::kMaxFinite, make<F>(0, F::kBias, 0), make<F>(0, F::kBias, 1),
                            make<F>(0, F::kBias - 1, F::kFracMask), F::kCanonNaN | 1, F::kQuiet - 1 + F::kInf};
      return sign | specials[r.below(sizeof specials / sizeof specials[0])];
    }
    case 1:
    case 2: return static_cast<U>(r.next());
    case 3: return make<F>(sign, F::kBias + static_cast<int>(r.below(9)) - 4, r.next());  // around 1
    case 4: {  // few significant bits: exact results and ties
      u64 frac = 0;
      for (unsigned k = r.below(4); k > 0; --k) frac |= u64{1} << r.below(F::kFrac);
      if (r.next() & 1) frac |= u64{1} << (F::kFrac - 1 - r.below(3));
      return make<F>(sign, F::kBias + static_cast<int>(r.below(61)) - 30, frac);
    }
    case 5: return make<F>(sign, static_cast<int>(r.below(F::kPrec + 3)), r.next());  // subnormal range
    case 6: return make<F>(sign, kMaxExp - 1 - static_cast<int>(r.below(F::kPrec + 3)), r.next());  // huge
    default: {  // small exponents that multiply into the subnormal range
      return make<F>(sign, F::kBias / 2 + static_cast<int>(r.below(40)) - 20 - (r.next() & 1 ? F::kBias / 2 : 0),
                     r.next());
    }
  }
}

std::string hex(u64 v) {
  char b[24];
  std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
  return b;
}

template <class F>
void check_same(const char* op, unsigned rm, typename F::U a, typename F::U b, typename F::U c, typename F::U want,
                u32 want_fl, typename F::U got, u32 got_fl, int& failures) {
  if (want == got && want_fl == got_fl) return;
  if (++failures > 20) return;
  FAIL_CHECK(std::string(op) << " rm=" << rm << " a=" << hex(a) << " b=" << hex(b) << " c=" << hex(c) << ": host " << hex(want)
                << "/" << want_fl << ", soft " << hex(got) << "/" << got_fl);
}

template <class F>
void cross_check(u64 seed, int n) {
  using U = typename F::U;
  Rng r{seed};
  int failures = 0;
  for (int k = 0; k < n; ++k) {
    U a = operand<F>(r), b = operand<F>(r), c = operand<F>(r);
    if (r.below(4) == 0 && !is_nan<F>(a)) {  // b close to -a or a: cancellation
      b = static_cast<U>((a ^ ((r.next() & 1) ? F::kSign : 0)) + r.below(5) - 2);
    }
    const unsigned rm = r.below(4);
    if (r.below(4) == 0) {  // c close to -(a*b): deep cancellation in fma
      u32 ignore = 0;
      c = static_cast<U>(soft::mul<F>(a, b, kRTZ, ignore) ^ F::kSign) + static_cast<U>(r.below(3)) - 1;
    }
    u32 fh = 0, fs = 0;
    U h, s;
    h = add<F>(a, b, rm, fh), s = soft::add<F>(a, b, rm, fs);
    check_same<F>("add", rm, a, b, 0, h, fh, s, fs, failures);
    fh = fs = 0;
    h = sub<F>(a, b, rm, fh), s = soft::add<F>(a, b ^ F::kSign, rm, fs);
    check_same<F>("sub", rm, a, b, 0, h, fh, s, fs, failures);
    fh = fs = 0;
    h = mul<F>(a, b, rm, fh), s = soft::mul<F>(a, b, rm, fs);
    check_same<F>("mul", rm, a, b, 0, h, fh, s, fs, failures);
    fh = fs = 0;
    h = div<F>(a, b, rm, fh), s = soft::div<F>(a, b, rm, fs);
    check_same<F>("div", rm, a, b, 0, h, fh, s, fs, failures);
    if (host::kHasFma) {
      fh = fs = 0;
      h = fma<F>(a, b, c, rm, fh), s = soft::fma<F>(a, b, c, rm, fs);
      check_same<F>("fma", rm, a, b, c, h, fh, s, fs, failures);
    }
    if constexpr (std::is_same_v<F, F64>) {
      fh = fs = 0;
      const u32 hn = narrow(a, rm, fh), sn = soft::convert<F32, F64>(a, rm, fs);
      check_same<F32>("narrow", rm, static_cast<u32>(a), 0, 0, hn, fh, sn, fs, failures);
      fh = kNX;
      const u32 hn_nx = narrow(a, rm, fh);
      check_same<F32>("narrow, NX accrued", rm, static_cast<u32>(a), 0, 0, hn_nx, fh, sn, fs | kNX, failures);
    }
    // With NX already accrued the host path may skip reading the flags: same results, and the
    // flags still gain everything but NX.
    const unsigned rm5 = r.below(5);
    struct {
      const char* name;
      U (*fn)(U, U, unsigned, u32&);
    } const binops[] = {{"add", add<F>}, {"sub", sub<F>}, {"mul", mul<F>}, {"div", div<F>}};
    for (const auto& op : binops) {
      u32 f0 = 0, f1 = kNX;
      const U r0 = op.fn(a, b, rm5, f0), r1 = op.fn(a, b, rm5, f1);
      check_same<F>(op.name, rm5, a, b, 0, r0, f0 | kNX, r1, f1, failures);
    }
    {
      u32 f0 = 0, f1 = kNX;
      const U r0 = fma<F>(a, b, c, rm5, f0), r1 = fma<F>(a, b, c, rm5, f1);
      check_same<F>("fma, NX accrued", rm5, a, b, c, r0, f0 | kNX, r1, f1, failures);
      f0 = 0, f1 = kNX;
      const U s0 = fpu::sqrt<F>(a, rm5, f0), s1 = fpu::sqrt<F>(a, rm5, f1);
      check_same<F>("sqrt, NX accrued", rm5, a, 0, 0, s0, f0 | kNX, s1, f1, failures);
    }
  }
  CHECK(failures == 0);
}

// Host conversions with the MXCSR rounding control, for the in-range cases x86 can do.
i64 host_cvt_d_to_i64(double v, unsigned rm, u32& mx) {
  i64 out;
  asm volatile("ldmxcsr %[ctl]\n\tcvtsd2si %[v], %[o]\n\tstmxcsr %[st]\n\tldmxcsr %[host]"
               : [o] "=r"(out), [st] "=m"(mx)
               : [v] "x"(v), [ctl] "m"(host::kMxcsrForRm[rm]), [host] "m"(host::kMxcsrDefault));
  return out;
}
double host_cvt_i64_to_d(i64 v, unsigned rm, u32& mx) {
  double out;
  asm volatile("ldmxcsr %[ctl]\n\tcvtsi2sd %[v], %[o]\n\tstmxcsr %[st]\n\tldmxcsr %[host]"
               : [o] "=x"(out), [st] "=m"(mx)
               : [v] "r"(v), [ctl] "m"(host::kMxcsrForRm[rm]), [host] "m"(host::kMxcsrDefault));
  return out;
}
float host_cvt_i64_to_s(i64 v, unsigned rm, u32& mx) {
  float out;
  asm volatile("ldmxcsr %[ctl]\n\tcvtsi2ss %[v], %[o]\n\tstmxcsr %[st]\n\tldmxcsr %[host]"
               : [o] "=x"(out), [st] "=m"(mx)
               : [v] "r"(v), [ctl] "m"(host::kMxcsrForRm[rm]), [host] "m"(host::kMxcsrDefault));
  return out;
}

}  // namespace

TEST_CASE("soft add/sub/mul/div/fma/narrow == host FPU, single") { cross_check<F32>(1, 400000); }
TEST_CASE("soft add/sub/mul/div/fma/narrow == host FPU, double") { cross_check<F64>(2, 400000); }

TEST_CASE("soft integer conversions == host cvtsd2si / cvtsi2sd / cvtsi2ss in range") {
  Rng r{3};
  int failures = 0;
  for (int k = 0; k < 400000; ++k) {
    const unsigned rm = r.below(4);
    // double -> i64, values with |v| < 2^63
    u64 a = operand<F64>(r);
    if (r.below(2)) a = make<F64>(a & F64::kSign, F64::kBias + static_cast<int>(r.below(70)) - 5, r.next());
    if (!is_nan<F64>(a) && (a & ~F64::kSign) < 0x43e0000000000000ull) {
      u32 mx = 0, fl = 0;
      const i64 want = host_cvt_d_to_i64(std::bit_cast<double>(a), rm, mx);
      const u64 got = to_i64<F64>(a, rm, fl);
      if ((static_cast<u64>(want) != got || host::fflags_of(mx) != fl) && ++failures <= 20) {
        FAIL_CHECK("to_i64 rm=" << rm << " a=" << hex(a) << " host " << hex(static_cast<u64>(want)) << "/"
                                << host::fflags_of(mx) << " soft " << hex(got) << "/" << fl);
      }
    }
    // i64 -> double / single
    i64 v = static_cast<i64>(r.next());
    if (r.below(2)) v >>= r.below(64);
    u32 mx = 0, fl = 0;
    const u64 wd = std::bit_cast<u64>(host_cvt_i64_to_d(v, rm, mx));
    const u64 gd = from_i64<F64>(static_cast<u64>(v), rm, fl);
    if ((wd != gd || host::fflags_of(mx) != fl) && ++failures <= 20) {
      FAIL_CHECK("from_i64.d rm=" << rm << " v=" << hex(static_cast<u64>(v)) << " host " << hex(wd) << " soft " << hex(gd));
    }
    mx = fl = 0;
    const u32 ws = std::bit_cast<u32>(host_cvt_i64_to_s(v, rm, mx));
    const u32 gs = from_i64<F32>(static_cast<u64>(v), rm, fl);
    if ((ws != gs || host::fflags_of(mx) != fl) && ++failures <= 20) {
      FAIL_CHECK("from_i64.s rm=" << rm << " v=" << hex(static_cast<u64>(v)) << " host " << hex(ws) << " soft " << hex(gs));
    }
  }
  CHECK(failures == 0);
}

TEST_CASE("RMM differs from RNE only on ties, and then rounds away from zero") {
  // For inexact results: RMM is either the RNE result or its neighbour away from zero, and it is
  // the neighbour only when RTZ and RUP/RDN bracket the value and RNE picked the one toward zero.
  Rng r{4};
  int differ = 0, failures = 0;
  for (int k = 0; k < 200000; ++k) {
    const u64 a = operand<F64>(r), b = operand<F64>(r);
    u32 f_rne = 0, f_rmm = 0, f_rtz = 0;
    const u64 rne = mul<F64>(a, b, kRNE, f_rne), rmm = mul<F64>(a, b, kRMM, f_rmm);
    const u64 rtz = mul<F64>(a, b, kRTZ, f_rtz);
    if (rne == rmm) continue;
    ++differ;
    // RNE went toward zero, RMM one step further out, and the flags agree.
    const bool ok = rne == rtz && (rmm & ~F64::kSign) == (rne & ~F64::kSign) + 1 && f_rne == f_rmm;
    if (!ok && ++failures <= 20) FAIL_CHECK("a=" << hex(a) << " b=" << hex(b));
  }
  CHECK(failures == 0);
  CHECK(differ > 100);  // the operand shapes do reach ties
}

TEST_CASE("host MXCSR is left at the default after guest operations in every mode") {
  for (unsigned rm = 0; rm < 5; ++rm) {
    u32 fl = 0;
    (void)add<F64>(0x3ff0000000000000ull, 0x3ca0000000000000ull, rm, fl);
    (void)fma<F32>(0x3f800003u, 0x3fc00000u, 0xbf000000u, rm, fl);
    (void)sqrt<F64>(0x4000000000000000ull, rm, fl);
    (void)narrow(0x3fd5555555555555ull, rm, fl);
    u32 mx;
    asm volatile("stmxcsr %0" : "=m"(mx));
    CHECK((mx & ~0x3fu) == host::kMxcsrDefault);  // round to nearest, masked, no FTZ/DAZ
  }
}
