/* F/D test vectors shared by the bare-metal guest (C, rv64) and the host checker (C++).
 *
 * Both sides walk the same loops and draw the same operands from this integer-only generator, so
 * the guest prints only results; the checker recomputes every vector with lockstep's semantics
 * and compares. Every instruction runs as rd = 7, rs1 = 10, rs2 = 11, rs3 = 12 (f or x by the
 * instruction), with a = f10/x10, b = f11/x11, c = f12.
 */
#ifndef LOCKSTEP_TESTS_FPU_VECTORS_H
#define LOCKSTEP_TESTS_FPU_VECTORS_H
#include <stdint.h>

#define FV_VERSION 1
#define FV_PER_GROUP 4000 /* vectors per (instruction, rounding mode) */
/* The guest reads a 64-bit word here (QEMU: -device loader,addr=...,data=...,data-len=8). 0: print
 * one hash per group; g + 1: also print every vector of group g (to find a mismatch). */
#define FV_CONFIG_ADDR 0x80fff000ull
#define FV_POISON 0x5a5a5a5a5a5a5a5aull

/* Operand / result kinds. */
enum { FV_S = 1, FV_D, FV_X, FV_MEM32, FV_MEM64 };
/* Which register fields the instruction has (the others are fixed by its encoding). */
enum { FV_RD = 1, FV_RS1 = 2, FV_RS2 = 4, FV_RS3 = 8, FV_RM = 16, FV_SAME = 32 /* rs2 = rs1 */ };
/* Extra operand shapes for instructions whose rounding ties are otherwise rare. */
enum { FV_DIVTIE = 64 /* subnormal quotients on a tie */, FV_NARROWTIE = 128 /* double->single ties */ };

struct fv_op {
  const char* name;
  uint32_t match;
  uint8_t src;    /* kind of a (and b, c) */
  uint8_t dst;    /* kind of the result */
  uint8_t nsrc;   /* operands used: 1..3 */
  uint8_t fields;
};

#define FV_R3 (FV_RD | FV_RS1 | FV_RS2)
#define FV_R3RM (FV_RD | FV_RS1 | FV_RS2 | FV_RM)
#define FV_R4 (FV_RD | FV_RS1 | FV_RS2 | FV_RS3 | FV_RM)
#define FV_R1 (FV_RD | FV_RS1)
#define FV_R1RM (FV_RD | FV_RS1 | FV_RM)

