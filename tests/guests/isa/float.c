/* F and D: every operation on a grid of special values, with the result bits and the
 * accrued flags (NV DZ OF UF NX = 0x10 0x08 0x04 0x02 0x01) after each one.
 * Covers rounding modes (static rm and dynamic frm), NaN boxing, canonical NaNs,
 * fmin/fmax with NaNs and signed zeros, fcvt saturation, fclass, fma, subnormals,
 * fsqrt of negatives, and the illegal rm encodings. */
#include "guest.h"

static u64 fl; /* flags of the last operation */

/* ---- double ----------------------------------------------------------------------- */
#define D2(insn)                                                                             \
  static u64 d2_##insn(u64 a, u64 b) {                                                      \
    u64 r;                                                                                   \
    __asm__ volatile("fmv.d.x ft0, %2\n fmv.d.x ft1, %3\n fsflags zero\n" #insn              \
                     ".d ft2, ft0, ft1\n frflags %1\n fmv.x.d %0, ft2"                       \
                     : "=r"(r), "=r"(fl) : "r"(a), "r"(b) : "ft0", "ft1", "ft2");            \
    return r;                                                                                \
  }
#define D2RM(insn, rm)                                                                       \
  static u64 d2_##insn##_##rm(u64 a, u64 b) {                                               \
    u64 r;                                                                                   \
    __asm__ volatile("fmv.d.x ft0, %2\n fmv.d.x ft1, %3\n fsflags zero\n" #insn              \
                     ".d ft2, ft0, ft1, " #rm "\n frflags %1\n fmv.x.d %0, ft2"              \
                     : "=r"(r), "=r"(fl) : "r"(a), "r"(b) : "ft0", "ft1", "ft2");            \
    return r;                                                                                \
  }
#define DCMP(insn)                                                                           \
  static u64 dc_##insn(u64 a, u64 b) {                                                      \
    u64 r;                                                                                   \
    __asm__ volatile("fmv.d.x ft0, %2\n fmv.d.x ft1, %3\n fsflags zero\n" #insn              \
                     ".d %0, ft0, ft1\n frflags %1"                                          \
                     : "=r"(r), "=r"(fl) : "r"(a), "r"(b) : "ft0", "ft1");                   \
    return r;                                                                                \
  }
#define S2(insn)                                                                             \
  static u64 s2_##insn(u64 a, u64 b) {                                                      \
    u64 r;                                                                                   \
    __asm__ volatile("fmv.w.x ft0, %2\n fmv.w.x ft1, %3\n fsflags zero\n" #insn              \
                     ".s ft2, ft0, ft1\n frflags %1\n fmv.x.d %0, ft2"                       \
                     : "=r"(r), "=r"(fl) : "r"(a), "r"(b) : "ft0", "ft1", "ft2");            \
    return r;                                                                                \
  }
#define S2RM(insn, rm)                                                                       \
  static u64 s2_##insn##_##rm(u64 a, u64 b) {                                               \
    u64 r;                                                                                   \
    __asm__ volatile("fmv.w.x ft0, %2\n fmv.w.x ft1, %3\n fsflags zero\n" #insn              \
                     ".s ft2, ft0, ft1, " #rm "\n frflags %1\n fmv.x.d %0, ft2"              \
                     : "=r"(r), "=r"(fl) : "r"(a), "r"(b) : "ft0", "ft1", "ft2");            \
    return r;                                                                                \
  }
#define SCMP(insn)                                                                           \
  static u64 sc_##insn(u64 a, u64 b) {                                                      \
    u64 r;                                                                                   \
    __asm__ volatile("fmv.w.x ft0, %2\n fmv.w.x ft1, %3\n fsflags zero\n" #insn              \
                     ".s %0, ft0, ft1\n frflags %1"                                          \
                     : "=r"(r), "=r"(fl) : "r"(a), "r"(b) : "ft0", "ft1");                   \
    return r;                                                                                \
  }

D2(fadd) D2(fsub) D2(fmul) D2(fdiv) D2(fmin) D2(fmax) D2(fsgnj) D2(fsgnjn) D2(fsgnjx)
DCMP(feq) DCMP(flt) DCMP(fle)
S2(fadd) S2(fsub) S2(fmul) S2(fdiv) S2(fmin) S2(fmax) S2(fsgnj) S2(fsgnjn) S2(fsgnjx)
SCMP(feq) SCMP(flt) SCMP(fle)
#define ALLRM(M, insn) M(insn, rne) M(insn, rtz) M(insn, rdn) M(insn, rup) M(insn, rmm) M(insn, dyn)
ALLRM(D2RM, fadd) ALLRM(D2RM, fmul) ALLRM(D2RM, fdiv)
ALLRM(S2RM, fadd) ALLRM(S2RM, fmul) ALLRM(S2RM, fdiv)

typedef u64 (*bin_fn)(u64, u64);
struct bin { const char* name; bin_fn fn; };

