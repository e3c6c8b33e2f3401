#include "core/interrupts.h"

#include "core/csr.h"

namespace lockstep::core {

void enter_trap(Hart& h, u64 cause, u64 tval) {
  const bool interrupt = (cause & kInterruptBit) != 0;
  const u64 code = cause & ~kInterruptBit;
  const u64 deleg = interrupt ? h.csr.mideleg : h.csr.medeleg;
  const bool to_s = h.priv != Priv::M && code < 64 && ((deleg >> code) & 1);
  u64& st = h.csr.mstatus;
  h.waiting_for_interrupt = false;
  if (to_s) {
    h.csr.scause = cause;
    h.csr.sepc = h.pc;
    h.csr.stval = tval;
    st = (st & ~csr::kSPP) | (h.priv == Priv::S ? csr::kSPP : 0);
    st = (st & ~csr::kSPIE) | ((st & csr::kSIE) ? csr::kSPIE : 0);
    st &= ~csr::kSIE;
    const u64 base = h.csr.stvec & ~u64{3};
    h.pc = (interrupt && (h.csr.stvec & 3) == 1) ? base + 4 * code : base;
    set_priv(h, Priv::S);
  } else {
    h.csr.mcause = cause;
    h.csr.mepc = h.pc;
    h.csr.mtval = tval;
    st = (st & ~csr::kMPP) | (static_cast<u64>(h.priv) << csr::kMPPShift);
    st = (st & ~csr::kMPIE) | ((st & csr::kMIE) ? csr::kMPIE : 0);
    st &= ~csr::kMIE;
    const u64 base = h.csr.mtvec & ~u64{3};
    h.pc = (interrupt && (h.csr.mtvec & 3) == 1) ? base + 4 * code : base;
    set_priv(h, Priv::M);
  }
}

u64 pending_interrupt(const Hart& h) {
  const u64 pending = h.csr.mip & h.csr.mie;
  if (pending == 0) return 0;
  const u64 st = h.csr.mstatus;
  // M-level: interrupts not delegated; taken in M if MIE or when running below M.
  const bool m_enabled = h.priv != Priv::M || (st & csr::kMIE);
  u64 candidates = m_enabled ? (pending & ~h.csr.mideleg) : 0;
  if (candidates == 0) {
    const bool s_enabled = h.priv == Priv::U || (h.priv == Priv::S && (st & csr::kSIE));
    candidates = s_enabled ? (pending & h.csr.mideleg) : 0;
  }
  if (candidates == 0) return 0;
  // Priority order of the privileged spec: MEI, MSI, MTI, SEI, SSI, STI.
  static constexpr Irq kOrder[] = {Irq::MExt, Irq::MSoft, Irq::MTimer, Irq::SExt, Irq::SSoft, Irq::STimer};
  for (Irq irq : kOrder) {
    const unsigned bit = static_cast<unsigned>(irq);
    if (candidates & (u64{1} << bit)) return kInterruptBit | bit;
  }
  return 0;
}

}  // namespace lockstep::core
