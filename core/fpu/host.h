#pragma once
#include <array>
#include <bit>

#include "core/fpu/format.h"

// The host FPU (x86-64 SSE/FMA) as a correctly rounded IEEE 754 engine for RNE/RTZ/RDN/RUP.
//
// Each operation is one inline-asm block: load MXCSR with the guest rounding mode, all exceptions
// masked, FTZ/DAZ off and the flags clear; do the operation; store MXCSR to capture exactly its
// flags; and, when the mode was not round-to-nearest, load the host default back. The compiler
// can neither fold nor move the operation out of that window. The host runs with MXCSR = 0x1F80
// (the x86-64 ABI default: round to nearest, masked, no FTZ/DAZ); after a round-to-nearest guest
// operation MXCSR is that value plus sticky flags, which nothing on the host reads.
//
// Loading MXCSR is cheap (~1 ns); storing it is not (it waits for the operation: ~9 ns on the
// machines measured). The *_nf ("no flags") variants skip the store, for callers that can tell
// from the result that the operation raised nothing they do not already have (core/fpu/ops.h).
#if !defined(__x86_64__)
#error "core/fpu/host.h: the host floating-point path is written for x86-64 SSE"
#endif

namespace lockstep::core::fpu::host {

inline constexpr u32 kMxcsrDefault = 0x1f80;
// Guest rounding mode (RNE, RTZ, RDN, RUP) -> MXCSR with that rounding control (bits 13-14).
inline constexpr u32 kMxcsrForRm[4] = {0x1f80, 0x7f80, 0x3f80, 0x5f80};

// MXCSR flag bits (IE, DE, ZE, OE, UE, PE) -> fflags. DE (denormal operand) has no RISC-V meaning.
inline constexpr std::array<u8, 64> kMxcsrToFflags = [] {
  std::array<u8, 64> t{};
  for (unsigned m = 0; m < 64; ++m) {
    t[m] = static_cast<u8>(((m & 0x01) ? kNV : 0) | ((m & 0x04) ? kDZ : 0) | ((m & 0x08) ? kOF : 0) |
                           ((m & 0x10) ? kUF : 0) | ((m & 0x20) ? kNX : 0));
  }
  return t;
}();
inline u32 fflags_of(u32 mxcsr) { return kMxcsrToFflags[mxcsr & 0x3f]; }

// Set once at start-up (core/fpu/host.cpp): whether the CPU has FMA3. Without it, fused
// multiply-add runs in software.
extern const bool kHasFma;

// One instruction "OP %[b], %[a]" on a in register x, with rounding mode rm in 0..3.
// Returns the result; mx receives MXCSR after the operation.
#define LOCKSTEP_FPU_HOST_OP2(NAME, T, INSN)                                                     \
  inline T NAME(T a, T b, unsigned rm, u32& mx) {                                                \
    if (rm == kRNE) {                                                                            \
      asm volatile("ldmxcsr %[ctl]\n\t" INSN " %[b], %[a]\n\tstmxcsr %[st]"                      \
                   : [a] "+x"(a), [st] "=m"(mx)                                                  \
                   : [b] "x"(b), [ctl] "m"(kMxcsrDefault));                                      \
    } else {                                                                                     \
      asm volatile("ldmxcsr %[ctl]\n\t" INSN " %[b], %[a]\n\tstmxcsr %[st]\n\tldmxcsr %[host]"   \
                   : [a] "+x"(a), [st] "=m"(mx)                                                  \
                   : [b] "x"(b), [ctl] "m"(kMxcsrForRm[rm]), [host] "m"(kMxcsrDefault));         \
    }                                                                                            \
    return a;                                                                                    \
  }

// The same without the flags: mode in, result out. RNE is the mode the host already runs in, so
// nothing is loaded and the asm is not volatile: the compiler may schedule, share or drop it.
#define LOCKSTEP_FPU_HOST_OP2_NF(NAME, T, INSN)                                                  \
  inline T NAME##_nf(T a, T b, unsigned rm) {                                                    \
    if (rm == kRNE) {                                                                            \
      asm(INSN " %[b], %[a]" : [a] "+x"(a) : [b] "x"(b));                               \
    } else {                                                                                     \
      asm volatile("ldmxcsr %[ctl]\n\t" INSN " %[b], %[a]\n\tldmxcsr %[host]"                    \
                   : [a] "+x"(a)                                                                 \
                   : [b] "x"(b), [ctl] "m"(kMxcsrForRm[rm]), [host] "m"(kMxcsrDefault));         \
    }                                                                                            \
    return a;                                                                                    \
  }

LOCKSTEP_FPU_HOST_OP2(add_s, float, "addss")
LOCKSTEP_FPU_HOST_OP2(sub_s, float, "subss")
LOCKSTEP_FPU_HOST_OP2(mul_s, float, "mulss")
LOCKSTEP_FPU_HOST_OP2(div_s, float, "divss")
LOCKSTEP_FPU_HOST_OP2(add_d, double, "addsd")
LOCKSTEP_FPU_HOST_OP2(sub_d, double, "subsd")
LOCKSTEP_FPU_HOST_OP2(mul_d, double, "mulsd")
LOCKSTEP_FPU_HOST_OP2(div_d, double, "divsd")
LOCKSTEP_FPU_HOST_OP2_NF(add_s, float, "addss")
LOCKSTEP_FPU_HOST_OP2_NF(sub_s, float, "subss")
LOCKSTEP_FPU_HOST_OP2_NF(mul_s, float, "mulss")
LOCKSTEP_FPU_HOST_OP2_NF(div_s, float, "divss")
LOCKSTEP_FPU_HOST_OP2_NF(add_d, double, "addsd")
LOCKSTEP_FPU_HOST_OP2_NF(sub_d, double, "subsd")
LOCKSTEP_FPU_HOST_OP2_NF(mul_d, double, "mulsd")
LOCKSTEP_FPU_HOST_OP2_NF(div_d, double, "divsd")
#undef LOCKSTEP_FPU_HOST_OP2
#undef LOCKSTEP_FPU_HOST_OP2_NF

