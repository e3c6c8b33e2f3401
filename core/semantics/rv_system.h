#pragma once
#include "core/csr.h"
#include "core/insn.h"

// Zicsr, Zifencei and the privileged instructions.
namespace lockstep::core::sem {

inline Flow next_sync(Hart& h, const Insn& i) {
  h.pc += i.len;
  return Flow::Sync;
}

// One body for the six CSR instructions. A write ends the block: it may change interrupts,
// translation or the FP state that later instructions depend on.
enum class CsrOp { Write, Set, Clear };
template <CsrOp op, bool immediate>
inline Flow csr_access(Hart& h, const Insn& i) {
  const u16 number = static_cast<u16>(i.imm);
  const u64 operand = immediate ? i.rs1 : h.x[i.rs1];
  const bool writes = op == CsrOp::Write || i.rs1 != 0;
  const bool reads = op != CsrOp::Write || i.rd != 0;
  u64 old = 0;
  if (writes && ((number >> 10) & 3) == 3) return illegal(h, i);
  if (reads && !csr_read(h, number, old)) return illegal(h, i);
  if (!writes) {
    h.set_x(i.rd, old);
    return Flow::Next;
  }
  u64 value = operand;
  if constexpr (op == CsrOp::Set) value = old | operand;
  if constexpr (op == CsrOp::Clear) value = old & ~operand;
  if (!csr_write(h, number, value)) return illegal(h, i);
  h.set_x(i.rd, old);
  return next_sync(h, i);
}
inline Flow csrrw(Hart& h, const Insn& i) { return csr_access<CsrOp::Write, false>(h, i); }
inline Flow csrrs(Hart& h, const Insn& i) { return csr_access<CsrOp::Set, false>(h, i); }
inline Flow csrrc(Hart& h, const Insn& i) { return csr_access<CsrOp::Clear, false>(h, i); }
inline Flow csrrwi(Hart& h, const Insn& i) { return csr_access<CsrOp::Write, true>(h, i); }
inline Flow csrrsi(Hart& h, const Insn& i) { return csr_access<CsrOp::Set, true>(h, i); }
inline Flow csrrci(Hart& h, const Insn& i) { return csr_access<CsrOp::Clear, true>(h, i); }

inline Flow ecall(Hart& h, const Insn&) {
  static constexpr Exc kByPriv[] = {Exc::EcallU, Exc::EcallS, Exc::IllegalInsn, Exc::EcallM};
  return raise_counted(h, kByPriv[static_cast<unsigned>(h.priv)], 0);
}
// QEMU 7.2 reports ebreak with tval 0 (measured, docs/qemu-icount.md).
inline Flow ebreak(Hart& h, const Insn&) { return raise_counted(h, Exc::Breakpoint, 0); }

inline Flow mret(Hart& h, const Insn& i) {
  if (h.priv != Priv::M) return illegal(h, i);
  u64& st = h.csr.mstatus;
  const Priv target = static_cast<Priv>((st & csr::kMPP) >> csr::kMPPShift);
  st = (st & ~csr::kMIE) | ((st & csr::kMPIE) ? csr::kMIE : 0);
  st |= csr::kMPIE;
  st &= ~csr::kMPP;  // least-privileged mode: U
  if (target != Priv::M) st &= ~csr::kMPRV;
  h.pc = h.csr.mepc;
  set_priv(h, target);
  return Flow::Sync;
}

inline Flow sret(Hart& h, const Insn& i) {
  if (h.priv == Priv::U || (h.priv == Priv::S && (h.csr.mstatus & csr::kTSR))) return illegal(h, i);
  u64& st = h.csr.mstatus;
  const Priv target = (st & csr::kSPP) ? Priv::S : Priv::U;
  st = (st & ~csr::kSIE) | ((st & csr::kSPIE) ? csr::kSIE : 0);
  st |= csr::kSPIE;
  st &= ~csr::kSPP;
  st &= ~csr::kMPRV;
  h.pc = h.csr.sepc;
  set_priv(h, target);
  return Flow::Sync;
}

// WFI in U-mode (S present) is illegal, and in S-mode when mstatus.TW is set (as QEMU 7.2).
inline Flow wfi(Hart& h, const Insn& i) {
  if (h.priv == Priv::U || (h.priv == Priv::S && (h.csr.mstatus & csr::kTW))) return illegal(h, i);
  h.waiting_for_interrupt = true;
  return next_sync(h, i);
}

inline Flow sfence_vma(Hart& h, const Insn& i) {
  if (h.priv == Priv::U || (h.priv == Priv::S && (h.csr.mstatus & csr::kTVM))) return illegal(h, i);
  flush_translations(h);
  return next_sync(h, i);
}

// Every store and DMA already drops the decoded code it overwrites (CodeCache::invalidate_range),
// so instruction fetch is always coherent with memory, as on QEMU: fence.i only ends the block.
inline Flow fence_i(Hart& h, const Insn& i) { return next_sync(h, i); }

}  // namespace lockstep::core::sem