static const u64 dvals[] = {
    0x0000000000000000u, /* +0 */
    0x8000000000000000u, /* -0 */
    0x3ff0000000000000u, /* 1 */
    0xbff0000000000000u, /* -1 */
    0x3ff8000000000000u, /* 1.5 */
    0x3fb999999999999au, /* 0.1 */
    0x0000000000000001u, /* min subnormal */
    0x000fffffffffffffu, /* max subnormal */
    0x0010000000000000u, /* min normal */
    0x7fefffffffffffffu, /* max finite */
    0x7ff0000000000000u, /* +inf */
    0xfff0000000000000u, /* -inf */
    0x7ff8000000000000u, /* canonical qNaN */
    0x7ff0000000000001u, /* sNaN */
    0xfff8000000000123u, /* negative qNaN with payload */
    0x4340000000000001u, /* 2^54 + 2 */
};
static const u64 svals[] = {
    0x00000000u, 0x80000000u, 0x3f800000u, 0xbf800000u, 0x3fc00000u, 0x3dcccccdu, 0x00000001u, 0x007fffffu,
    0x00800000u, 0x7f7fffffu, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0x7f800001u, 0xffc00123u, 0x4b800001u,
};
#define NDV (sizeof dvals / sizeof dvals[0])

static void grid(const char* name, bin_fn fn, const u64* v, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    printf_("%s %lx:", name, v[i]);
    for (unsigned j = 0; j < n; j++) {
      u64 r = fn(v[i], v[j]);
      printf_(" %lx/%x", r, (u32)fl);
    }
    putchar_('\n');
  }
}

/* Rounding-sensitive pairs: results differ between rounding modes. */
static const u64 rpairs_d[][2] = {
    {0x3ff0000000000000u, 0x3ca0000000000000u}, /* 1 + 2^-53 (tie) */
    {0x3ff0000000000000u, 0x3ca8000000000000u}, /* 1 + 1.5*2^-53 */
    {0xbff0000000000000u, 0xbca0000000000000u}, /* -1 - 2^-53 */
    {0x3ff0000000000001u, 0x3ca0000000000000u}, /* odd + tie */
    {0x7fefffffffffffffu, 0x7c90000000000000u}, /* max + half ulp: tie, overflow in rne */
    {0x7fefffffffffffffu, 0x7fefffffffffffffu}, /* overflow */
    {0xffefffffffffffffu, 0xffefffffffffffffu}, /* negative overflow */
    {0x0010000000000001u, 0x8010000000000000u}, /* result subnormal, exact */
    {0x3ff0000000000000u, 0x4008000000000000u}, /* 1 op 3 */
    {0x0000000000000003u, 0x3fe0000000000000u}, /* subnormal * 0.5: underflow + inexact */
};
static const u64 rpairs_s[][2] = {
    {0x3f800000u, 0x33800000u}, {0x3f800000u, 0x33c00000u}, {0xbf800000u, 0xb3800000u}, {0x3f800001u, 0x33800000u},
    {0x7f7fffffu, 0x73000000u}, {0x7f7fffffu, 0x7f7fffffu}, {0xff7fffffu, 0xff7fffffu}, {0x00800001u, 0x80800000u},
    {0x3f800000u, 0x40400000u}, {0x00000003u, 0x3f000000u},
};

/* ---- unary and conversions --------------------------------------------------------- */
#define U_D(fname, asmtext)                                                                  \
  static u64 fname(u64 a) {                                                                  \
    u64 r;                                                                                   \
    __asm__ volatile("fmv.d.x ft0, %2\n fsflags zero\n" asmtext "\n frflags %1"              \
                     : "=r"(r), "=r"(fl) : "r"(a) : "ft0", "ft2");                           \
    return r;                                                                                \
  }
#define U_S(fname, asmtext)                                                                  \
  static u64 fname(u64 a) {                                                                  \
    u64 r;                                                                                   \
    __asm__ volatile("fmv.w.x ft0, %2\n fsflags zero\n" asmtext "\n frflags %1"              \
                     : "=r"(r), "=r"(fl) : "r"(a) : "ft0", "ft2");                           \
    return r;                                                                                \
  }
#define U_X(fname, asmtext)                                                                  \
  static u64 fname(u64 a) {                                                                  \
    u64 r;                                                                                   \
    __asm__ volatile("fsflags zero\n" asmtext "\n frflags %1"                                \
                     : "=r"(r), "=r"(fl) : "r"(a) : "ft0", "ft2");                           \
    return r;                                                                                \
  }