// One instruction "OP %[a], %[r]" from an A operand to a T result (sqrt, narrowing conversion).
#define LOCKSTEP_FPU_HOST_OP1(NAME, T, A, INSN)                                                  \
  inline T NAME(A a, unsigned rm, u32& mx) {                                                     \
    T r;                                                                                         \
    if (rm == kRNE) {                                                                            \
      asm volatile("ldmxcsr %[ctl]\n\t" INSN " %[a], %[r]\n\tstmxcsr %[st]"                      \
                   : [r] "=x"(r), [st] "=m"(mx)                                                  \
                   : [a] "x"(a), [ctl] "m"(kMxcsrDefault));                                      \
    } else {                                                                                     \
      asm volatile("ldmxcsr %[ctl]\n\t" INSN " %[a], %[r]\n\tstmxcsr %[st]\n\tldmxcsr %[host]"   \
                   : [r] "=x"(r), [st] "=m"(mx)                                                  \
                   : [a] "x"(a), [ctl] "m"(kMxcsrForRm[rm]), [host] "m"(kMxcsrDefault));         \
    }                                                                                            \
    return r;                                                                                    \
  }

#define LOCKSTEP_FPU_HOST_OP1_NF(NAME, T, A, INSN)                                               \
  inline T NAME##_nf(A a, unsigned rm) {                                                         \
    T r;                                                                                         \
    if (rm == kRNE) {                                                                            \
      asm(INSN " %[a], %[r]" : [r] "=x"(r) : [a] "x"(a));                               \
    } else {                                                                                     \
      asm volatile("ldmxcsr %[ctl]\n\t" INSN " %[a], %[r]\n\tldmxcsr %[host]"                    \
                   : [r] "=x"(r)                                                                 \
                   : [a] "x"(a), [ctl] "m"(kMxcsrForRm[rm]), [host] "m"(kMxcsrDefault));         \
    }                                                                                            \
    return r;                                                                                    \
  }

LOCKSTEP_FPU_HOST_OP1(sqrt_s, float, float, "sqrtss")
LOCKSTEP_FPU_HOST_OP1(sqrt_d, double, double, "sqrtsd")
LOCKSTEP_FPU_HOST_OP1(cvt_d_to_s, float, double, "cvtsd2ss")
LOCKSTEP_FPU_HOST_OP1_NF(sqrt_s, float, float, "sqrtss")
LOCKSTEP_FPU_HOST_OP1_NF(sqrt_d, double, double, "sqrtsd")
LOCKSTEP_FPU_HOST_OP1_NF(cvt_d_to_s, float, double, "cvtsd2ss")
#undef LOCKSTEP_FPU_HOST_OP1
#undef LOCKSTEP_FPU_HOST_OP1_NF

// c = a * b + c, fused (VEX-encoded FMA3; only called when kHasFma).
#define LOCKSTEP_FPU_HOST_FMA(NAME, T, INSN)                                                     \
  inline T NAME(T a, T b, T c, unsigned rm, u32& mx) {                                           \
    if (rm == kRNE) {                                                                            \
      asm volatile("ldmxcsr %[ctl]\n\t" INSN " %[b], %[a], %[c]\n\tstmxcsr %[st]"                \
                   : [c] "+x"(c), [st] "=m"(mx)                                                  \
                   : [a] "x"(a), [b] "x"(b), [ctl] "m"(kMxcsrDefault));                          \
    } else {                                                                                     \
      asm volatile("ldmxcsr %[ctl]\n\t" INSN " %[b], %[a], %[c]\n\tstmxcsr %[st]\n\t"            \
                   "ldmxcsr %[host]"                                                             \
                   : [c] "+x"(c), [st] "=m"(mx)                                                  \
                   : [a] "x"(a), [b] "x"(b), [ctl] "m"(kMxcsrForRm[rm]), [host] "m"(kMxcsrDefault)); \
    }                                                                                            \
    return c;                                                                                    \
  }

#define LOCKSTEP_FPU_HOST_FMA_NF(NAME, T, INSN)                                                  \
  inline T NAME##_nf(T a, T b, T c, unsigned rm) {                                               \
    if (rm == kRNE) {                                                                            \
      asm(INSN " %[b], %[a], %[c]" : [c] "+x"(c) : [a] "x"(a), [b] "x"(b));              \
    } else {                                                                                     \
      asm volatile("ldmxcsr %[ctl]\n\t" INSN " %[b], %[a], %[c]\n\tldmxcsr %[host]"              \
                   : [c] "+x"(c)                                                                 \
                   : [a] "x"(a), [b] "x"(b), [ctl] "m"(kMxcsrForRm[rm]), [host] "m"(kMxcsrDefault)); \
    }                                                                                            \
    return c;                                                                                    \
  }

LOCKSTEP_FPU_HOST_FMA(fma_s, float, "vfmadd231ss")
LOCKSTEP_FPU_HOST_FMA(fma_d, double, "vfmadd231sd")
LOCKSTEP_FPU_HOST_FMA_NF(fma_s, float, "vfmadd231ss")
LOCKSTEP_FPU_HOST_FMA_NF(fma_d, double, "vfmadd231sd")
#undef LOCKSTEP_FPU_HOST_FMA
#undef LOCKSTEP_FPU_HOST_FMA_NF

}  // namespace lockstep::core::fpu::host
