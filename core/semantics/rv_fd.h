#pragma once
#include "core/fpu/ops.h"
#include "core/insn.h"
#include "core/memory.h"

// RV64F and RV64D: one plain function per mnemonic, bit-exact with QEMU 7.2.
//
// Legality first: with mstatus.FS = Off every F/D instruction is illegal; an instruction with a
// rounding-mode field is illegal when rm is 5 or 6, or 7 (dynamic) with frm > 4 (QEMU checks the
// rounding mode of every instruction that has the field, exact conversions included). QEMU finds
// FS = Off while translating, so that trap counts as an executed instruction (illegal_encoding);
// it finds a reserved rounding mode in a run-time helper, so that one does not (illegal); see
// Trap::counted and docs/qemu-icount.md.
// FS becomes Dirty exactly where QEMU 7.2 marks it: on every write of an f register (loads and
// fmv included). Instructions that only write an x register or memory (fcvt to integer,
// compares, fclass, fmv.x.*, fsw/fsd) leave FS alone even when they raise flags.
namespace lockstep::core::sem {

namespace fd {
using fpu::F32;
using fpu::F64;

inline bool fs_off(const Hart& h) { return (h.csr.mstatus & csr::kFS) == 0; }
inline void fs_dirty(Hart& h) { h.csr.mstatus |= csr::kFS; }
// Resolves the instruction's rounding mode; false for a reserved one.
inline bool rounding(const Hart& h, const Insn& i, unsigned& rm) {
  rm = i.rm == 7 ? h.csr.frm : i.rm;
  return rm <= fpu::kRMM;
}
inline u32 rs_s(const Hart& h, unsigned r) { return fpu::unbox_s(h.f[r]); }
inline void wr_s(Hart& h, unsigned r, u32 v) { h.f[r] = fpu::box_s(v); fs_dirty(h); }
inline void wr_d(Hart& h, unsigned r, u64 v) { h.f[r] = v; fs_dirty(h); }

// f[rd] = op(f[rs1], f[rs2]) with a rounding mode.
template <u32 (*Op)(u32, u32, unsigned, u32&)>
inline Flow rr_s(Hart& h, const Insn& i) {
  unsigned rm;
  if (fs_off(h)) return illegal_encoding(h, i);
  if (!rounding(h, i, rm)) return illegal(h, i);
  wr_s(h, i.rd, Op(rs_s(h, i.rs1), rs_s(h, i.rs2), rm, h.csr.fflags));
  return Flow::Next;
}
template <u64 (*Op)(u64, u64, unsigned, u32&)>
inline Flow rr_d(Hart& h, const Insn& i) {
  unsigned rm;
  if (fs_off(h)) return illegal_encoding(h, i);
  if (!rounding(h, i, rm)) return illegal(h, i);
  wr_d(h, i.rd, Op(h.f[i.rs1], h.f[i.rs2], rm, h.csr.fflags));
  return Flow::Next;
}

// Fused multiply-add family: (-1)^neg_p * rs1 * rs2 + (-1)^neg_c * rs3.
template <bool NegP, bool NegC>
inline Flow fma_s(Hart& h, const Insn& i) {
  unsigned rm;
  if (fs_off(h)) return illegal_encoding(h, i);
  if (!rounding(h, i, rm)) return illegal(h, i);
  const u32 a = rs_s(h, i.rs1) ^ (NegP ? F32::kSign : 0), c = rs_s(h, i.rs3) ^ (NegC ? F32::kSign : 0);
  wr_s(h, i.rd, fpu::fma<F32>(a, rs_s(h, i.rs2), c, rm, h.csr.fflags));
  return Flow::Next;
}
template <bool NegP, bool NegC>
inline Flow fma_d(Hart& h, const Insn& i) {
  unsigned rm;
  if (fs_off(h)) return illegal_encoding(h, i);
  if (!rounding(h, i, rm)) return illegal(h, i);
  const u64 a = h.f[i.rs1] ^ (NegP ? F64::kSign : 0), c = h.f[i.rs3] ^ (NegC ? F64::kSign : 0);
  wr_d(h, i.rd, fpu::fma<F64>(a, h.f[i.rs2], c, rm, h.csr.fflags));
  return Flow::Next;
}

// x[rd] = op(f[rs1]) with a rounding mode (conversion to integer).
template <class F, u64 (*Op)(typename F::U, unsigned, u32&)>
inline Flow f_to_x(Hart& h, const Insn& i) {
  unsigned rm;
  if (fs_off(h)) return illegal_encoding(h, i);
  if (!rounding(h, i, rm)) return illegal(h, i);
  typename F::U a;
  if constexpr (std::is_same_v<F, F32>) {
    a = rs_s(h, i.rs1);
  } else {
    a = h.f[i.rs1];
  }
  h.set_x(i.rd, Op(a, rm, h.csr.fflags));
  return Flow::Next;
}
// f[rd] = op(x[rs1]) with a rounding mode (conversion from integer).
template <class F, typename F::U (*Op)(u64, unsigned, u32&)>
inline Flow x_to_f(Hart& h, const Insn& i) {
  unsigned rm;
  if (fs_off(h)) return illegal_encoding(h, i);
  if (!rounding(h, i, rm)) return illegal(h, i);
  const auto r = Op(h.x[i.rs1], rm, h.csr.fflags);
  if constexpr (std::is_same_v<F, F32>) {
    wr_s(h, i.rd, r);
  } else {
    wr_d(h, i.rd, r);
  }
  return Flow::Next;
}
// x[rd] = compare(f[rs1], f[rs2]).
template <class F, u64 (*Op)(typename F::U, typename F::U, u32&)>
inline Flow cmp(Hart& h, const Insn& i) {
  if (fs_off(h)) return illegal_encoding(h, i);
  if constexpr (std::is_same_v<F, F32>) {
    h.set_x(i.rd, Op(rs_s(h, i.rs1), rs_s(h, i.rs2), h.csr.fflags));
  } else {
    h.set_x(i.rd, Op(h.f[i.rs1], h.f[i.rs2], h.csr.fflags));
  }
  return Flow::Next;
}
// f[rd] = min/max(f[rs1], f[rs2]) (no rounding mode).
template <class F, bool Max>
inline Flow minmax(Hart& h, const Insn& i) {
  if (fs_off(h)) return illegal_encoding(h, i);
  if constexpr (std::is_same_v<F, F32>) {
    wr_s(h, i.rd, fpu::minmax<F32, Max>(rs_s(h, i.rs1), rs_s(h, i.rs2), h.csr.fflags));
  } else {
    wr_d(h, i.rd, fpu::minmax<F64, Max>(h.f[i.rs1], h.f[i.rs2], h.csr.fflags));
  }
  return Flow::Next;
}
// Sign injection on raw bits: 0 = fsgnj, 1 = fsgnjn, 2 = fsgnjx.
template <int Kind>
inline u64 sign_inject(u64 a, u64 b, u64 sign) {
  const u64 s = Kind == 0 ? (b & sign) : Kind == 1 ? (~b & sign) : ((a ^ b) & sign);
  return (a & ~sign) | s;
}
template <int Kind>
inline Flow sgnj_s(Hart& h, const Insn& i) {
  if (fs_off(h)) return illegal_encoding(h, i);
  wr_s(h, i.rd, static_cast<u32>(sign_inject<Kind>(rs_s(h, i.rs1), rs_s(h, i.rs2), F32::kSign)));
  return Flow::Next;
}
template <int Kind>
inline Flow sgnj_d(Hart& h, const Insn& i) {
  if (fs_off(h)) return illegal_encoding(h, i);
  wr_d(h, i.rd, sign_inject<Kind>(h.f[i.rs1], h.f[i.rs2], F64::kSign));
  return Flow::Next;
}
}  // namespace fd

// ---- loads and stores ----
inline Flow flw(Hart& h, const Insn& i) {
  if (fd::fs_off(h)) return illegal_encoding(h, i);
  u32 v;
  if (!load<u32>(h, h.x[i.rs1] + static_cast<u64>(i.imm), v)) return Flow::Trap;
  fd::wr_s(h, i.rd, v);
  return after_access(h, i);
}
inline Flow fld(Hart& h, const Insn& i) {
  if (fd::fs_off(h)) return illegal_encoding(h, i);
  u64 v;
  if (!load<u64>(h, h.x[i.rs1] + static_cast<u64>(i.imm), v)) return Flow::Trap;
  fd::wr_d(h, i.rd, v);
  return after_access(h, i);
}
// fsw stores the low 32 bits of the register as they are (no NaN-box check).
inline Flow fsw(Hart& h, const Insn& i) {
  if (fd::fs_off(h)) return illegal_encoding(h, i);
  if (!store<u32>(h, h.x[i.rs1] + static_cast<u64>(i.imm), static_cast<u32>(h.f[i.rs2]))) return Flow::Trap;
  return after_access(h, i);
}
inline Flow fsd(Hart& h, const Insn& i) {
  if (fd::fs_off(h)) return illegal_encoding(h, i);
  if (!store<u64>(h, h.x[i.rs1] + static_cast<u64>(i.imm), h.f[i.rs2])) return Flow::Trap;
  return after_access(h, i);
}

// ---- single precision ----
inline Flow fadd_s(Hart& h, const Insn& i) { return fd::rr_s<fpu::add<fpu::F32>>(h, i); }
inline Flow fsub_s(Hart& h, const Insn& i) { return fd::rr_s<fpu::sub<fpu::F32>>(h, i); }
inline Flow fmul_s(Hart& h, const Insn& i) { return fd::rr_s<fpu::mul<fpu::F32>>(h, i); }
inline Flow fdiv_s(Hart& h, const Insn& i) { return fd::rr_s<fpu::div<fpu::F32>>(h, i); }
inline Flow fsqrt_s(Hart& h, const Insn& i) {
  unsigned rm;
  if (fd::fs_off(h)) return illegal_encoding(h, i);
  if (!fd::rounding(h, i, rm)) return illegal(h, i);
  fd::wr_s(h, i.rd, fpu::sqrt<fpu::F32>(fd::rs_s(h, i.rs1), rm, h.csr.fflags));
  return Flow::Next;
}
inline Flow fmadd_s(Hart& h, const Insn& i) { return fd::fma_s<false, false>(h, i); }
inline Flow fmsub_s(Hart& h, const Insn& i) { return fd::fma_s<false, true>(h, i); }
inline Flow fnmsub_s(Hart& h, const Insn& i) { return fd::fma_s<true, false>(h, i); }
inline Flow fnmadd_s(Hart& h, const Insn& i) { return fd::fma_s<true, true>(h, i); }
inline Flow fsgnj_s(Hart& h, const Insn& i) { return fd::sgnj_s<0>(h, i); }
inline Flow fsgnjn_s(Hart& h, const Insn& i) { return fd::sgnj_s<1>(h, i); }
inline Flow fsgnjx_s(Hart& h, const Insn& i) { return fd::sgnj_s<2>(h, i); }
inline Flow fmin_s(Hart& h, const Insn& i) { return fd::minmax<fpu::F32, false>(h, i); }
inline Flow fmax_s(Hart& h, const Insn& i) { return fd::minmax<fpu::F32, true>(h, i); }
inline Flow feq_s(Hart& h, const Insn& i) { return fd::cmp<fpu::F32, fpu::feq<fpu::F32>>(h, i); }
inline Flow flt_s(Hart& h, const Insn& i) { return fd::cmp<fpu::F32, fpu::flt<fpu::F32>>(h, i); }
inline Flow fle_s(Hart& h, const Insn& i) { return fd::cmp<fpu::F32, fpu::fle<fpu::F32>>(h, i); }
inline Flow fcvt_w_s(Hart& h, const Insn& i) { return fd::f_to_x<fpu::F32, fpu::to_i32<fpu::F32>>(h, i); }
inline Flow fcvt_wu_s(Hart& h, const Insn& i) { return fd::f_to_x<fpu::F32, fpu::to_u32<fpu::F32>>(h, i); }
inline Flow fcvt_l_s(Hart& h, const Insn& i) { return fd::f_to_x<fpu::F32, fpu::to_i64<fpu::F32>>(h, i); }
inline Flow fcvt_lu_s(Hart& h, const Insn& i) { return fd::f_to_x<fpu::F32, fpu::to_u64<fpu::F32>>(h, i); }
inline Flow fcvt_s_w(Hart& h, const Insn& i) { return fd::x_to_f<fpu::F32, fpu::from_i32<fpu::F32>>(h, i); }
inline Flow fcvt_s_wu(Hart& h, const Insn& i) { return fd::x_to_f<fpu::F32, fpu::from_u32<fpu::F32>>(h, i); }
inline Flow fcvt_s_l(Hart& h, const Insn& i) { return fd::x_to_f<fpu::F32, fpu::from_i64<fpu::F32>>(h, i); }
inline Flow fcvt_s_lu(Hart& h, const Insn& i) { return fd::x_to_f<fpu::F32, fpu::from_u64<fpu::F32>>(h, i); }
inline Flow fclass_s(Hart& h, const Insn& i) {
  if (fd::fs_off(h)) return illegal_encoding(h, i);
  h.set_x(i.rd, fpu::fclass<fpu::F32>(fd::rs_s(h, i.rs1)));
  return Flow::Next;
}
// fmv.x.w: the low 32 bits, sign-extended, whatever the upper half holds.
inline Flow fmv_x_w(Hart& h, const Insn& i) {
  if (fd::fs_off(h)) return illegal_encoding(h, i);
  h.set_x(i.rd, fpu::sext32(h.f[i.rs1]));
  return Flow::Next;
}
inline Flow fmv_w_x(Hart& h, const Insn& i) {
  if (fd::fs_off(h)) return illegal_encoding(h, i);
  fd::wr_s(h, i.rd, static_cast<u32>(h.x[i.rs1]));
  return Flow::Next;
}

// ---- double precision ----
inline Flow fadd_d(Hart& h, const Insn& i) { return fd::rr_d<fpu::add<fpu::F64>>(h, i); }
inline Flow fsub_d(Hart& h, const Insn& i) { return fd::rr_d<fpu::sub<fpu::F64>>(h, i); }
inline Flow fmul_d(Hart& h, const Insn& i) { return fd::rr_d<fpu::mul<fpu::F64>>(h, i); }
inline Flow fdiv_d(Hart& h, const Insn& i) { return fd::rr_d<fpu::div<fpu::F64>>(h, i); }
inline Flow fsqrt_d(Hart& h, const Insn& i) {
  unsigned rm;
  if (fd::fs_off(h)) return illegal_encoding(h, i);
  if (!fd::rounding(h, i, rm)) return illegal(h, i);
  fd::wr_d(h, i.rd, fpu::sqrt<fpu::F64>(h.f[i.rs1], rm, h.csr.fflags));
  return Flow::Next;
}
inline Flow fmadd_d(Hart& h, const Insn& i) { return fd::fma_d<false, false>(h, i); }
inline Flow fmsub_d(Hart& h, const Insn& i) { return fd::fma_d<false, true>(h, i); }
inline Flow fnmsub_d(Hart& h, const Insn& i) { return fd::fma_d<true, false>(h, i); }
inline Flow fnmadd_d(Hart& h, const Insn& i) { return fd::fma_d<true, true>(h, i); }
inline Flow fsgnj_d(Hart& h, const Insn& i) { return fd::sgnj_d<0>(h, i); }
inline Flow fsgnjn_d(Hart& h, const Insn& i) { return fd::sgnj_d<1>(h, i); }
inline Flow fsgnjx_d(Hart& h, const Insn& i) { return fd::sgnj_d<2>(h, i); }
inline Flow fmin_d(Hart& h, const Insn& i) { return fd::minmax<fpu::F64, false>(h, i); }
inline Flow fmax_d(Hart& h, const Insn& i) { return fd::minmax<fpu::F64, true>(h, i); }
inline Flow feq_d(Hart& h, const Insn& i) { return fd::cmp<fpu::F64, fpu::feq<fpu::F64>>(h, i); }
inline Flow flt_d(Hart& h, const Insn& i) { return fd::cmp<fpu::F64, fpu::flt<fpu::F64>>(h, i); }
inline Flow fle_d(Hart& h, const Insn& i) { return fd::cmp<fpu::F64, fpu::fle<fpu::F64>>(h, i); }
inline Flow fcvt_w_d(Hart& h, const Insn& i) { return fd::f_to_x<fpu::F64, fpu::to_i32<fpu::F64>>(h, i); }
inline Flow fcvt_wu_d(Hart& h, const Insn& i) { return fd::f_to_x<fpu::F64, fpu::to_u32<fpu::F64>>(h, i); }
inline Flow fcvt_l_d(Hart& h, const Insn& i) { return fd::f_to_x<fpu::F64, fpu::to_i64<fpu::F64>>(h, i); }
inline Flow fcvt_lu_d(Hart& h, const Insn& i) { return fd::f_to_x<fpu::F64, fpu::to_u64<fpu::F64>>(h, i); }
inline Flow fcvt_d_w(Hart& h, const Insn& i) { return fd::x_to_f<fpu::F64, fpu::from_i32<fpu::F64>>(h, i); }
inline Flow fcvt_d_wu(Hart& h, const Insn& i) { return fd::x_to_f<fpu::F64, fpu::from_u32<fpu::F64>>(h, i); }
inline Flow fcvt_d_l(Hart& h, const Insn& i) { return fd::x_to_f<fpu::F64, fpu::from_i64<fpu::F64>>(h, i); }
inline Flow fcvt_d_lu(Hart& h, const Insn& i) { return fd::x_to_f<fpu::F64, fpu::from_u64<fpu::F64>>(h, i); }
inline Flow fcvt_s_d(Hart& h, const Insn& i) {
  unsigned rm;
  if (fd::fs_off(h)) return illegal_encoding(h, i);
  if (!fd::rounding(h, i, rm)) return illegal(h, i);
  fd::wr_s(h, i.rd, fpu::narrow(h.f[i.rs1], rm, h.csr.fflags));
  return Flow::Next;
}
// Exact, but QEMU still checks the rounding mode.
inline Flow fcvt_d_s(Hart& h, const Insn& i) {
  unsigned rm;
  if (fd::fs_off(h)) return illegal_encoding(h, i);
  if (!fd::rounding(h, i, rm)) return illegal(h, i);
  fd::wr_d(h, i.rd, fpu::widen(fd::rs_s(h, i.rs1), h.csr.fflags));
  return Flow::Next;
}
inline Flow fclass_d(Hart& h, const Insn& i) {
  if (fd::fs_off(h)) return illegal_encoding(h, i);
  h.set_x(i.rd, fpu::fclass<fpu::F64>(h.f[i.rs1]));
  return Flow::Next;
}
inline Flow fmv_x_d(Hart& h, const Insn& i) {
  if (fd::fs_off(h)) return illegal_encoding(h, i);
  h.set_x(i.rd, h.f[i.rs1]);
  return Flow::Next;
}
inline Flow fmv_d_x(Hart& h, const Insn& i) {
  if (fd::fs_off(h)) return illegal_encoding(h, i);
  fd::wr_d(h, i.rd, h.x[i.rs1]);
  return Flow::Next;
}

}  // namespace lockstep::core::sem