U_D(d_sqrt, "fsqrt.d ft2, ft0\n fmv.x.d %0, ft2")
U_D(d_sqrt_rtz, "fsqrt.d ft2, ft0, rtz\n fmv.x.d %0, ft2")
U_D(d_sqrt_rup, "fsqrt.d ft2, ft0, rup\n fmv.x.d %0, ft2")
U_D(d_class, "fclass.d %0, ft0")
U_D(d_cvt_s, "fcvt.s.d ft2, ft0\n fmv.x.d %0, ft2")
U_D(d_cvt_s_rtz, "fcvt.s.d ft2, ft0, rtz\n fmv.x.d %0, ft2")
U_D(d_cvt_w, "fcvt.w.d %0, ft0, rne")
U_D(d_cvt_w_rtz, "fcvt.w.d %0, ft0, rtz")
U_D(d_cvt_w_rdn, "fcvt.w.d %0, ft0, rdn")
U_D(d_cvt_w_rup, "fcvt.w.d %0, ft0, rup")
U_D(d_cvt_w_rmm, "fcvt.w.d %0, ft0, rmm")
U_D(d_cvt_wu, "fcvt.wu.d %0, ft0, rtz")
U_D(d_cvt_l, "fcvt.l.d %0, ft0, rtz")
U_D(d_cvt_lu, "fcvt.lu.d %0, ft0, rtz")
U_D(d_cvt_l_rne, "fcvt.l.d %0, ft0, rne")
U_D(d_mv_x, "fmv.x.d %0, ft0")
U_S(s_sqrt, "fsqrt.s ft2, ft0\n fmv.x.d %0, ft2")
U_S(s_class, "fclass.s %0, ft0")
U_S(s_cvt_d, "fcvt.d.s ft2, ft0\n fmv.x.d %0, ft2")
U_S(s_cvt_w, "fcvt.w.s %0, ft0, rtz")
U_S(s_cvt_wu, "fcvt.wu.s %0, ft0, rtz")
U_S(s_cvt_l, "fcvt.l.s %0, ft0, rtz")
U_S(s_cvt_lu, "fcvt.lu.s %0, ft0, rtz")
U_S(s_cvt_w_rne, "fcvt.w.s %0, ft0, rne")
U_S(s_mv_x, "fmv.x.w %0, ft0")
U_X(x_cvt_d_w, "fcvt.d.w ft2, %2\n fmv.x.d %0, ft2")
U_X(x_cvt_d_wu, "fcvt.d.wu ft2, %2\n fmv.x.d %0, ft2")
U_X(x_cvt_d_l, "fcvt.d.l ft2, %2\n fmv.x.d %0, ft2")
U_X(x_cvt_d_lu, "fcvt.d.lu ft2, %2\n fmv.x.d %0, ft2")
U_X(x_cvt_d_l_rtz, "fcvt.d.l ft2, %2, rtz\n fmv.x.d %0, ft2")
U_X(x_cvt_s_w, "fcvt.s.w ft2, %2\n fmv.x.d %0, ft2")
U_X(x_cvt_s_wu, "fcvt.s.wu ft2, %2\n fmv.x.d %0, ft2")
U_X(x_cvt_s_l, "fcvt.s.l ft2, %2\n fmv.x.d %0, ft2")
U_X(x_cvt_s_lu, "fcvt.s.lu ft2, %2\n fmv.x.d %0, ft2")
U_X(x_cvt_s_l_rdn, "fcvt.s.l ft2, %2, rdn\n fmv.x.d %0, ft2")
U_X(x_mv_w_x, "fmv.w.x ft2, %2\n fmv.x.d %0, ft2")

struct un { const char* name; u64 (*fn)(u64); };

static void unary_list(const char* name, u64 (*fn)(u64), const u64* v, unsigned n) {
  printf_("%s:", name);
  for (unsigned i = 0; i < n; i++) {
    u64 r = fn(v[i]);
    printf_(" %lx/%x", r, (u32)fl);
  }
  putchar_('\n');
}

/* fcvt boundaries (double inputs). */
static const u64 cvt_d[] = {
    0x41dfffffffc00000u, /* 2147483647.0 */
    0x41dfffffffe00000u, /* 2147483647.5 */
    0x41e0000000000000u, /* 2147483648.0 */
    0xc1e0000000000000u, /* -2147483648.0 */
    0xc1e0000000100000u, /* -2147483648.5 */
    0xc1e0000000200000u, /* -2147483649.0 */
    0x41efffffffe00000u, /* 4294967295.0 */
    0x41f0000000000000u, /* 4294967296.0 */
    0x43dfffffffffffffu, /* largest double < 2^63 */
    0x43e0000000000000u, /* 2^63 */
    0xc3e0000000000000u, /* -2^63 */
    0xc3e0000000000001u, /* < -2^63 */
    0x43efffffffffffffu, /* largest double < 2^64 */
    0x43f0000000000000u, /* 2^64 */
    0x8000000000000000u, /* -0 */
    0xbfe0000000000000u, /* -0.5 */
    0xbff0000000000000u, /* -1 */
    0x3fe0000000000000u, /* 0.5 */
    0x3ff8000000000000u, /* 1.5 */
    0x4004000000000000u, /* 2.5 */
    0xc004000000000000u, /* -2.5 */
    0x7ff0000000000000u, /* +inf */
    0xfff0000000000000u, /* -inf */
    0x7ff8000000000000u, /* qNaN */
    0xfff8000000000000u, /* negative qNaN */
    0x7ff0000000000001u, /* sNaN */
};
static const u64 cvt_s[] = {
    0x4effffffu, 0x4f000000u, 0xcf000000u, 0xcf000001u, 0x4f7fffffu, 0x4f800000u, 0x5effffffu, 0x5f000000u,
    0xdf000000u, 0xdf000001u, 0x5f7fffffu, 0x5f800000u, 0x80000000u, 0xbf000000u, 0xbf800000u, 0x3f000000u,
    0x3fc00000u, 0x40200000u, 0xc0200000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u, 0x7f800001u,
};
static const u64 ints[] = {
    0, 1, 0xffffffffffffffffu, 0x7fffffffu, 0x80000000u, 0xffffffffu, 0xffffffff80000000u, 0x7fffffffffffffffu,
    0x8000000000000000u, 0x0020000000000001u, 0x0000000001000001u, 0x123456789abcdef0u,
};
#define N(a) (sizeof a / sizeof a[0])

