// Hand-checked vectors for every F/D instruction, through the semantics functions.
#include <cstdio>
#include <string>

#include "core/semantics/rv_fd.h"
#include "tests/unit/fpu/fpu_test_util.h"

using namespace lockstep::core;
using namespace lockstep::core::fputest;

namespace {

std::string hex(u64 v) {
  char b[24];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

// f-register result and flags.
void expect_f(const Result& r, u64 f, u32 flags, const char* what) {
  INFO(what);
  CHECK(r.flow == Flow::Next);
  CHECK_MESSAGE(r.f == f, "f1 = " << hex(r.f) << ", want " << hex(f));
  CHECK_MESSAGE(r.flags == flags, "fflags = " << r.flags << ", want " << flags);
  CHECK(r.x == kPoison);
}
// x-register result and flags.
void expect_x(const Result& r, u64 x, u32 flags, const char* what) {
  INFO(what);
  CHECK(r.flow == Flow::Next);
  CHECK_MESSAGE(r.x == x, "x1 = " << hex(r.x) << ", want " << hex(x));
  CHECK_MESSAGE(r.flags == flags, "fflags = " << r.flags << ", want " << flags);
  CHECK(r.f == kPoison);
}
// counted: QEMU still counts the instruction (a translation-time trap: FS off), or not (a
// run-time helper trap: reserved rounding mode).
void expect_illegal(const Result& r, u32 raw, u32 flags_before, bool counted, const char* what) {
  INFO(what);
  CHECK(r.flow == Flow::Trap);
  CHECK(r.trap.cause == static_cast<u64>(Exc::IllegalInsn));
  CHECK(r.trap.tval == raw);
  CHECK(r.trap.counted == counted);
  CHECK(r.f == kPoison);
  CHECK(r.x == kPoison);
  CHECK(r.flags == flags_before);
}

// Single constants.
constexpr u32 s1 = 0x3f800000, s2 = 0x40000000, s3 = 0x40400000, sHalf = 0x3f000000;
constexpr u32 sM1 = 0xbf800000, sInf = 0x7f800000, sNInf = 0xff800000, sMax = 0x7f7fffff;
constexpr u32 sQNaN = 0x7fc00000, sSNaN = 0x7f800001, sPZ = 0, sNZ = 0x80000000;
// Double constants.
constexpr u64 d1 = 0x3ff0000000000000, d2 = 0x4000000000000000, dM1 = 0xbff0000000000000;
constexpr u64 dInf = 0x7ff0000000000000, dNInf = 0xfff0000000000000, dMax = 0x7fefffffffffffff;
constexpr u64 dQNaN = 0x7ff8000000000000, dSNaN = 0x7ff0000000000001, dPZ = 0, dNZ = 0x8000000000000000;

}  // namespace

TEST_CASE("fadd.s: rounding modes on a tie, signed zeros, overflow, NaNs, NaN-boxing") {
  const u32 tiny = 0x33800000;  // 2^-24: half an ulp of 1.0
  expect_f(run({sem::fadd_s, S(s1), S(s2)}), S(s3), 0, "1+2 exact");
  expect_f(run({sem::fadd_s, S(s1), S(tiny), 0, RNE}), S(0x3f800000), NX, "tie RNE -> even (down)");
  expect_f(run({sem::fadd_s, S(s1), S(tiny), 0, RTZ}), S(0x3f800000), NX, "tie RTZ");
  expect_f(run({sem::fadd_s, S(s1), S(tiny), 0, RDN}), S(0x3f800000), NX, "tie RDN");
  expect_f(run({sem::fadd_s, S(s1), S(tiny), 0, RUP}), S(0x3f800001), NX, "tie RUP");
  expect_f(run({sem::fadd_s, S(s1), S(tiny), 0, RMM}), S(0x3f800001), NX, "tie RMM -> away");
  expect_f(run({sem::fadd_s, S(sM1), S(tiny | 0x80000000), 0, RDN}), S(0xbf800001), NX, "neg tie RDN");
  expect_f(run({sem::fadd_s, S(sM1), S(tiny | 0x80000000), 0, RUP}), S(0xbf800000), NX, "neg tie RUP");
  expect_f(run({sem::fadd_s, S(sM1), S(tiny | 0x80000000), 0, RMM}), S(0xbf800001), NX, "neg tie RMM");
  expect_f(run({sem::fadd_s, S(0x3f800001), S(tiny), 0, RNE}), S(0x3f800002), NX, "odd tie RNE -> up");
  expect_f(run({sem::fadd_s, S(0x3f800001), S(tiny), 0, RMM}), S(0x3f800002), NX, "odd tie RMM");
  expect_f(run({sem::fadd_s, S(s1), S(0x33c00000), 0, RNE}), S(0x3f800001), NX, "above half RNE");
  expect_f(run({sem::fadd_s, S(s1), S(0x33c00000), 0, RTZ}), S(0x3f800000), NX, "above half RTZ");
  // exact zeros
  expect_f(run({sem::fadd_s, S(s1), S(sM1), 0, RNE}), S(sPZ), 0, "1 + -1 = +0");
  expect_f(run({sem::fadd_s, S(s1), S(sM1), 0, RDN}), S(sNZ), 0, "1 + -1 = -0 in RDN");
  expect_f(run({sem::fadd_s, S(s1), S(sM1), 0, RMM}), S(sPZ), 0, "1 + -1 = +0 in RMM");
  expect_f(run({sem::fadd_s, S(sNZ), S(sNZ), 0, RNE}), S(sNZ), 0, "-0 + -0");
  expect_f(run({sem::fadd_s, S(sPZ), S(sNZ), 0, RNE}), S(sPZ), 0, "+0 + -0");
  expect_f(run({sem::fadd_s, S(sPZ), S(sNZ), 0, RDN}), S(sNZ), 0, "+0 + -0 RDN");
  // overflow by rounding mode
  expect_f(run({sem::fadd_s, S(sMax), S(sMax), 0, RNE}), S(sInf), OF | NX, "max+max RNE");
  expect_f(run({sem::fadd_s, S(sMax), S(sMax), 0, RTZ}), S(sMax), OF | NX, "max+max RTZ");
  expect_f(run({sem::fadd_s, S(sMax), S(sMax), 0, RDN}), S(sMax), OF | NX, "max+max RDN");
  expect_f(run({sem::fadd_s, S(sMax), S(sMax), 0, RUP}), S(sInf), OF | NX, "max+max RUP");
  expect_f(run({sem::fadd_s, S(sMax), S(sMax), 0, RMM}), S(sInf), OF | NX, "max+max RMM");
  expect_f(run({sem::fadd_s, S(sMax | 0x80000000), S(sMax | 0x80000000), 0, RDN}), S(sNInf), OF | NX, "-max RDN");
  expect_f(run({sem::fadd_s, S(sMax | 0x80000000), S(sMax | 0x80000000), 0, RUP}), S(0xff7fffff), OF | NX,
           "-max RUP");
  // NaNs
  expect_f(run({sem::fadd_s, S(sInf), S(sNInf)}), S(sQNaN), NV, "inf - inf");
  expect_f(run({sem::fadd_s, S(sSNaN), S(s1)}), S(sQNaN), NV, "sNaN");
  expect_f(run({sem::fadd_s, S(0x7fc00001), S(s1)}), S(sQNaN), 0, "qNaN payload dropped");
  expect_f(run({sem::fadd_s, S(0xffc12345), S(sSNaN)}), S(sQNaN), NV, "two NaNs");
  expect_f(run({sem::fadd_s, S(sInf), S(s1)}), S(sInf), 0, "inf + 1");
  // NaN-boxing: an improperly boxed operand is the canonical (quiet) NaN.
  expect_f(run({sem::fadd_s, 0x000000003f800000, S(s1)}), S(sQNaN), 0, "unboxed rs1");
  expect_f(run({sem::fadd_s, S(s1), 0x7fffffff3f800000}), S(sQNaN), 0, "unboxed rs2");
  expect_f(run({sem::fadd_s, d1, S(s1)}), S(sQNaN), 0, "a double read as single");
  // flags accrue
  expect_f(run({.fn = sem::fadd_s, .a = S(s1), .b = S(tiny), .flags_before = DZ}), S(s1), DZ | NX, "accrue");
}

TEST_CASE("with NX already accrued the fast path still reports every other flag") {
  const u32 tiny = 0x33800000;
  expect_f(run({.fn = sem::fadd_s, .a = S(s1), .b = S(tiny), .rm = RUP, .flags_before = NX}), S(0x3f800001), NX,
           "plain inexact");
  expect_f(run({.fn = sem::fadd_s, .a = S(sMax), .b = S(sMax), .rm = RTZ, .flags_before = NX}), S(sMax), OF | NX,
           "overflow to max finite");
  expect_f(run({.fn = sem::fadd_s, .a = S(sMax), .b = S(sMax), .rm = RNE, .flags_before = NX}), S(sInf), OF | NX,
           "overflow to inf");
  expect_f(run({.fn = sem::fmul_s, .a = S(0x3f7fffff), .b = S(0x00800000), .rm = RNE, .flags_before = NX}),
           S(0x00800000), UF | NX, "tiny, rounded to the smallest normal");
  expect_f(run({.fn = sem::fmul_d, .a = 0x3fefffffffffffff, .b = 0x0010000000000000, .rm = RNE, .flags_before = NX}),
           0x0010000000000000, UF | NX, "tiny, rounded to the smallest normal (double)");
  expect_f(run({.fn = sem::fdiv_d, .a = d1, .b = dPZ, .flags_before = NX}), dInf, DZ | NX, "divide by zero");
  expect_f(run({.fn = sem::fsqrt_d, .a = dM1, .flags_before = NX}), dQNaN, NV | NX, "invalid");
  expect_f(run({.fn = sem::fmadd_d, .a = dInf, .b = dPZ, .c = dQNaN, .flags_before = NX}), dQNaN, NV | NX,
           "inf*0+qNaN");
  expect_f(run({.fn = sem::fmadd_s, .a = S(sMax), .b = S(sMax), .c = S(sPZ), .rm = RDN, .flags_before = NX}),
           S(sMax), OF | NX, "fma overflow RDN");
  expect_f(run({.fn = sem::fcvt_s_d, .a = 0x7e37e43c8800759c, .rm = RTZ, .flags_before = NX}), S(sMax), OF | NX,
           "narrow overflow");
  expect_f(run({.fn = sem::fcvt_s_d, .a = 0x36a0000000000000, .flags_before = NX}), S(0x00000001), NX,
           "narrow exact subnormal");
  expect_f(run({.fn = sem::fmul_s, .a = S(0x3f800003), .b = S(0x3fc00000), .rm = RMM, .flags_before = NX}),
           S(0x3fc00005), NX, "RMM tie");
}

TEST_CASE("with NX accrued, exact zeros take the fast path and keep their sign; tiny results still underflow") {
  const u64 dTiny = 0x0000000000000001;  // the smallest subnormal
  expect_f(run({.fn = sem::fsub_d, .a = d2, .b = d2, .flags_before = NX}), dPZ, NX, "x - x in RNE");
  expect_f(run({.fn = sem::fsub_d, .a = d2, .b = d2, .rm = RDN, .flags_before = NX}), dNZ, NX, "x - x in RDN");
  expect_f(run({.fn = sem::fadd_d, .a = dNZ, .b = dNZ, .flags_before = NX}), dNZ, NX, "-0 + -0");
  expect_f(run({.fn = sem::fmul_d, .a = dM1, .b = dPZ, .flags_before = NX}), dNZ, NX, "-1 * +0");
  expect_f(run({.fn = sem::fdiv_d, .a = dPZ, .b = dM1, .flags_before = NX}), dNZ, NX, "+0 / -1");
  expect_f(run({.fn = sem::fsqrt_d, .a = dNZ, .flags_before = NX}), dNZ, NX, "sqrt(-0)");
  expect_f(run({.fn = sem::fmadd_d, .a = dPZ, .b = d2, .c = dNZ, .flags_before = NX}), dPZ, NX, "0 * 2 + -0");
  expect_f(run({.fn = sem::fmadd_s, .a = S(sPZ), .b = S(0x40000000), .c = S(sPZ), .flags_before = NX}), S(sPZ), NX,
           "0 * 2 + 0 (single)");
  // Zero results that are not exact: the flag path must see them.
  expect_f(run({.fn = sem::fmul_d, .a = dTiny, .b = dTiny, .flags_before = NX}), dPZ, UF | NX, "tiny * tiny");
  expect_f(run({.fn = sem::fdiv_d, .a = dTiny, .b = dMax, .flags_before = NX}), dPZ, UF | NX, "tiny / max");
  expect_f(run({.fn = sem::fmadd_d, .a = dTiny, .b = dTiny, .c = dPZ, .flags_before = NX}), dPZ, UF | NX,
           "tiny * tiny + 0");
  expect_f(run({.fn = sem::fmul_d, .a = dInf, .b = dPZ, .flags_before = NX}), dQNaN, NV | NX, "inf * 0");
}

TEST_CASE("fsub.s / fmul.s / fdiv.s") {
  expect_f(run({sem::fsub_s, S(s3), S(s1)}), S(s2), 0, "3-1");
  expect_f(run({sem::fsub_s, S(s1), S(s1), 0, RDN}), S(sNZ), 0, "1-1 RDN");
  expect_f(run({sem::fsub_s, S(s1), S(s1), 0, RUP}), S(sPZ), 0, "1-1 RUP");
  expect_f(run({sem::fsub_s, S(sInf), S(sInf)}), S(sQNaN), NV, "inf-inf");
  expect_f(run({sem::fsub_s, S(s1), S(0xb3800000), 0, RMM}), S(0x3f800001), NX, "1 - (-2^-24) RMM");

  expect_f(run({sem::fmul_s, S(s2), S(s3)}), S(0x40c00000), 0, "2*3");
  expect_f(run({sem::fmul_s, S(sInf), S(sPZ)}), S(sQNaN), NV, "inf*0");
  expect_f(run({sem::fmul_s, S(sNZ), S(s3)}), S(sNZ), 0, "-0*3");
  expect_f(run({sem::fmul_s, S(0x00800000), S(sHalf)}), S(0x00400000), 0, "exact subnormal: no UF");
  // (1-2^-24) * 2^-126: tiny even after rounding; RNE rounds the subnormal up to 2^-126.
  expect_f(run({sem::fmul_s, S(0x3f7fffff), S(0x00800000), 0, RNE}), S(0x00800000), UF | NX, "tiny RNE");
  expect_f(run({sem::fmul_s, S(0x3f7fffff), S(0x00800000), 0, RTZ}), S(0x007fffff), UF | NX, "tiny RTZ");
  // (1-2^-23)(1+2^-23) * 2^-126 = 2^-126 (1 - 2^-46): below 2^-126 before rounding but not after
  // (in RNE/RUP): no underflow (tininess is detected after rounding).
  expect_f(run({sem::fmul_s, S(0x3f7ffffe), S(0x00800001), 0, RNE}), S(0x00800000), NX, "after-rounding RNE");
  expect_f(run({sem::fmul_s, S(0x3f7ffffe), S(0x00800001), 0, RUP}), S(0x00800000), NX, "after-rounding RUP");
  expect_f(run({sem::fmul_s, S(0x3f7ffffe), S(0x00800001), 0, RMM}), S(0x00800000), NX, "after-rounding RMM");
  expect_f(run({sem::fmul_s, S(0x3f7ffffe), S(0x00800001), 0, RTZ}), S(0x007fffff), UF | NX, "after-rounding RTZ");
  // a tie where RNE goes down and RMM away: (1+3*2^-23)*1.5 = 1.5 + 4.5 ulp
  expect_f(run({sem::fmul_s, S(0x3f800003), S(0x3fc00000), 0, RNE}), S(0x3fc00004), NX, "mul tie RNE");
  expect_f(run({sem::fmul_s, S(0x3f800003), S(0x3fc00000), 0, RMM}), S(0x3fc00005), NX, "mul tie RMM");
  expect_f(run({sem::fmul_s, S(0x3f800003), S(0xbfc00000), 0, RMM}), S(0xbfc00005), NX, "mul tie RMM neg");
  expect_f(run({sem::fmul_s, S(0x00000001), S(sHalf), 0, RNE}), S(sPZ), UF | NX, "2^-150 RNE");
  expect_f(run({sem::fmul_s, S(0x00000001), S(sHalf), 0, RMM}), S(0x00000001), UF | NX, "2^-150 RMM");
  expect_f(run({sem::fmul_s, S(0x80000001), S(sHalf), 0, RDN}), S(0x80000001), UF | NX, "-2^-150 RDN");
  expect_f(run({sem::fmul_s, S(0x80000001), S(sHalf), 0, RUP}), S(sNZ), UF | NX, "-2^-150 RUP");

  expect_f(run({sem::fdiv_s, S(s1), S(s3), 0, RNE}), S(0x3eaaaaab), NX, "1/3 RNE");
  expect_f(run({sem::fdiv_s, S(s1), S(s3), 0, RTZ}), S(0x3eaaaaaa), NX, "1/3 RTZ");
  expect_f(run({sem::fdiv_s, S(s1), S(s3), 0, RDN}), S(0x3eaaaaaa), NX, "1/3 RDN");
  expect_f(run({sem::fdiv_s, S(s1), S(s3), 0, RUP}), S(0x3eaaaaab), NX, "1/3 RUP");
  expect_f(run({sem::fdiv_s, S(s1), S(s3), 0, RMM}), S(0x3eaaaaab), NX, "1/3 RMM");
  expect_f(run({sem::fdiv_s, S(s1), S(sPZ)}), S(sInf), DZ, "1/0");
  expect_f(run({sem::fdiv_s, S(sM1), S(sPZ)}), S(sNInf), DZ, "-1/0");
  expect_f(run({sem::fdiv_s, S(s1), S(sNZ)}), S(sNInf), DZ, "1/-0");
  expect_f(run({sem::fdiv_s, S(sPZ), S(sPZ)}), S(sQNaN), NV, "0/0");
  expect_f(run({sem::fdiv_s, S(sInf), S(sInf)}), S(sQNaN), NV, "inf/inf");
  expect_f(run({sem::fdiv_s, S(sInf), S(sPZ)}), S(sInf), 0, "inf/0: no DZ");
  expect_f(run({sem::fdiv_s, S(s1), S(sInf)}), S(sPZ), 0, "1/inf");
  // subnormal quotients on a tie: 5*2^-149 / 2 = 2.5 * 2^-149
  expect_f(run({sem::fdiv_s, S(0x00000005), S(s2), 0, RNE}), S(0x00000002), UF | NX, "2.5 RNE");
  expect_f(run({sem::fdiv_s, S(0x00000005), S(s2), 0, RMM}), S(0x00000003), UF | NX, "2.5 RMM");
  expect_f(run({sem::fdiv_s, S(sMax), S(sHalf), 0, RTZ}), S(sMax), OF | NX, "overflow RTZ");
  expect_f(run({sem::fdiv_s, S(sMax), S(sHalf), 0, RMM}), S(sInf), OF | NX, "overflow RMM");
}

TEST_CASE("fsqrt.s / fsqrt.d") {
  expect_f(run({sem::fsqrt_s, S(0x40800000)}), S(s2), 0, "sqrt 4");
  expect_f(run({sem::fsqrt_s, S(s2), 0, 0, RNE}), S(0x3fb504f3), NX, "sqrt 2 RNE");
  expect_f(run({sem::fsqrt_s, S(s2), 0, 0, RTZ}), S(0x3fb504f3), NX, "sqrt 2 RTZ");
  expect_f(run({sem::fsqrt_s, S(s2), 0, 0, RUP}), S(0x3fb504f4), NX, "sqrt 2 RUP");
  expect_f(run({sem::fsqrt_s, S(s2), 0, 0, RMM}), S(0x3fb504f3), NX, "sqrt 2 RMM");
  expect_f(run({sem::fsqrt_s, S(sM1)}), S(sQNaN), NV, "sqrt -1");
  expect_f(run({sem::fsqrt_s, S(sNZ)}), S(sNZ), 0, "sqrt -0");
  expect_f(run({sem::fsqrt_s, S(sNInf)}), S(sQNaN), NV, "sqrt -inf");
  expect_f(run({sem::fsqrt_s, S(sInf)}), S(sInf), 0, "sqrt inf");
  expect_f(run({sem::fsqrt_s, S(sSNaN)}), S(sQNaN), NV, "sqrt sNaN");
  expect_f(run({sem::fsqrt_s, S(0xffc00001)}), S(sQNaN), 0, "sqrt -qNaN");
  expect_f(run({sem::fsqrt_s, S(0x00000001)}), S(0x1a3504f3), NX, "sqrt min subnormal");
  expect_f(run({sem::fsqrt_s, 0x40800000}), S(sQNaN), 0, "unboxed");

  expect_f(run({sem::fsqrt_d, d2, 0, 0, RNE}), 0x3ff6a09e667f3bcd, NX, "sqrt 2 RNE");
  expect_f(run({sem::fsqrt_d, d2, 0, 0, RDN}), 0x3ff6a09e667f3bcc, NX, "sqrt 2 RDN");
  expect_f(run({sem::fsqrt_d, d2, 0, 0, RMM}), 0x3ff6a09e667f3bcd, NX, "sqrt 2 RMM");
  expect_f(run({sem::fsqrt_d, dM1}), dQNaN, NV, "sqrt -1");
  expect_f(run({sem::fsqrt_d, dNZ}), dNZ, 0, "sqrt -0");
  expect_f(run({sem::fsqrt_d, 0x4010000000000000}), d2, 0, "sqrt 4");
}

TEST_CASE("fmadd/fmsub/fnmsub/fnmadd .s") {
  const u64 a = S(s2), b = S(s3), c = S(s1);
  expect_f(run({sem::fmadd_s, a, b, c}), S(0x40e00000), 0, "2*3+1 = 7");
  expect_f(run({sem::fmsub_s, a, b, c}), S(0x40a00000), 0, "2*3-1 = 5");
  expect_f(run({sem::fnmsub_s, a, b, c}), S(0xc0a00000), 0, "-(2*3)+1 = -5");
  expect_f(run({sem::fnmadd_s, a, b, c}), S(0xc0e00000), 0, "-(2*3)-1 = -7");
  // one rounding: (1+2^-12)^2 - 1 = 2^-11 + 2^-24 exactly (a separate multiply would round it away)
  expect_f(run({sem::fmadd_s, S(0x3f800800), S(0x3f800800), S(sM1)}), S(0x3a000400), 0, "fused");
  // exact zero results: +0, or -0 in RDN
  expect_f(run({sem::fmadd_s, S(s1), S(s1), S(sM1), RNE}), S(sPZ), 0, "1*1-1 RNE");
  expect_f(run({sem::fmadd_s, S(s1), S(s1), S(sM1), RDN}), S(sNZ), 0, "1*1-1 RDN");
  expect_f(run({sem::fmadd_s, S(s1), S(s1), S(sM1), RMM}), S(sPZ), 0, "1*1-1 RMM");
  expect_f(run({sem::fnmadd_s, S(s1), S(s1), S(sM1), RNE}), S(sPZ), 0, "-(1*1)+1 RNE");
  expect_f(run({sem::fnmadd_s, S(s1), S(s1), S(sM1), RDN}), S(sNZ), 0, "-(1*1)+1 RDN");
  expect_f(run({sem::fmsub_s, S(s1), S(s1), S(s1), RUP}), S(sPZ), 0, "1*1-1 RUP");
  expect_f(run({sem::fmadd_s, S(sPZ), S(s1), S(sNZ), RNE}), S(sPZ), 0, "+0*1 + -0");
  expect_f(run({sem::fmadd_s, S(sPZ), S(s1), S(sNZ), RDN}), S(sNZ), 0, "+0*1 + -0 RDN");
  expect_f(run({sem::fmadd_s, S(sNZ), S(s1), S(sNZ), RNE}), S(sNZ), 0, "-0*1 + -0");
  expect_f(run({sem::fnmsub_s, S(sPZ), S(s1), S(sPZ), RNE}), S(sPZ), 0, "-(0*1) + 0");
  // a tiny product that rounds to zero keeps its sign
  expect_f(run({sem::fmadd_s, S(0x00000001), S(0x00000001), S(sNZ), RTZ}), S(sPZ), UF | NX, "tiny + -0 RTZ");
  expect_f(run({sem::fmadd_s, S(0x80000001), S(0x00000001), S(sPZ), RNE}), S(sNZ), UF | NX, "-tiny + 0");
  // invalid: inf * 0 signals even with a quiet NaN addend (QEMU's riscv rule; x86 would not)
  expect_f(run({sem::fmadd_s, S(sInf), S(sPZ), S(sQNaN)}), S(sQNaN), NV, "inf*0+qNaN");
  expect_f(run({sem::fmadd_s, S(sPZ), S(sNInf), S(s1)}), S(sQNaN), NV, "0*-inf+1");
  expect_f(run({sem::fmadd_s, S(sInf), S(s1), S(sNInf)}), S(sQNaN), NV, "inf-inf");
  expect_f(run({sem::fmadd_s, S(sQNaN), S(sPZ), S(s1)}), S(sQNaN), 0, "qNaN*0+1");
  expect_f(run({sem::fmadd_s, S(s1), S(s1), S(sSNaN)}), S(sQNaN), NV, "sNaN addend");
  expect_f(run({sem::fmadd_s, S(sMax), S(s2), S(sNInf)}), S(sNInf), 0, "overflowing product + -inf");
  expect_f(run({sem::fmadd_s, S(sMax), S(s2), S(sMax | 0x80000000), RNE}), S(sMax), 0, "no intermediate overflow");
  // RMM tie: (1+3*2^-23)*1.5 - 0.5 = 1 + 4.5 ulp
  expect_f(run({sem::fmadd_s, S(0x3f800003), S(0x3fc00000), S(0xbf000000), RNE}), S(0x3f800004), NX, "tie RNE");
  expect_f(run({sem::fmadd_s, S(0x3f800003), S(0x3fc00000), S(0xbf000000), RMM}), S(0x3f800005), NX, "tie RMM");
  expect_f(run({sem::fnmsub_s, S(0x3f800003), S(0x3fc00000), S(0x3f000000), RMM}), S(0xbf800005), NX, "neg tie RMM");
  expect_f(run({sem::fmadd_s, S(sMax), S(sMax), S(sPZ), RTZ}), S(sMax), OF | NX, "overflow RTZ");
  expect_f(run({sem::fmadd_s, S(sMax), S(sMax), S(sPZ), RMM}), S(sInf), OF | NX, "overflow RMM");
  expect_f(run({sem::fmadd_s, S(s1), S(s1), 0x3f800000}), S(sQNaN), 0, "unboxed addend");
}

TEST_CASE("double arithmetic: ties, RMM, tininess, fma") {
  const u64 half_ulp = 0x3ca0000000000000;  // 2^-53
  expect_f(run({sem::fadd_d, d1, half_ulp, 0, RNE}), d1, NX, "tie RNE");
  expect_f(run({sem::fadd_d, d1, half_ulp, 0, RMM}), 0x3ff0000000000001, NX, "tie RMM");
  expect_f(run({sem::fadd_d, d1, half_ulp, 0, RUP}), 0x3ff0000000000001, NX, "tie RUP");
  expect_f(run({sem::fadd_d, d1, dM1, 0, RDN}), dNZ, 0, "1-1 RDN");
  expect_f(run({sem::fadd_d, dMax, dMax, 0, RTZ}), dMax, OF | NX, "overflow RTZ");
  expect_f(run({sem::fadd_d, dMax, dMax, 0, RNE}), dInf, OF | NX, "overflow RNE");
  expect_f(run({sem::fadd_d, dMax | dNZ, dMax | dNZ, 0, RUP}), dMax | dNZ, OF | NX, "-overflow RUP");
  expect_f(run({sem::fadd_d, dInf, dNInf}), dQNaN, NV, "inf-inf");
  expect_f(run({sem::fadd_d, 0x7ff8000000000123, d1}), dQNaN, 0, "payload dropped");
  expect_f(run({sem::fsub_d, dSNaN, d1}), dQNaN, NV, "sNaN");
  expect_f(run({sem::fsub_d, d1, d1, 0, RDN}), dNZ, 0, "1-1 RDN");
  expect_f(run({sem::fmul_d, 0x3ff0000000000003, 0x3ff8000000000000, 0, RNE}), 0x3ff8000000000004, NX, "mul tie");
  expect_f(run({sem::fmul_d, 0x3ff0000000000003, 0x3ff8000000000000, 0, RMM}), 0x3ff8000000000005, NX, "mul RMM");
  expect_f(run({sem::fmul_d, 0x3feffffffffffffe, 0x0010000000000001, 0, RNE}), 0x0010000000000000, NX,
           "not tiny after rounding");
  expect_f(run({sem::fmul_d, 0x3feffffffffffffe, 0x0010000000000001, 0, RTZ}), 0x000fffffffffffff, UF | NX,
           "tiny after rounding");
  expect_f(run({sem::fmul_d, 0x3fefffffffffffff, 0x0010000000000000, 0, RNE}), 0x0010000000000000, UF | NX,
           "tiny, rounds to 2^-1022");
  expect_f(run({sem::fdiv_d, 0x0000000000000001, d2, 0, RNE}), dPZ, UF | NX, "2^-1075 RNE");
  expect_f(run({sem::fdiv_d, 0x0000000000000001, d2, 0, RMM}), 0x0000000000000001, UF | NX, "2^-1075 RMM");
  expect_f(run({sem::fdiv_d, d1, 0x4008000000000000, 0, RNE}), 0x3fd5555555555555, NX, "1/3");
  expect_f(run({sem::fdiv_d, d1, 0x4008000000000000, 0, RUP}), 0x3fd5555555555556, NX, "1/3 RUP");
  expect_f(run({sem::fdiv_d, d1, dPZ}), dInf, DZ, "1/0");
  expect_f(run({sem::fdiv_d, dPZ, dPZ}), dQNaN, NV, "0/0");
  expect_f(run({sem::fmadd_d, 0x3ff0000001000000, 0x3ff0000001000000, dM1}), 0x3e40000000800000, 0, "fused");
  expect_f(run({sem::fmadd_d, d1, d1, dM1, RDN}), dNZ, 0, "exact zero RDN");
  expect_f(run({sem::fmadd_d, d1, d1, dM1, RTZ}), dPZ, 0, "exact zero RTZ");
  expect_f(run({sem::fmsub_d, d2, d2, 0x4010000000000000, RDN}), dNZ, 0, "2*2-4 RDN");
  expect_f(run({sem::fnmadd_d, d2, d2, 0xc010000000000000, RNE}), dPZ, 0, "-(2*2)+4");
  expect_f(run({sem::fnmsub_d, d2, d2, 0x4010000000000000, RDN}), dNZ, 0, "-(2*2)+4 RDN");
  expect_f(run({sem::fmadd_d, dInf, dPZ, dQNaN}), dQNaN, NV, "inf*0+qNaN");
  expect_f(run({sem::fmadd_d, 0x3ff0000000000003, 0x3ff8000000000000, 0xbfe0000000000000, RMM}),
           0x3ff0000000000005, NX, "fma tie RMM");
  expect_f(run({sem::fmadd_d, 0x3ff0000000000003, 0x3ff8000000000000, 0xbfe0000000000000, RNE}),
           0x3ff0000000000004, NX, "fma tie RNE");
}

TEST_CASE("fsgnj / fsgnjn / fsgnjx") {
  expect_f(run({sem::fsgnj_s, S(s1), S(0xc0000000)}), S(sM1), 0, "fsgnj.s");
  expect_f(run({sem::fsgnjn_s, S(s1), S(0xc0000000)}), S(s1), 0, "fsgnjn.s");
  expect_f(run({sem::fsgnjx_s, S(sM1), S(0xc0000000)}), S(s1), 0, "fsgnjx.s");
  expect_f(run({sem::fsgnjx_s, S(sM1), S(s2)}), S(sM1), 0, "fsgnjx.s +");
  expect_f(run({sem::fsgnj_s, S(sSNaN), S(sNZ)}), S(0xff800001), 0, "raw bits, no NV, NaN kept");
  // unboxed operands read as the canonical NaN first
  expect_f(run({sem::fsgnj_s, S(sM1), 0xbf800000}), S(s1), 0, "unboxed rs2 is +NaN");
  expect_f(run({sem::fsgnjn_s, 0x3f800000, S(s1)}), S(0xffc00000), 0, "unboxed rs1 -> NaN");
  expect_f(run({sem::fsgnj_d, d1, dM1}), dM1, 0, "fsgnj.d");
  expect_f(run({sem::fsgnjn_d, d1, dM1}), d1, 0, "fsgnjn.d");
  expect_f(run({sem::fsgnjx_d, dM1, dM1}), d1, 0, "fsgnjx.d");
  expect_f(run({sem::fsgnj_d, S(s1), dNZ}), S(s1) | dNZ, 0, "fsgnj.d on raw bits");
  expect_f(run({sem::fsgnjn_d, dSNaN, dPZ}), dSNaN | dNZ, 0, "fsgnjn.d keeps NaN payload");
}

TEST_CASE("fmin / fmax") {
  expect_f(run({sem::fmin_s, S(sNZ), S(sPZ)}), S(sNZ), 0, "min(-0,+0)");
  expect_f(run({sem::fmin_s, S(sPZ), S(sNZ)}), S(sNZ), 0, "min(+0,-0)");
  expect_f(run({sem::fmax_s, S(sNZ), S(sPZ)}), S(sPZ), 0, "max(-0,+0)");
  expect_f(run({sem::fmax_s, S(sPZ), S(sNZ)}), S(sPZ), 0, "max(+0,-0)");
  expect_f(run({sem::fmin_s, S(s1), S(sQNaN)}), S(s1), 0, "min(1,qNaN)");
  expect_f(run({sem::fmax_s, S(0xffc00001), S(sM1)}), S(sM1), 0, "max(qNaN,-1)");
  expect_f(run({sem::fmin_s, S(s1), S(sSNaN)}), S(s1), NV, "min(1,sNaN)");
  expect_f(run({sem::fmin_s, S(sQNaN), S(sQNaN)}), S(sQNaN), 0, "both qNaN");
  expect_f(run({sem::fmax_s, S(sSNaN), S(0x7fc12345)}), S(sQNaN), NV, "sNaN and qNaN");
  expect_f(run({sem::fmin_s, S(sM1), S(s2)}), S(sM1), 0, "min(-1,2)");
  expect_f(run({sem::fmax_s, S(sM1), S(s2)}), S(s2), 0, "max(-1,2)");
  expect_f(run({sem::fmin_s, S(0xc0000000), S(sM1)}), S(0xc0000000), 0, "min(-2,-1)");
  expect_f(run({sem::fmax_s, S(sNInf), S(0x00000001)}), S(0x00000001), 0, "max(-inf,subnormal)");
  expect_f(run({sem::fmin_s, 0x3f800000, S(s2)}), S(s2), 0, "unboxed = qNaN");
  expect_f(run({sem::fmin_d, dNZ, dPZ}), dNZ, 0, "min.d(-0,+0)");
  expect_f(run({sem::fmax_d, dNZ, dPZ}), dPZ, 0, "max.d(-0,+0)");
  expect_f(run({sem::fmax_d, dSNaN, d1}), d1, NV, "max.d(sNaN,1)");
  expect_f(run({sem::fmin_d, dQNaN, dSNaN}), dQNaN, NV, "min.d both NaN");
  expect_f(run({sem::fmin_d, 0x0000000000000001, dPZ}), dPZ, 0, "min.d(subnormal,+0)");
  expect_f(run({sem::fmax_d, dInf, dMax}), dInf, 0, "max.d(inf,max)");
}

TEST_CASE("feq / flt / fle") {
  expect_x(run({sem::feq_s, S(s1), S(s1)}), 1, 0, "1==1");
  expect_x(run({sem::feq_s, S(sPZ), S(sNZ)}), 1, 0, "+0==-0");
  expect_x(run({sem::feq_s, S(sQNaN), S(sQNaN)}), 0, 0, "qNaN quiet");
  expect_x(run({sem::feq_s, S(sSNaN), S(s1)}), 0, NV, "sNaN signals");
  expect_x(run({sem::feq_s, 0x3f800000, S(s1)}), 0, 0, "unboxed is qNaN");
  expect_x(run({sem::flt_s, S(sM1), S(s1)}), 1, 0, "-1<1");
  expect_x(run({sem::flt_s, S(sNZ), S(sPZ)}), 0, 0, "-0<+0 false");
  expect_x(run({sem::flt_s, S(sQNaN), S(s1)}), 0, NV, "flt qNaN signals");
  expect_x(run({sem::flt_s, S(0xc0000000), S(sM1)}), 1, 0, "-2<-1");
  expect_x(run({sem::flt_s, S(sNInf), S(sInf)}), 1, 0, "-inf<inf");
  expect_x(run({sem::fle_s, S(sPZ), S(sNZ)}), 1, 0, "+0<=-0");
  expect_x(run({sem::fle_s, S(s2), S(s1)}), 0, 0, "2<=1 false");
  expect_x(run({sem::fle_s, S(s1), S(sQNaN)}), 0, NV, "fle qNaN signals");
  expect_x(run({sem::feq_d, d1, d1}), 1, 0, "d 1==1");
  expect_x(run({sem::feq_d, dSNaN, dSNaN}), 0, NV, "d sNaN");
  expect_x(run({sem::flt_d, dM1, dPZ}), 1, 0, "d -1<0");
  expect_x(run({sem::flt_d, dQNaN, d1}), 0, NV, "d flt qNaN");
  expect_x(run({sem::fle_d, dNZ, dPZ}), 1, 0, "d -0<=+0");
  expect_x(run({sem::fle_d, dMax, dInf}), 1, 0, "d max<=inf");
  expect_x(run({sem::fle_d, 0x8000000000000001, 0x8000000000000002}), 0, 0, "d -tiny <= -2tiny false");
}

TEST_CASE("fclass") {
  const std::pair<u32, u64> single[] = {
      {sNInf, 1 << 0}, {sM1, 1 << 1}, {0x80000001, 1 << 2}, {sNZ, 1 << 3}, {sPZ, 1 << 4},
      {0x007fffff, 1 << 5}, {s1, 1 << 6}, {sInf, 1 << 7}, {sSNaN, 1 << 8}, {sQNaN, 1 << 9},
      {0xffc00000, 1 << 9}, {0xff800001, 1 << 8}};
  for (auto [v, cls] : single) expect_x(run({sem::fclass_s, S(v)}), cls, 0, "fclass.s");
  expect_x(run({sem::fclass_s, 0x0000000000000000}), 1 << 9, 0, "unboxed +0 is a quiet NaN");
  const std::pair<u64, u64> dbl[] = {
      {dNInf, 1 << 0}, {dM1, 1 << 1}, {0x800fffffffffffff, 1 << 2}, {dNZ, 1 << 3}, {dPZ, 1 << 4},
      {0x0000000000000001, 1 << 5}, {dMax, 1 << 6}, {dInf, 1 << 7}, {dSNaN, 1 << 8}, {dQNaN, 1 << 9}};
  for (auto [v, cls] : dbl) expect_x(run({sem::fclass_d, v}), cls, 0, "fclass.d");
  expect_x(run({.fn = sem::fclass_d, .a = dSNaN, .fs = csr::kFsClean}), 1 << 8, 0, "FS stays clean");
}

TEST_CASE("fcvt float -> integer: rounding, saturation, flags") {
  const u32 p15 = 0x3fc00000, p25 = 0x40200000, m25 = 0xc0200000;
  const unsigned all[] = {RNE, RTZ, RDN, RUP, RMM};
  const u64 w15[] = {2, 1, 1, 2, 2}, w25[] = {2, 2, 2, 3, 3};
  const u64 wm25[] = {~u64{1}, ~u64{1}, ~u64{2}, ~u64{1}, ~u64{2}};  // -2 -2 -3 -2 -3
  for (unsigned k = 0; k < 5; ++k) {
    expect_x(run({sem::fcvt_w_s, S(p15), 0, 0, all[k]}), w15[k], NX, "1.5");
    expect_x(run({sem::fcvt_w_s, S(p25), 0, 0, all[k]}), w25[k], NX, "2.5");
    expect_x(run({sem::fcvt_w_s, S(m25), 0, 0, all[k]}), wm25[k], NX, "-2.5");
    expect_x(run({sem::fcvt_l_d, 0xc004000000000000, 0, 0, all[k]}), wm25[k], NX, "-2.5 l.d");
  }
  expect_x(run({sem::fcvt_w_s, S(sQNaN)}), 0x7fffffff, NV, "NaN -> max");
  expect_x(run({sem::fcvt_w_s, S(0xffc00000)}), 0x7fffffff, NV, "-NaN -> max");
  expect_x(run({sem::fcvt_w_s, S(sInf)}), 0x7fffffff, NV, "inf");
  expect_x(run({sem::fcvt_w_s, S(sNInf)}), 0xffffffff80000000, NV, "-inf");
  expect_x(run({sem::fcvt_w_s, S(0x4f000000)}), 0x7fffffff, NV, "2^31");
  expect_x(run({sem::fcvt_w_s, S(0xcf000000)}), 0xffffffff80000000, 0, "-2^31 exact");
  expect_x(run({sem::fcvt_w_s, S(0xcf000001)}), 0xffffffff80000000, NV, "below -2^31");
  expect_x(run({sem::fcvt_w_s, S(sNZ)}), 0, 0, "-0");
  expect_x(run({sem::fcvt_w_s, S(0x00000001), 0, 0, RUP}), 1, NX, "tiny RUP");
  expect_x(run({sem::fcvt_w_s, S(0x80000001), 0, 0, RDN}), ~u64{0}, NX, "-tiny RDN");
  expect_x(run({sem::fcvt_w_s, 0x3f800000}), 0x7fffffff, NV, "unboxed is NaN");
  // 2^31 - 0.5: a tie between 2^31-1 and 2^31
  const u64 big = 0x41dfffffffe00000;
  expect_x(run({sem::fcvt_w_d, big, 0, 0, RNE}), 0x7fffffff, NV, "2^31-0.5 RNE -> 2^31 invalid");
  expect_x(run({sem::fcvt_w_d, big, 0, 0, RTZ}), 0x7fffffff, NX, "2^31-0.5 RTZ");
  expect_x(run({sem::fcvt_w_d, big, 0, 0, RDN}), 0x7fffffff, NX, "2^31-0.5 RDN");
  expect_x(run({sem::fcvt_w_d, big, 0, 0, RUP}), 0x7fffffff, NV, "2^31-0.5 RUP");
  expect_x(run({sem::fcvt_w_d, big, 0, 0, RMM}), 0x7fffffff, NV, "2^31-0.5 RMM");
  const u64 nbig = 0xc1e0000000100000;  // -2^31 - 0.5
  expect_x(run({sem::fcvt_w_d, nbig, 0, 0, RNE}), 0xffffffff80000000, NX, "-2^31-0.5 RNE");
  expect_x(run({sem::fcvt_w_d, nbig, 0, 0, RTZ}), 0xffffffff80000000, NX, "-2^31-0.5 RTZ");
  expect_x(run({sem::fcvt_w_d, nbig, 0, 0, RUP}), 0xffffffff80000000, NX, "-2^31-0.5 RUP");
  expect_x(run({sem::fcvt_w_d, nbig, 0, 0, RDN}), 0xffffffff80000000, NV, "-2^31-0.5 RDN");
  expect_x(run({sem::fcvt_w_d, nbig, 0, 0, RMM}), 0xffffffff80000000, NV, "-2^31-0.5 RMM");
  expect_x(run({sem::fcvt_w_d, 0x41dfffffffc00000}), 0x7fffffff, 0, "2^31-1 exact");
  // unsigned 32: results are sign-extended
  expect_x(run({sem::fcvt_wu_d, 0x41efffffffe00000}), 0xffffffffffffffff, 0, "2^32-1");
  expect_x(run({sem::fcvt_wu_d, 0x41f0000000000000}), 0xffffffffffffffff, NV, "2^32");
  expect_x(run({sem::fcvt_wu_d, 0x41e65a0bc0000000}), 0xffffffffb2d05e00, 0, "3e9");
  expect_x(run({sem::fcvt_wu_d, 0xbfd3333333333333, 0, 0, RTZ}), 0, NX, "-0.3 RTZ");
  expect_x(run({sem::fcvt_wu_d, 0xbfe0000000000000, 0, 0, RNE}), 0, NX, "-0.5 RNE -> -0");
  expect_x(run({sem::fcvt_wu_d, 0xbfe0000000000000, 0, 0, RMM}), 0, NV, "-0.5 RMM -> -1");
  expect_x(run({sem::fcvt_wu_d, 0xbfe0000000000000, 0, 0, RDN}), 0, NV, "-0.5 RDN -> -1");
  expect_x(run({sem::fcvt_wu_d, dM1}), 0, NV, "-1");
  expect_x(run({sem::fcvt_wu_d, dNInf}), 0, NV, "-inf");
  expect_x(run({sem::fcvt_wu_d, dQNaN}), 0xffffffffffffffff, NV, "NaN");
  expect_x(run({sem::fcvt_wu_s, S(0x4f7fffff)}), 0xffffffffffffff00, 0, "wu.s 2^32-256");
  expect_x(run({sem::fcvt_wu_s, S(0x3f000000), 0, 0, RMM}), 1, NX, "wu.s 0.5 RMM");
  // 64-bit
  expect_x(run({sem::fcvt_l_d, 0xc3e0000000000000}), 0x8000000000000000, 0, "-2^63 exact");
  expect_x(run({sem::fcvt_l_d, 0xc3e0000000000001}), 0x8000000000000000, NV, "below -2^63");
  expect_x(run({sem::fcvt_l_d, 0x43e0000000000000}), 0x7fffffffffffffff, NV, "2^63");
  expect_x(run({sem::fcvt_l_d, 0x43dfffffffffffff}), 0x7ffffffffffffc00, 0, "largest below 2^63");
  expect_x(run({sem::fcvt_l_d, dQNaN}), 0x7fffffffffffffff, NV, "NaN");
  expect_x(run({sem::fcvt_l_d, dNInf}), 0x8000000000000000, NV, "-inf");
  expect_x(run({sem::fcvt_l_d, 0x7fefffffffffffff}), 0x7fffffffffffffff, NV, "max");
  expect_x(run({sem::fcvt_lu_d, 0x43f0000000000000}), ~u64{0}, NV, "2^64");
  expect_x(run({sem::fcvt_lu_d, 0x43efffffffffffff}), 0xfffffffffffff800, 0, "below 2^64");
  expect_x(run({sem::fcvt_lu_d, dM1}), 0, NV, "-1");
  expect_x(run({sem::fcvt_lu_d, dNZ}), 0, 0, "-0");
  expect_x(run({sem::fcvt_lu_d, 0x3fe0000000000000, 0, 0, RNE}), 0, NX, "0.5 RNE");
  expect_x(run({sem::fcvt_lu_d, 0x3fe0000000000000, 0, 0, RMM}), 1, NX, "0.5 RMM");
  expect_x(run({sem::fcvt_lu_d, 0x3fe8000000000000, 0, 0, RNE}), 1, NX, "0.75 RNE");
  expect_x(run({sem::fcvt_l_s, S(0xdf000000)}), 0x8000000000000000, 0, "l.s -2^63");
  expect_x(run({sem::fcvt_l_s, S(0x5f000000)}), 0x7fffffffffffffff, NV, "l.s 2^63");
  expect_x(run({sem::fcvt_l_s, S(0x3fc00000), 0, 0, RMM}), 2, NX, "l.s 1.5 RMM");
  expect_x(run({sem::fcvt_lu_s, S(0x5f7fffff)}), 0xffffff0000000000, 0, "lu.s below 2^64");
  expect_x(run({sem::fcvt_lu_s, S(0x5f800000)}), ~u64{0}, NV, "lu.s 2^64");
  expect_x(run({sem::fcvt_lu_s, S(sNInf)}), 0, NV, "lu.s -inf");
  expect_x(run({.fn = sem::fcvt_w_d, .a = dQNaN, .fs = csr::kFsClean}), 0x7fffffff, NV,
           "flags only: FS stays clean");
}

TEST_CASE("fcvt integer -> float") {
  // 2^24 + 1: a tie for single
  expect_f(run({sem::fcvt_s_w, 16777217, 0, 0, RNE}), S(0x4b800000), NX, "2^24+1 RNE");
  expect_f(run({sem::fcvt_s_w, 16777217, 0, 0, RMM}), S(0x4b800001), NX, "2^24+1 RMM");
  expect_f(run({sem::fcvt_s_w, 16777217, 0, 0, RUP}), S(0x4b800001), NX, "2^24+1 RUP");
  expect_f(run({sem::fcvt_s_w, 16777217, 0, 0, RTZ}), S(0x4b800000), NX, "2^24+1 RTZ");
  expect_f(run({sem::fcvt_s_w, static_cast<u64>(-16777217), 0, 0, RDN}), S(0xcb800001), NX, "-(2^24+1) RDN");
  expect_f(run({sem::fcvt_s_w, static_cast<u64>(-16777217), 0, 0, RUP}), S(0xcb800000), NX, "-(2^24+1) RUP");
  expect_f(run({sem::fcvt_s_w, 0, 0, 0, RDN}), S(sPZ), 0, "0 -> +0 even in RDN");
  expect_f(run({sem::fcvt_s_w, 0xffffffff80000000}), S(0xcf000000), 0, "INT32_MIN");
  expect_f(run({sem::fcvt_s_w, 0x1234567800000001}), S(s1), 0, "upper bits ignored");
  expect_f(run({sem::fcvt_s_wu, 0xffffffff, 0, 0, RNE}), S(0x4f800000), NX, "u32 max RNE");
  expect_f(run({sem::fcvt_s_wu, 0xffffffff, 0, 0, RTZ}), S(0x4f7fffff), NX, "u32 max RTZ");
  expect_f(run({sem::fcvt_s_wu, 0xffffffff00000002}), S(s2), 0, "wu upper bits ignored");
  expect_f(run({sem::fcvt_s_l, 0x8000000000000000}), S(0xdf000000), 0, "INT64_MIN");
  expect_f(run({sem::fcvt_s_l, 0x7fffffffffffffff, 0, 0, RTZ}), S(0x5effffff), NX, "INT64_MAX RTZ");
  expect_f(run({sem::fcvt_s_lu, ~u64{0}, 0, 0, RNE}), S(0x5f800000), NX, "u64 max");
  expect_f(run({sem::fcvt_s_lu, ~u64{0}, 0, 0, RDN}), S(0x5f7fffff), NX, "u64 max RDN");
  expect_f(run({sem::fcvt_d_w, 0xffffffffffffffff}), dM1, 0, "d.w -1");
  expect_f(run({sem::fcvt_d_w, 0x7fffffff}), 0x41dfffffffc00000, 0, "d.w max");
  expect_f(run({sem::fcvt_d_wu, 0xffffffff}), 0x41efffffffe00000, 0, "d.wu max");
  expect_f(run({sem::fcvt_d_l, (u64{1} << 53) + 1, 0, 0, RNE}), 0x4340000000000000, NX, "2^53+1 RNE");
  expect_f(run({sem::fcvt_d_l, (u64{1} << 53) + 1, 0, 0, RMM}), 0x4340000000000001, NX, "2^53+1 RMM");
  expect_f(run({sem::fcvt_d_l, (u64{1} << 53) + 3, 0, 0, RNE}), 0x4340000000000002, NX, "2^53+3 RNE");
  expect_f(run({sem::fcvt_d_l, 0x8000000000000000}), 0xc3e0000000000000, 0, "INT64_MIN");
  expect_f(run({sem::fcvt_d_lu, ~u64{0}, 0, 0, RNE}), 0x43f0000000000000, NX, "u64 max RNE");
  expect_f(run({sem::fcvt_d_lu, ~u64{0}, 0, 0, RTZ}), 0x43efffffffffffff, NX, "u64 max RTZ");
}

TEST_CASE("fcvt.s.d / fcvt.d.s") {
  expect_f(run({sem::fcvt_s_d, 0x3fd5555555555555, 0, 0, RNE}), S(0x3eaaaaab), NX, "1/3 RNE");
  expect_f(run({sem::fcvt_s_d, 0x3fd5555555555555, 0, 0, RTZ}), S(0x3eaaaaaa), NX, "1/3 RTZ");
  expect_f(run({sem::fcvt_s_d, 0x7e37e43c8800759c, 0, 0, RNE}), S(sInf), OF | NX, "1e300 RNE");
  expect_f(run({sem::fcvt_s_d, 0x7e37e43c8800759c, 0, 0, RTZ}), S(sMax), OF | NX, "1e300 RTZ");
  expect_f(run({sem::fcvt_s_d, 0xfe37e43c8800759c, 0, 0, RUP}), S(0xff7fffff), OF | NX, "-1e300 RUP");
  expect_f(run({sem::fcvt_s_d, 0x3690000000000000, 0, 0, RNE}), S(sPZ), UF | NX, "2^-150 RNE");
  expect_f(run({sem::fcvt_s_d, 0x3690000000000000, 0, 0, RMM}), S(0x00000001), UF | NX, "2^-150 RMM");
  expect_f(run({sem::fcvt_s_d, 0x36a0000000000000}), S(0x00000001), 0, "2^-149 exact");
  expect_f(run({sem::fcvt_s_d, 0x3ff0000010000000, 0, 0, RNE}), S(s1), NX, "tie RNE");
  expect_f(run({sem::fcvt_s_d, 0x3ff0000010000000, 0, 0, RMM}), S(0x3f800001), NX, "tie RMM");
  expect_f(run({sem::fcvt_s_d, dSNaN}), S(sQNaN), NV, "sNaN");
  expect_f(run({sem::fcvt_s_d, 0xfff8000000000001}), S(sQNaN), 0, "qNaN");
  expect_f(run({sem::fcvt_s_d, dNZ}), S(sNZ), 0, "-0");
  expect_f(run({sem::fcvt_s_d, dNInf}), S(sNInf), 0, "-inf");
  expect_f(run({sem::fcvt_d_s, S(0x00000001)}), 0x36a0000000000000, 0, "subnormal exact");
  expect_f(run({sem::fcvt_d_s, S(0x807fffff)}), 0xb80fffffc0000000, 0, "neg subnormal exact");
  expect_f(run({sem::fcvt_d_s, S(s1)}), d1, 0, "1");
  expect_f(run({sem::fcvt_d_s, S(sSNaN)}), dQNaN, NV, "sNaN");
  expect_f(run({sem::fcvt_d_s, S(0xffc00001)}), dQNaN, 0, "qNaN");
  expect_f(run({sem::fcvt_d_s, 0x000000003f800000}), dQNaN, 0, "unboxed");
  expect_f(run({sem::fcvt_d_s, S(sNZ)}), dNZ, 0, "-0");
  expect_f(run({sem::fcvt_d_s, S(sMax)}), 0x47efffffe0000000, 0, "max");
}

TEST_CASE("fmv") {
  expect_x(run({sem::fmv_x_w, 0x1234567887654321}), 0xffffffff87654321, 0, "fmv.x.w sign-extends raw bits");
  expect_x(run({sem::fmv_x_w, 0xffffffff7fc00001}), 0x7fc00001, 0, "fmv.x.w NaN payload kept");
  expect_f(run({sem::fmv_w_x, 0x1234567887654321}), 0xffffffff87654321, 0, "fmv.w.x boxes");
  expect_x(run({sem::fmv_x_d, dSNaN}), dSNaN, 0, "fmv.x.d");
  expect_f(run({sem::fmv_d_x, 0x0123456789abcdef}), 0x0123456789abcdef, 0, "fmv.d.x");
  expect_x(run({.fn = sem::fmv_x_d, .a = d1, .fs = csr::kFsClean}), d1, 0, "fmv.x.d keeps FS");
  const Result r = run({.fn = sem::fmv_w_x, .a = 1, .fs = csr::kFsClean});
  CHECK(r.fs == csr::kFsDirty);
}

TEST_CASE("rounding mode: static, dynamic, reserved") {
  const u64 a = S(0x3f800000), b = S(0x33800000);  // 1 + 2^-24: a tie
  // static rm wins over frm
  expect_f(run({.fn = sem::fadd_s, .a = a, .b = b, .rm = RUP, .frm = RNE}), S(0x3f800001), NX, "static RUP");
  // dynamic reads frm
  expect_f(run({.fn = sem::fadd_s, .a = a, .b = b, .rm = DYN, .frm = RUP}), S(0x3f800001), NX, "dyn RUP");
  expect_f(run({.fn = sem::fadd_s, .a = a, .b = b, .rm = DYN, .frm = RMM}), S(0x3f800001), NX, "dyn RMM");
  expect_f(run({.fn = sem::fadd_s, .a = a, .b = b, .rm = DYN, .frm = RNE}), S(0x3f800000), NX, "dyn RNE");
  // reserved: rm 5, 6; dyn with frm 5, 6, 7
  const SemFn with_rm[] = {
      sem::fadd_s,    sem::fsub_s,    sem::fmul_s,   sem::fdiv_s,    sem::fsqrt_s,   sem::fmadd_s,
      sem::fmsub_s,   sem::fnmsub_s,  sem::fnmadd_s, sem::fcvt_w_s,  sem::fcvt_wu_s, sem::fcvt_l_s,
      sem::fcvt_lu_s, sem::fcvt_s_w,  sem::fcvt_s_wu, sem::fcvt_s_l, sem::fcvt_s_lu, sem::fadd_d,
      sem::fsub_d,    sem::fmul_d,    sem::fdiv_d,   sem::fsqrt_d,   sem::fmadd_d,   sem::fmsub_d,
      sem::fnmsub_d,  sem::fnmadd_d,  sem::fcvt_s_d, sem::fcvt_d_s,  sem::fcvt_w_d,  sem::fcvt_wu_d,
      sem::fcvt_l_d,  sem::fcvt_lu_d, sem::fcvt_d_w, sem::fcvt_d_wu, sem::fcvt_d_l,  sem::fcvt_d_lu};
  for (SemFn fn : with_rm) {
    for (unsigned rm : {5u, 6u}) {
      expect_illegal(run({.fn = fn, .a = a, .b = b, .rm = rm, .flags_before = NX, .raw = 0xabcd0053}), 0xabcd0053,
                     NX, false, "static reserved rm");
    }
    for (u32 frm : {5u, 6u, 7u}) {
      expect_illegal(run({.fn = fn, .a = a, .b = b, .rm = DYN, .frm = frm, .raw = 0x1053}), 0x1053, 0, false,
                     "dynamic reserved frm");
    }
    // a valid static rm is fine whatever frm holds
    CHECK(run({.fn = fn, .a = a, .b = b, .rm = RTZ, .frm = 6}).flow == Flow::Next);
  }
  // instructions without an rm field ignore it (frm may be anything)
  const SemFn without_rm[] = {sem::fsgnj_s, sem::fmin_s, sem::feq_s, sem::fclass_s, sem::fmv_x_w,
                              sem::fmv_w_x, sem::fsgnj_d, sem::fmax_d, sem::fle_d, sem::fmv_d_x};
  for (SemFn fn : without_rm) CHECK(run({.fn = fn, .a = a, .b = b, .rm = 5, .frm = 7}).flow == Flow::Next);
}

TEST_CASE("mstatus.FS: Off makes every F/D instruction illegal; f-register writes set Dirty") {
  struct Op {
    SemFn fn;
    bool writes_f;
  };
  const Op ops[] = {
      {sem::fadd_s, true},     {sem::fsub_s, true},     {sem::fmul_s, true},     {sem::fdiv_s, true},
      {sem::fsqrt_s, true},    {sem::fmadd_s, true},    {sem::fmsub_s, true},    {sem::fnmsub_s, true},
      {sem::fnmadd_s, true},   {sem::fsgnj_s, true},    {sem::fsgnjn_s, true},   {sem::fsgnjx_s, true},
      {sem::fmin_s, true},     {sem::fmax_s, true},     {sem::fcvt_w_s, false},  {sem::fcvt_wu_s, false},
      {sem::fcvt_l_s, false},  {sem::fcvt_lu_s, false}, {sem::fmv_x_w, false},   {sem::fclass_s, false},
      {sem::feq_s, false},     {sem::flt_s, false},     {sem::fle_s, false},     {sem::fcvt_s_w, true},
      {sem::fcvt_s_wu, true},  {sem::fcvt_s_l, true},   {sem::fcvt_s_lu, true},  {sem::fmv_w_x, true},
      {sem::fadd_d, true},     {sem::fsub_d, true},     {sem::fmul_d, true},     {sem::fdiv_d, true},
      {sem::fsqrt_d, true},    {sem::fmadd_d, true},    {sem::fmsub_d, true},    {sem::fnmsub_d, true},
      {sem::fnmadd_d, true},   {sem::fsgnj_d, true},    {sem::fsgnjn_d, true},   {sem::fsgnjx_d, true},
      {sem::fmin_d, true},     {sem::fmax_d, true},     {sem::fcvt_s_d, true},   {sem::fcvt_d_s, true},
      {sem::feq_d, false},     {sem::flt_d, false},     {sem::fle_d, false},     {sem::fclass_d, false},
      {sem::fcvt_w_d, false},  {sem::fcvt_wu_d, false}, {sem::fcvt_l_d, false},  {sem::fcvt_lu_d, false},
      {sem::fmv_x_d, false},   {sem::fcvt_d_w, true},   {sem::fcvt_d_wu, true},  {sem::fcvt_d_l, true},
      {sem::fcvt_d_lu, true},  {sem::fmv_d_x, true},    {sem::flw, true},        {sem::fld, true},
      {sem::fsw, false},       {sem::fsd, false},
  };
  CHECK(std::size(ops) == 62);
  for (const Op& op : ops) {
    const Result off = run({.fn = op.fn, .a = S(0x3f800000), .b = S(0x3f800000), .flags_before = UF,
                            .fs = csr::kFsOff, .raw = 0xfedcba98});
    expect_illegal(off, 0xfedcba98, UF, true, "FS off");
    // FS off is found first, even with a reserved rounding mode
    CHECK(run({.fn = op.fn, .rm = 5, .frm = 7, .fs = csr::kFsOff}).trap.counted);
    CHECK(off.fs == csr::kFsOff);
    if (op.fn == sem::flw || op.fn == sem::fld || op.fn == sem::fsw || op.fn == sem::fsd) continue;
    for (u64 fs : {csr::kFsInitial, csr::kFsClean}) {
      const Result r = run({.fn = op.fn, .a = S(0x3f800000), .b = S(0x3f800000), .fs = fs});
      CHECK(r.flow == Flow::Next);
      CHECK(r.fs == (op.writes_f ? csr::kFsDirty : fs));
    }
    CHECK(run({.fn = op.fn, .fs = csr::kFsDirty}).fs == csr::kFsDirty);
  }
}