static const struct fv_op fv_ops[] = {
    {"flw", 0x00002007, FV_MEM32, FV_S, 1, FV_R1},
    {"fsw", 0x00002027, FV_S, FV_MEM32, 2, FV_RS1 | FV_RS2},
    {"fld", 0x00003007, FV_MEM64, FV_D, 1, FV_R1},
    {"fsd", 0x00003027, FV_D, FV_MEM64, 2, FV_RS1 | FV_RS2},
    {"fmadd.s", 0x00000043, FV_S, FV_S, 3, FV_R4},
    {"fmsub.s", 0x00000047, FV_S, FV_S, 3, FV_R4},
    {"fnmsub.s", 0x0000004b, FV_S, FV_S, 3, FV_R4},
    {"fnmadd.s", 0x0000004f, FV_S, FV_S, 3, FV_R4},
    {"fadd.s", 0x00000053, FV_S, FV_S, 2, FV_R3RM},
    {"fsub.s", 0x08000053, FV_S, FV_S, 2, FV_R3RM},
    {"fmul.s", 0x10000053, FV_S, FV_S, 2, FV_R3RM},
    {"fdiv.s", 0x18000053, FV_S, FV_S, 2, FV_R3RM | FV_DIVTIE},
    {"fsqrt.s", 0x58000053, FV_S, FV_S, 1, FV_R1RM},
    {"fsgnj.s", 0x20000053, FV_S, FV_S, 2, FV_R3},
    {"fsgnjn.s", 0x20001053, FV_S, FV_S, 2, FV_R3},
    {"fsgnjx.s", 0x20002053, FV_S, FV_S, 2, FV_R3},
    {"fsgnj.s", 0x20000053, FV_S, FV_S, 1, FV_R3 | FV_SAME},
    {"fsgnjn.s", 0x20001053, FV_S, FV_S, 1, FV_R3 | FV_SAME},
    {"fsgnjx.s", 0x20002053, FV_S, FV_S, 1, FV_R3 | FV_SAME},
    {"fmin.s", 0x28000053, FV_S, FV_S, 2, FV_R3},
    {"fmax.s", 0x28001053, FV_S, FV_S, 2, FV_R3},
    {"fcvt.w.s", 0xc0000053, FV_S, FV_X, 1, FV_R1RM},
    {"fcvt.wu.s", 0xc0100053, FV_S, FV_X, 1, FV_R1RM},
    {"fcvt.l.s", 0xc0200053, FV_S, FV_X, 1, FV_R1RM},
    {"fcvt.lu.s", 0xc0300053, FV_S, FV_X, 1, FV_R1RM},
    {"fmv.x.w", 0xe0000053, FV_S, FV_X, 1, FV_R1},
    {"fclass.s", 0xe0001053, FV_S, FV_X, 1, FV_R1},
    {"feq.s", 0xa0002053, FV_S, FV_X, 2, FV_R3},
    {"flt.s", 0xa0001053, FV_S, FV_X, 2, FV_R3},
    {"fle.s", 0xa0000053, FV_S, FV_X, 2, FV_R3},
    {"fcvt.s.w", 0xd0000053, FV_X, FV_S, 1, FV_R1RM},
    {"fcvt.s.wu", 0xd0100053, FV_X, FV_S, 1, FV_R1RM},
    {"fcvt.s.l", 0xd0200053, FV_X, FV_S, 1, FV_R1RM},
    {"fcvt.s.lu", 0xd0300053, FV_X, FV_S, 1, FV_R1RM},
    {"fmv.w.x", 0xf0000053, FV_X, FV_S, 1, FV_R1},
    {"fmadd.d", 0x02000043, FV_D, FV_D, 3, FV_R4},
    {"fmsub.d", 0x02000047, FV_D, FV_D, 3, FV_R4},
    {"fnmsub.d", 0x0200004b, FV_D, FV_D, 3, FV_R4},
    {"fnmadd.d", 0x0200004f, FV_D, FV_D, 3, FV_R4},
    {"fadd.d", 0x02000053, FV_D, FV_D, 2, FV_R3RM},
    {"fsub.d", 0x0a000053, FV_D, FV_D, 2, FV_R3RM},
    {"fmul.d", 0x12000053, FV_D, FV_D, 2, FV_R3RM},
    {"fdiv.d", 0x1a000053, FV_D, FV_D, 2, FV_R3RM | FV_DIVTIE},
    {"fsqrt.d", 0x5a000053, FV_D, FV_D, 1, FV_R1RM},
    {"fsgnj.d", 0x22000053, FV_D, FV_D, 2, FV_R3},
    {"fsgnjn.d", 0x22001053, FV_D, FV_D, 2, FV_R3},
    {"fsgnjx.d", 0x22002053, FV_D, FV_D, 2, FV_R3},
    {"fsgnj.d", 0x22000053, FV_D, FV_D, 1, FV_R3 | FV_SAME},
    {"fsgnjn.d", 0x22001053, FV_D, FV_D, 1, FV_R3 | FV_SAME},
    {"fsgnjx.d", 0x22002053, FV_D, FV_D, 1, FV_R3 | FV_SAME},
    {"fmin.d", 0x2a000053, FV_D, FV_D, 2, FV_R3},
    {"fmax.d", 0x2a001053, FV_D, FV_D, 2, FV_R3},
    {"fcvt.s.d", 0x40100053, FV_D, FV_S, 1, FV_R1RM | FV_NARROWTIE},
    {"fcvt.d.s", 0x42000053, FV_S, FV_D, 1, FV_R1RM},
    {"feq.d", 0xa2002053, FV_D, FV_X, 2, FV_R3},
    {"flt.d", 0xa2001053, FV_D, FV_X, 2, FV_R3},
    {"fle.d", 0xa2000053, FV_D, FV_X, 2, FV_R3},
    {"fclass.d", 0xe2001053, FV_D, FV_X, 1, FV_R1},
    {"fcvt.w.d", 0xc2000053, FV_D, FV_X, 1, FV_R1RM},
    {"fcvt.wu.d", 0xc2100053, FV_D, FV_X, 1, FV_R1RM},
    {"fcvt.l.d", 0xc2200053, FV_D, FV_X, 1, FV_R1RM},
    {"fcvt.lu.d", 0xc2300053, FV_D, FV_X, 1, FV_R1RM},
    {"fmv.x.d", 0xe2000053, FV_D, FV_X, 1, FV_R1},
    {"fcvt.d.w", 0xd2000053, FV_X, FV_D, 1, FV_R1RM},
    {"fcvt.d.wu", 0xd2100053, FV_X, FV_D, 1, FV_R1RM},
    {"fcvt.d.l", 0xd2200053, FV_X, FV_D, 1, FV_R1RM},
    {"fcvt.d.lu", 0xd2300053, FV_X, FV_D, 1, FV_R1RM},
    {"fmv.d.x", 0xf2000053, FV_X, FV_D, 1, FV_R1},
};
#define FV_NOPS ((int)(sizeof fv_ops / sizeof fv_ops[0]))