/* ---- fused multiply-add ----------------------------------------------------------- */
#define FMA_D(name, insn)                                                                    \
  static u64 name(u64 a, u64 b, u64 c) {                                                     \
    u64 r;                                                                                   \
    __asm__ volatile("fmv.d.x ft0, %2\n fmv.d.x ft1, %3\n fmv.d.x ft3, %4\n fsflags zero\n"  \
                     insn " ft2, ft0, ft1, ft3\n frflags %1\n fmv.x.d %0, ft2"               \
                     : "=r"(r), "=r"(fl) : "r"(a), "r"(b), "r"(c) : "ft0", "ft1", "ft2", "ft3"); \
    return r;                                                                                \
  }
#define FMA_S(name, insn)                                                                    \
  static u64 name(u64 a, u64 b, u64 c) {                                                     \
    u64 r;                                                                                   \
    __asm__ volatile("fmv.w.x ft0, %2\n fmv.w.x ft1, %3\n fmv.w.x ft3, %4\n fsflags zero\n"  \
                     insn " ft2, ft0, ft1, ft3\n frflags %1\n fmv.x.d %0, ft2"               \
                     : "=r"(r), "=r"(fl) : "r"(a), "r"(b), "r"(c) : "ft0", "ft1", "ft2", "ft3"); \
    return r;                                                                                \
  }
FMA_D(d_fmadd, "fmadd.d") FMA_D(d_fmsub, "fmsub.d") FMA_D(d_fnmadd, "fnmadd.d") FMA_D(d_fnmsub, "fnmsub.d")
FMA_S(s_fmadd, "fmadd.s") FMA_S(s_fmsub, "fmsub.s") FMA_S(s_fnmadd, "fnmadd.s") FMA_S(s_fnmsub, "fnmsub.s")

static const u64 fma_d[][3] = {
    {0x3ff0000000000000u, 0x3ff0000000000000u, 0x3ff0000000000000u},  /* 1*1+1 */
    {0x7ff0000000000000u, 0x0000000000000000u, 0x7ff8000000000000u},  /* inf*0 + qNaN: NV */
    {0x7ff0000000000000u, 0x0000000000000000u, 0x3ff0000000000000u},  /* inf*0 + 1: NV */
    {0x7ff0000000000000u, 0x3ff0000000000000u, 0xfff0000000000000u},  /* inf - inf: NV */
    {0x3ff0000000000001u, 0x3ff0000000000001u, 0xbff0000000000000u},  /* single rounding */
    {0x0000000000000000u, 0x8000000000000000u, 0x0000000000000000u},  /* +0*-0 + +0 */
    {0x8000000000000000u, 0x3ff0000000000000u, 0x8000000000000000u},  /* -0*1 + -0 */
    {0x3ff0000000000000u, 0xbff0000000000000u, 0x3ff0000000000000u},  /* 1*-1+1 = +0 (rne) */
    {0x7fefffffffffffffu, 0x4000000000000000u, 0xffefffffffffffffu},  /* overflow in product */
    {0x0010000000000000u, 0x3fe0000000000000u, 0x0000000000000000u},  /* subnormal result */
    {0x7ff0000000000001u, 0x3ff0000000000000u, 0x3ff0000000000000u},  /* sNaN */
};
static const u64 fma_s[][3] = {
    {0x3f800000u, 0x3f800000u, 0x3f800000u}, {0x7f800000u, 0x00000000u, 0x7fc00000u},
    {0x7f800000u, 0x00000000u, 0x3f800000u}, {0x7f800000u, 0x3f800000u, 0xff800000u},
    {0x3f800001u, 0x3f800001u, 0xbf800000u}, {0x00000000u, 0x80000000u, 0x00000000u},
    {0x80000000u, 0x3f800000u, 0x80000000u}, {0x3f800000u, 0xbf800000u, 0x3f800000u},
    {0x7f7fffffu, 0x40000000u, 0xff7fffffu}, {0x00800000u, 0x3f000000u, 0x00000000u},
    {0x7f800001u, 0x3f800000u, 0x3f800000u},
};

/* 1*-1+1 with rdn gives -0: a static-rm fma. */
static u64 d_fmadd_rdn_real(u64 a, u64 b, u64 c) {
  u64 r;
  __asm__ volatile("fmv.d.x ft0, %2\n fmv.d.x ft1, %3\n fmv.d.x ft3, %4\n fsflags zero\n"
                   "fmadd.d ft2, ft0, ft1, ft3, rdn\n frflags %1\n fmv.x.d %0, ft2"
                   : "=r"(r), "=r"(fl) : "r"(a), "r"(b), "r"(c) : "ft0", "ft1", "ft2", "ft3");
  return r;
}

/* ---- NaN boxing --------------------------------------------------------------------- */
static void nan_boxing(void) {
  u64 r, f;
  /* An unboxed single (upper bits not all ones) reads as the canonical NaN. */
  __asm__ volatile("li t0, 0x000000003f800000\n fmv.d.x ft0, t0\n fmv.w.x ft1, t0\n fsflags zero\n"
                   "fadd.s ft2, ft0, ft1\n frflags %1\n fmv.x.d %0, ft2"
                   : "=r"(r), "=r"(f) : : "t0", "ft0", "ft1", "ft2");
  printf_("fadd.s unboxed+1: %lx/%x\n", r, (u32)f);
  __asm__ volatile("li t0, 0xffffffef3f800000\n fmv.d.x ft0, t0\n fsflags zero\n"
                   "fsgnj.s ft2, ft0, ft0\n frflags %1\n fmv.x.d %0, ft2"
                   : "=r"(r), "=r"(f) : : "t0", "ft0", "ft2");
  printf_("fsgnj.s unboxed: %lx/%x\n", r, (u32)f);
  __asm__ volatile("li t0, 0x00000000bf800000\n fmv.d.x ft0, t0\n fmv.x.w %0, ft0" : "=r"(r) : : "t0", "ft0");
  printf_("fmv.x.w unboxed: %lx\n", r);
  __asm__ volatile("li t0, 0x123456783f800000\n fmv.d.x ft0, t0\n fclass.s %0, ft0" : "=r"(r) : : "t0", "ft0");
  printf_("fclass.s unboxed: %lx\n", r);
  __asm__ volatile("li t0, 0x123456783f800000\n fmv.d.x ft0, t0\n fcvt.d.s ft1, ft0\n fmv.x.d %0, ft1" : "=r"(r) : : "t0", "ft0", "ft1");
  printf_("fcvt.d.s unboxed: %lx\n", r);
  u32 w = 0;
  __asm__ volatile("li t0, 0x123456783f800000\n fmv.d.x ft0, t0\n fsw ft0, 0(%0)" : : "r"(&w) : "t0", "ft0", "memory");
  printf_("fsw unboxed stores: %x\n", w);
  u64 d = 0;
  w = 0x40490fdbu;
  __asm__ volatile("flw ft0, 0(%1)\n fsd ft0, 0(%2)\n fmv.x.d %0, ft0" : "=r"(r) : "r"(&w), "r"(&d) : "ft0", "memory");
  printf_("flw boxes: %lx fsd stores %lx\n", r, d);
  /* fmv.w.x boxes; single results are boxed; fcvt.s.d result boxed */
  __asm__ volatile("li t0, 0x5555555580000001\n fmv.w.x ft0, t0\n fmv.x.d %0, ft0" : "=r"(r) : : "t0", "ft0");
  printf_("fmv.w.x boxes: %lx\n", r);
  /* fmv.x.w sign-extends */
  __asm__ volatile("li t0, 0x80000001\n fmv.w.x ft0, t0\n fmv.x.w %0, ft0" : "=r"(r) : : "t0", "ft0");
  printf_("fmv.x.w sign-extends: %lx\n", r);
}

/* ---- fcsr: frm, fflags, illegal rounding modes -------------------------------------- */
static struct trap_frame last;
static int handler(struct trap_frame* tf) {
  last = *tf;
  skip_insn(tf);
  return 1;
}