/* Rounding passes per instruction with an rm field: frm = 0..4 with fflags cleared, then RNE
 * again with NX already set (QEMU takes its host-FPU fast path then). */
#define FV_NMODES 6
static inline unsigned fv_modes(const struct fv_op* op) { return (op->fields & FV_RM) ? FV_NMODES : 1; }
static inline unsigned fv_mode_frm(unsigned mode) { return mode < 5 ? mode : 0; }
static inline unsigned fv_mode_flags(unsigned mode) { return mode < 5 ? 0 : 1; }

/* The instruction word with rd = 7, rs1 = 10, rs2 = 11 (or 10), rs3 = 12 and the given rm. */
static inline uint32_t fv_word(const struct fv_op* op, unsigned rm) {
  uint32_t w = op->match;
  if (op->fields & FV_RD) w |= 7u << 7;
  if (op->fields & FV_RS1) w |= 10u << 15;
  if (op->fields & FV_RS2) w |= ((op->fields & FV_SAME) ? 10u : 11u) << 20;
  if (op->fields & FV_RS3) w |= 12u << 27;
  if (op->fields & FV_RM) w |= (rm & 7u) << 12;
  return w;
}

/* Folds one value into a group's hash. */
static inline uint64_t fv_hash(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 29);
}

/* splitmix64 */
static inline uint64_t fv_next(uint64_t* s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static inline unsigned fv_below(uint64_t* s, unsigned n) { return (unsigned)(fv_next(s) % n); }

/* A floating-point value of the given format (frac bits, exponent bits): specials, random
 * bits and shapes that reach ties, cancellation, subnormals, overflow and integer boundaries. */
static inline uint64_t fv_float(uint64_t* s, int fbits, int ebits) {
  const uint64_t fmask = (1ull << fbits) - 1, emax = (1ull << ebits) - 1, bias = emax >> 1;
  const uint64_t sign = (fv_next(s) & 1) ? 1ull << (fbits + ebits) : 0;
  uint64_t e, f;
  switch (fv_below(s, 12)) {
    case 0: { /* specials */
      static const uint8_t kinds = 12;
      switch (fv_below(s, kinds)) {
        case 0: return sign;                                   /* zero */
        case 1: return sign | (emax << fbits);                 /* inf */
        case 2: return sign | (emax << fbits) | (1ull << (fbits - 1)); /* canonical qNaN */
        case 3: return sign | (emax << fbits) | 1;             /* sNaN */
        case 4: return sign | (emax << fbits) | (fv_next(s) & fmask) | (1ull << (fbits - 1)); /* qNaN */
        case 5: return sign | (emax << fbits) | ((fv_next(s) & (fmask >> 1)) | 1); /* sNaN payload */
        case 6: return sign | 1;                               /* min subnormal */
        case 7: return sign | fmask;                           /* max subnormal */
        case 8: return sign | (1ull << fbits);                 /* min normal */
        case 9: return sign | ((emax - 1) << fbits) | fmask;   /* max finite */
        case 10: return sign | (bias << fbits);                /* 1 */
        default: return sign | ((bias - 1) << fbits);          /* 0.5 */
      }
    }
    case 1:
    case 2: return fbits + ebits == 63 ? fv_next(s) : fv_next(s) & ((1ull << (fbits + ebits + 1)) - 1); /* any bits */
    case 3: e = bias - 4 + fv_below(s, 9); f = fv_next(s); break;   /* around 1 */
    case 4: {                                                        /* few significant bits */
      unsigned k;
      f = 0;
      for (k = fv_below(s, 4); k > 0; --k) f |= 1ull << fv_below(s, (unsigned)fbits);
      if (fv_next(s) & 1) f |= 1ull << (fbits - 1 - (int)fv_below(s, 3));
      e = bias - 30 + fv_below(s, 61);
      break;
    }
    case 5: e = fv_below(s, (unsigned)fbits + 3); f = fv_next(s); break; /* subnormal and just above */
    case 6: e = emax - 1 - fv_below(s, (unsigned)fbits + 3); f = fv_next(s); break; /* huge */
    case 7: e = bias / 2 - 20 + fv_below(s, 40) - ((fv_next(s) & 1) ? bias / 2 : 0); f = fv_next(s); break;
    case 8: { /* integer boundaries: 2^k +- a few ulps, and halves */
      static const uint8_t pow[] = {0, 1, 4, 15, 16, 23, 24, 31, 32, 52, 53, 62, 63, 64};
      e = bias + pow[fv_below(s, sizeof pow)];
      if (e >= emax) e = emax - 1;
      f = fv_below(s, 4);
      if (fv_next(s) & 1) { /* just below 2^k */
        e -= 1;
        f = fmask - fv_below(s, 4);
      }
      break;
    }
    case 9: { /* small integers and half-integers: ties for conversions */
      const uint64_t n = fv_below(s, 64) + 1; /* value n/2 */
      int lead = 63 - __builtin_clzll(n);
      e = bias + (uint64_t)lead - 1;
      f = (n << (fbits - lead)) & fmask;
      break;
    }
    default: e = fv_below(s, (unsigned)emax); f = fv_next(s); break; /* any finite */
  }
  return sign | ((e & emax) << fbits) | (f & fmask);
}

/* A single operand as an f-register value: NaN-boxed, sometimes not. */
static inline uint64_t fv_single(uint64_t* s) {
  const uint64_t v = fv_float(s, 23, 8);
  switch (fv_below(s, 24)) {
    case 0: return v;                                    /* upper half zero */
    case 1: return v | (fv_next(s) & 0xffffffff00000000ull) | 0x100000000ull; /* garbage */
    case 2: return v | 0xfffffffe00000000ull;            /* almost boxed */
    default: return v | 0xffffffff00000000ull;
  }
}
static inline uint64_t fv_double(uint64_t* s) { return fv_float(s, 52, 11); }

static inline uint64_t fv_int(uint64_t* s) {
  static const uint64_t b[] = {0, 1, 2, 3, 0x7fffffffull, 0x80000000ull, 0xffffffffull, 0x100000000ull,
                               0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull,
                               (1ull << 24) + 1, (1ull << 53) + 1, (1ull << 53) + 3, 0xffffffff80000000ull,
                               0xffffffff7fffffffull, (1ull << 25) + 3, (1ull << 54) + 6};
  switch (fv_below(s, 6)) {
    case 0: return b[fv_below(s, sizeof b / sizeof b[0])];
    case 1: return 0 - b[fv_below(s, sizeof b / sizeof b[0])];
    case 2: return fv_next(s) >> fv_below(s, 64);
    case 3: return (uint64_t)((int64_t)fv_next(s) >> fv_below(s, 64));
    case 4: return (uint64_t)(int64_t)(int32_t)fv_next(s);
    default: return fv_next(s);
  }
}

static inline uint64_t fv_operand(uint64_t* s, int kind) {
  switch (kind) {
    case FV_S: case FV_MEM32: return fv_single(s);
    case FV_D: case FV_MEM64: return fv_double(s);
    default: return fv_int(s);
  }
}

/* For fused multiply-adds, c is sometimes about -(a*b) for deep cancellation: a and b get short
 * significands so that the product is exact, and c is that product negated, nudged by a few
 * units in its last place. */
static inline void fv_fma_cancel(uint64_t* s, int fbits, int ebits, uint64_t* a, uint64_t* b, uint64_t* c) {
  const uint64_t fmask = (1ull << fbits) - 1, emax = (1ull << ebits) - 1, bias = emax >> 1;
  const int keep = fbits / 2 - 1;
  const uint64_t ma = (1ull << fbits) | ((fv_next(s) & ((1ull << keep) - 1)) << (fbits - keep));
  const uint64_t mb = (1ull << fbits) | ((fv_next(s) & ((1ull << keep) - 1)) << (fbits - keep));
  const uint64_t ea = bias - 8 + fv_below(s, 17), eb = bias - 8 + fv_below(s, 17);
  const uint64_t sa = fv_next(s) & 1, sb = fv_next(s) & 1;
  unsigned __int128 p = (unsigned __int128)ma * mb; /* < 2^(2 fbits + 2) */
  uint64_t ep = ea + eb - bias, mp;
  p >>= fbits;
  if (p >> (fbits + 1)) {
    p >>= 1;
    ep += 1;
  }
  mp = (uint64_t)p & fmask;
  *a = (sa << (fbits + ebits)) | (ea << fbits) | (ma & fmask);
  *b = (sb << (fbits + ebits)) | (eb << fbits) | (mb & fmask);
  *c = ((sa ^ sb ^ (fv_next(s) & 1)) << (fbits + ebits)) | (ep << fbits) | mp;
  *c += fv_below(s, 5);
  *c -= 2;
}

/* a / 2^k with the bits shifted out of a small a exactly one half: a tie in the subnormal range. */
static inline void fv_div_tie(uint64_t* s, int fbits, int ebits, uint64_t* a, uint64_t* b) {
  const uint64_t fmask = (1ull << fbits) - 1, bias = ((1ull << ebits) - 1) >> 1;
  const unsigned k = 1 + fv_below(s, 12);
  const uint64_t frac = ((fv_next(s) << k) | (1ull << (k - 1))) & fmask;
  *a = ((fv_next(s) & 1) << (fbits + ebits)) | ((uint64_t)fv_below(s, 2) << fbits) | frac;
  *b = ((fv_next(s) & 1) << (fbits + ebits)) | ((bias + k) << fbits);
}

/* A double exactly halfway between two singles (normal or subnormal). */
static inline uint64_t fv_narrow_tie(uint64_t* s) {
  const uint64_t sign = (fv_next(s) & 1) << 63;
  if (fv_below(s, 2)) { /* normal single range: 24 significant bits and a half */
    const uint64_t e = 1023 - 126 + fv_below(s, 254);
    return sign | (e << 52) | ((fv_next(s) << 29) & ((1ull << 52) - 1)) | (1ull << 28);
  }
  { /* subnormal single range: 2^E, E in [-150, -127], keeps E + 149 fraction bits */
    const int e = -150 + (int)fv_below(s, 24);
    const int kept = e + 149;
    uint64_t frac = 0;
    if (kept >= 0) frac = ((fv_next(s) << (52 - kept)) & ((1ull << 52) - 1)) | (1ull << (51 - kept));
    if (kept == 0) frac = 1ull << 51;
    if (kept < 0) frac = 0;
    return sign | ((uint64_t)(1023 + e) << 52) | frac;
  }
}

/* The operands of vector k of group (op, mode). */
static inline void fv_vector(int op, unsigned mode, unsigned k, uint64_t* a, uint64_t* b, uint64_t* c) {
  uint64_t s = ((uint64_t)FV_VERSION << 56) ^ ((uint64_t)op << 40) ^ ((uint64_t)mode << 32) ^ k;
  const struct fv_op* o = &fv_ops[op];
  int kind = o->src;
  fv_next(&s);
  *a = fv_operand(&s, kind);
  *b = fv_operand(&s, kind == FV_MEM32 ? FV_S : kind == FV_MEM64 ? FV_D : kind);
  *c = fv_operand(&s, kind);
  if (o->nsrc == 2 && fv_below(&s, 5) == 0 && kind != FV_X) { /* b near a or -a */
    *b = (*a ^ ((fv_next(&s) & 1) ? (kind == FV_S ? 0x80000000ull : 0x8000000000000000ull) : 0)) + fv_below(&s, 5) - 2;
  }
  if (o->nsrc == 3 && fv_below(&s, 4) == 0) {
    if (kind == FV_S) {
      fv_fma_cancel(&s, 23, 8, a, b, c);
      *a |= 0xffffffff00000000ull;
      *b |= 0xffffffff00000000ull;
      *c |= 0xffffffff00000000ull;
    } else {
      fv_fma_cancel(&s, 52, 11, a, b, c);
    }
  }
  if ((o->fields & FV_DIVTIE) && fv_below(&s, 4) == 0) {
    if (kind == FV_S) {
      fv_div_tie(&s, 23, 8, a, b);
      *a |= 0xffffffff00000000ull;
      *b |= 0xffffffff00000000ull;
    } else {
      fv_div_tie(&s, 52, 11, a, b);
    }
  }
  if ((o->fields & FV_NARROWTIE) && fv_below(&s, 4) == 0) *a = fv_narrow_tie(&s);
}

/* A digest of the generator, printed by the guest and checked by the host: both must have been
 * built from the same vectors.h. */
static inline uint64_t fv_generator_digest(void) {
  uint64_t h = FV_PER_GROUP, a, b, c;
  int op;
  for (op = 0; op < FV_NOPS; ++op) {
    fv_vector(op, 4, (unsigned)op * 7u, &a, &b, &c);
    h = fv_hash(fv_hash(fv_hash(fv_hash(h, a), b), c), fv_word(&fv_ops[op], 7));
  }
  return h;
}

#endif