static void fcsr_tests(void) {
  u64 r;
  csr_write(fcsr, 0xff);
  printf_("fcsr after writing 0xff: %lx frm=%lx fflags=%lx\n", csr_read(fcsr), csr_read(frm), csr_read(fflags));
  csr_write(fcsr, 0xfff);
  printf_("fcsr after writing 0xfff: %lx\n", csr_read(fcsr));
  csr_write(frm, 0xff);
  printf_("frm after writing 0xff: %lx fcsr=%lx\n", csr_read(frm), csr_read(fcsr));
  csr_write(fflags, 0xff);
  printf_("fflags after writing 0xff: %lx fcsr=%lx\n", csr_read(fflags), csr_read(fcsr));
  csr_write(fcsr, 0);
  /* dynamic rounding with every frm on 1 + 1.5*2^-53 and its negation */
  for (u64 rm = 0; rm < 5; rm++) {
    csr_write(frm, rm);
    u64 a = d2_fadd_dyn(0x3ff0000000000000u, 0x3ca8000000000000u);
    u64 fa = fl;
    u64 b = d2_fadd_dyn(0xbff0000000000000u, 0xbca8000000000000u);
    u64 c = s2_fadd_dyn(0x3f800000u, 0x33c00000u);
    printf_("frm=%ld: %lx/%x %lx/%x %lx/%x\n", rm, a, (u32)fa, b, (u32)fl, c, (u32)fl);
  }
  /* Illegal: static rm 5 and 6, and dyn with frm 5/6/7. The trap handler skips. */
  set_m_handler(handler);
  u64 fcsr_before;
  for (int k = 0; k < 2; k++) {
    memset(&last, 0, sizeof last);
    if (k == 0)
      __asm__ volatile(".insn r 0x53, 5, 0x01, ft2, ft0, ft1" ::: "ft2"); /* fadd.d rm=5 */
    else
      __asm__ volatile(".insn r 0x53, 6, 0x01, ft2, ft0, ft1" ::: "ft2"); /* fadd.d rm=6 */
    printf_("fadd.d rm=%d: mcause=%lx mtval=%lx\n", k + 5, last.cause, last.tval);
  }
  for (u64 frmv = 5; frmv < 8; frmv++) {
    memset(&last, 0, sizeof last);
    csr_write(frm, frmv);
    fcsr_before = csr_read(fcsr);
    __asm__ volatile("fadd.d ft2, ft0, ft1, dyn" ::: "ft2");
    printf_("fadd.d dyn frm=%ld: fcsr=%lx mcause=%lx mtval=%lx\n", frmv, fcsr_before, last.cause, last.tval);
    memset(&last, 0, sizeof last);
    __asm__ volatile("fsgnj.d ft2, ft0, ft1" ::: "ft2"); /* no rm field: legal */
    __asm__ volatile("fmv.x.d %0, ft0" : "=r"(r));
    printf_("  fsgnj.d with frm=%ld: mcause=%lx\n", frmv, last.cause);
  }
  csr_write(fcsr, 0);
  /* FS = Off makes every FP instruction and fcsr access illegal; the FS state machine */
  csr_clear(mstatus, MSTATUS_FS);
  memset(&last, 0, sizeof last);
  __asm__ volatile("fmv.x.d %0, ft0" : "=r"(r));
  printf_("FS=off fmv.x.d: mcause=%lx mtval=%lx\n", last.cause, last.tval);
  memset(&last, 0, sizeof last);
  r = csr_read(fcsr);
  printf_("FS=off csrr fcsr: mcause=%lx mtval=%lx\n", last.cause, last.tval);
  csr_set(mstatus, 1ul << 13); /* Initial */
  printf_("FS=initial: mstatus.FS=%lx SD=%lx\n", (csr_read(mstatus) >> 13) & 3, csr_read(mstatus) >> 63);
  __asm__ volatile("fmv.x.d %0, ft0" : "=r"(r));
  printf_("after fmv.x.d: FS=%lx\n", (csr_read(mstatus) >> 13) & 3);
  __asm__ volatile("fmv.d.x ft5, zero");
  printf_("after fmv.d.x: FS=%lx SD=%lx\n", (csr_read(mstatus) >> 13) & 3, csr_read(mstatus) >> 63);
  csr_clear(mstatus, MSTATUS_FS);
  csr_set(mstatus, 2ul << 13); /* Clean */
  csr_write(fflags, 0);
  printf_("after fflags write from Clean: FS=%lx\n", (csr_read(mstatus) >> 13) & 3);
  set_m_handler(0);
}

int main(void) {
  static const struct bin dbins[] = {
      {"fadd.d", d2_fadd}, {"fsub.d", d2_fsub}, {"fmul.d", d2_fmul}, {"fdiv.d", d2_fdiv}, {"fmin.d", d2_fmin},
      {"fmax.d", d2_fmax}, {"fsgnj.d", d2_fsgnj}, {"fsgnjn.d", d2_fsgnjn}, {"fsgnjx.d", d2_fsgnjx},
      {"feq.d", dc_feq}, {"flt.d", dc_flt}, {"fle.d", dc_fle},
  };
  static const struct bin sbins[] = {
      {"fadd.s", s2_fadd}, {"fsub.s", s2_fsub}, {"fmul.s", s2_fmul}, {"fdiv.s", s2_fdiv}, {"fmin.s", s2_fmin},
      {"fmax.s", s2_fmax}, {"fsgnj.s", s2_fsgnj}, {"fsgnjn.s", s2_fsgnjn}, {"fsgnjx.s", s2_fsgnjx},
      {"feq.s", sc_feq}, {"flt.s", sc_flt}, {"fle.s", sc_fle},
  };
  for (unsigned k = 0; k < N(dbins); k++) grid(dbins[k].name, dbins[k].fn, dvals, NDV);
  for (unsigned k = 0; k < N(sbins); k++) grid(sbins[k].name, sbins[k].fn, svals, N(svals));

  /* static rounding modes; dyn with frm = rmm (4) */
  csr_write(frm, 4);
  static const struct bin drm[] = {
      {"fadd.d rne", d2_fadd_rne}, {"fadd.d rtz", d2_fadd_rtz}, {"fadd.d rdn", d2_fadd_rdn},
      {"fadd.d rup", d2_fadd_rup}, {"fadd.d rmm", d2_fadd_rmm}, {"fadd.d dyn", d2_fadd_dyn},
      {"fmul.d rne", d2_fmul_rne}, {"fmul.d rtz", d2_fmul_rtz}, {"fmul.d rdn", d2_fmul_rdn},
      {"fmul.d rup", d2_fmul_rup}, {"fmul.d rmm", d2_fmul_rmm}, {"fmul.d dyn", d2_fmul_dyn},
      {"fdiv.d rne", d2_fdiv_rne}, {"fdiv.d rtz", d2_fdiv_rtz}, {"fdiv.d rdn", d2_fdiv_rdn},
      {"fdiv.d rup", d2_fdiv_rup}, {"fdiv.d rmm", d2_fdiv_rmm}, {"fdiv.d dyn", d2_fdiv_dyn},
  };
  static const struct bin srm[] = {
      {"fadd.s rne", s2_fadd_rne}, {"fadd.s rtz", s2_fadd_rtz}, {"fadd.s rdn", s2_fadd_rdn},
      {"fadd.s rup", s2_fadd_rup}, {"fadd.s rmm", s2_fadd_rmm}, {"fadd.s dyn", s2_fadd_dyn},
      {"fmul.s rne", s2_fmul_rne}, {"fmul.s rtz", s2_fmul_rtz}, {"fmul.s rdn", s2_fmul_rdn},
      {"fmul.s rup", s2_fmul_rup}, {"fmul.s rmm", s2_fmul_rmm}, {"fmul.s dyn", s2_fmul_dyn},
      {"fdiv.s rne", s2_fdiv_rne}, {"fdiv.s rtz", s2_fdiv_rtz}, {"fdiv.s rdn", s2_fdiv_rdn},
      {"fdiv.s rup", s2_fdiv_rup}, {"fdiv.s rmm", s2_fdiv_rmm}, {"fdiv.s dyn", s2_fdiv_dyn},
  };
  for (unsigned k = 0; k < N(drm); k++) {
    printf_("%s:", drm[k].name);
    for (unsigned i = 0; i < N(rpairs_d); i++) {
      u64 r = drm[k].fn(rpairs_d[i][0], rpairs_d[i][1]);
      printf_(" %lx/%x", r, (u32)fl);
    }
    putchar_('\n');
  }
  for (unsigned k = 0; k < N(srm); k++) {
    printf_("%s:", srm[k].name);
    for (unsigned i = 0; i < N(rpairs_s); i++) {
      u64 r = srm[k].fn(rpairs_s[i][0], rpairs_s[i][1]);
      printf_(" %lx/%x", r, (u32)fl);
    }
    putchar_('\n');
  }
  csr_write(frm, 0);

  static const struct un dun[] = {
      {"fsqrt.d", d_sqrt}, {"fsqrt.d rtz", d_sqrt_rtz}, {"fsqrt.d rup", d_sqrt_rup}, {"fclass.d", d_class},
      {"fcvt.s.d", d_cvt_s}, {"fcvt.s.d rtz", d_cvt_s_rtz}, {"fmv.x.d", d_mv_x},
  };
  for (unsigned k = 0; k < N(dun); k++) unary_list(dun[k].name, dun[k].fn, dvals, NDV);
  static const struct un sun[] = {
      {"fsqrt.s", s_sqrt}, {"fclass.s", s_class}, {"fcvt.d.s", s_cvt_d}, {"fmv.x.w", s_mv_x},
  };
  for (unsigned k = 0; k < N(sun); k++) unary_list(sun[k].name, sun[k].fn, svals, N(svals));
  static const struct un dcv[] = {
      {"fcvt.w.d rne", d_cvt_w}, {"fcvt.w.d rtz", d_cvt_w_rtz}, {"fcvt.w.d rdn", d_cvt_w_rdn},
      {"fcvt.w.d rup", d_cvt_w_rup}, {"fcvt.w.d rmm", d_cvt_w_rmm}, {"fcvt.wu.d", d_cvt_wu},
      {"fcvt.l.d", d_cvt_l}, {"fcvt.l.d rne", d_cvt_l_rne}, {"fcvt.lu.d", d_cvt_lu},
  };
  for (unsigned k = 0; k < N(dcv); k++) unary_list(dcv[k].name, dcv[k].fn, cvt_d, N(cvt_d));
  static const struct un scv[] = {
      {"fcvt.w.s", s_cvt_w}, {"fcvt.w.s rne", s_cvt_w_rne}, {"fcvt.wu.s", s_cvt_wu},
      {"fcvt.l.s", s_cvt_l}, {"fcvt.lu.s", s_cvt_lu},
  };
  for (unsigned k = 0; k < N(scv); k++) unary_list(scv[k].name, scv[k].fn, cvt_s, N(cvt_s));
  static const struct un icv[] = {
      {"fcvt.d.w", x_cvt_d_w}, {"fcvt.d.wu", x_cvt_d_wu}, {"fcvt.d.l", x_cvt_d_l}, {"fcvt.d.lu", x_cvt_d_lu},
      {"fcvt.d.l rtz", x_cvt_d_l_rtz}, {"fcvt.s.w", x_cvt_s_w}, {"fcvt.s.wu", x_cvt_s_wu},
      {"fcvt.s.l", x_cvt_s_l}, {"fcvt.s.lu", x_cvt_s_lu}, {"fcvt.s.l rdn", x_cvt_s_l_rdn}, {"fmv.w.x", x_mv_w_x},
  };
  for (unsigned k = 0; k < N(icv); k++) unary_list(icv[k].name, icv[k].fn, ints, N(ints));

  static const struct { const char* name; u64 (*fn)(u64, u64, u64); } dfma[] = {
      {"fmadd.d", d_fmadd}, {"fmsub.d", d_fmsub}, {"fnmadd.d", d_fnmadd}, {"fnmsub.d", d_fnmsub},
      {"fmadd.d rdn", d_fmadd_rdn_real},
  };
  for (unsigned k = 0; k < N(dfma); k++) {
    printf_("%s:", dfma[k].name);
    for (unsigned i = 0; i < N(fma_d); i++) {
      u64 r = dfma[k].fn(fma_d[i][0], fma_d[i][1], fma_d[i][2]);
      printf_(" %lx/%x", r, (u32)fl);
    }
    putchar_('\n');
  }
  static const struct { const char* name; u64 (*fn)(u64, u64, u64); } sfma[] = {
      {"fmadd.s", s_fmadd}, {"fmsub.s", s_fmsub}, {"fnmadd.s", s_fnmadd}, {"fnmsub.s", s_fnmsub},
  };
  for (unsigned k = 0; k < N(sfma); k++) {
    printf_("%s:", sfma[k].name);
    for (unsigned i = 0; i < N(fma_s); i++) {
      u64 r = sfma[k].fn(fma_s[i][0], fma_s[i][1], fma_s[i][2]);
      printf_(" %lx/%x", r, (u32)fl);
    }
    putchar_('\n');
  }

  nan_boxing();
  fcsr_tests();

  /* A few self-checks of IEEE / RISC-V rules. */
  check_eq("fsqrt.d(-1) = canonical NaN", d_sqrt(0xbff0000000000000u), 0x7ff8000000000000u);
  check_eq("fsqrt.d(-1) raises NV", fl, 0x10);
  check_eq("fsqrt.d(-0) = -0", d_sqrt(0x8000000000000000u), 0x8000000000000000u);
  check_eq("fmin.d(-0,+0) = -0", d2_fmin(0x0000000000000000u, 0x8000000000000000u), 0x8000000000000000u);
  check_eq("fmax.d(-0,+0) = +0", d2_fmax(0x8000000000000000u, 0x0000000000000000u), 0);
  check_eq("fmin.d(qNaN,1) = 1", d2_fmin(0x7ff8000000000000u, 0x3ff0000000000000u), 0x3ff0000000000000u);
  check_eq("fmin.d(sNaN,1) = 1, NV", d2_fmin(0x7ff0000000000001u, 0x3ff0000000000000u) | (fl << 60),
           0x3ff0000000000000u | (0x10ul << 60));
  check_eq("fmax.d(NaN,NaN) = canonical", d2_fmax(0xfff8000000000123u, 0x7ff0000000000001u), 0x7ff8000000000000u);
  check_eq("fdiv.d 1/0 = inf, DZ", d2_fdiv(0x3ff0000000000000u, 0) | (fl << 56), 0x7ff0000000000000u | (0x08ul << 56));
  check_eq("fcvt.w.d NaN = INT_MAX", d_cvt_w(0x7ff8000000000000u), 0x7fffffff);
  check_eq("fcvt.wu.d -1 = 0, NV", d_cvt_wu(0xbff0000000000000u) | (fl << 32), 0x10ul << 32);
  check_eq("fcvt.lu.d 2^64 = ~0", d_cvt_lu(0x43f0000000000000u), ~0ul);
  check_eq("fcvt.wu.d 4294967295 sign-extends", d_cvt_wu(0x41efffffffe00000u), ~0ul);
  check_eq("flt.d qNaN raises NV", (dc_flt(0x7ff8000000000000u, 0), fl), 0x10);
  check_eq("feq.d qNaN quiet", (dc_feq(0x7ff8000000000000u, 0), fl), 0);
  check_eq("feq.d sNaN raises NV", (dc_feq(0x7ff0000000000001u, 0), fl), 0x10);
  check_eq("fclass.d sNaN", d_class(0x7ff0000000000001u), 0x100);
  check_eq("fclass.d -subnormal", d_class(0x8000000000000001u), 0x4);
  return check_failures;
}
