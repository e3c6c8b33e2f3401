#include "core/csr.h"

#include "core/triggers.h"

namespace lockstep::core {
namespace {

// medeleg bits QEMU 7.2 lets software set (its DELEGABLE_EXCPS, H-extension bits included).
constexpr u64 kMedelegWritable = 0xF0BFFF;
constexpr u64 kMidelegWritable = csr::kSInterrupts;
// SEIP is writable by M-mode software as on QEMU 7.2 (the PLIC drives the same bit).
constexpr u64 kMipWritable = csr::kSSIP | csr::kSTIP | csr::kSEIP;
constexpr u64 kMieWritable = csr::kAllInterrupts;
constexpr u64 kXlBits = (u64{2} << 32) | (u64{2} << 34);  // UXL = SXL = 64-bit

bool fp_enabled(const Hart& h) { return (h.csr.mstatus & csr::kFS) != 0; }
void mark_fp_dirty(Hart& h) { h.csr.mstatus |= csr::kFS; }

// Counter access from S/U is gated by mcounteren (and scounteren for U).
bool counter_enabled(const Hart& h, unsigned index) {
  if (h.priv == Priv::M) return true;
  if (!((h.csr.mcounteren >> index) & 1)) return false;
  if (h.priv == Priv::U && !((h.csr.scounteren >> index) & 1)) return false;
  return true;
}

u64 read_time(const Hart& h) { return h.read_time ? h.read_time(h.time_ctx) : 0; }
u64 clock_now(const Hart& h) { return h.clock ? h.clock->now_ns_inclusive() : h.icount + 1; }

int pmp_index(u16 number) { return number - csr::pmpaddr0; }

// QEMU 7.2 has 16 PMP entries and no CSR at all for the others: pmpcfg4..15 and
// pmpaddr16..63 raise illegal instruction on any access, like odd pmpcfg on RV64
// (measured: tests/guests/priv/csr_parity.c). OpenSBI probes pmpaddr16 at boot.
constexpr unsigned kPmpEntries = 16;
static_assert(std::tuple_size_v<decltype(PmpState::addr)> == kPmpEntries);
bool pmpcfg_exists(u16 n) {
  const unsigned reg = n - csr::pmpcfg0;  // wraps for n below pmpcfg0
  return reg < kPmpEntries / 4 && (reg & 1) == 0;
}
bool pmpaddr_exists(u16 n) { return static_cast<unsigned>(n - csr::pmpaddr0) < kPmpEntries; }

// QEMU 7.2 reports its own version, (major << 16) | (minor << 8) | micro, in marchid and
// mimpid (RISCV_CPU_MARCHID/MIMPID in target/riscv/cpu.c); mvendorid is 0. Measured on
// Debian 12's 7.2.22: marchid = mimpid = 0x70216. A constant: the guest must not see the host.
constexpr u64 kQemuVersionId = (u64{7} << 16) | (u64{2} << 8) | 22;
static_assert(kQemuVersionId == 0x70216);

u64 pmpcfg_read(const Hart& h, unsigned reg) {
  u64 v = 0;
  for (unsigned k = 0; k < 8; ++k) v |= static_cast<u64>(h.csr.pmp.cfg[reg * 4 + k]) << (8 * k);
  return v;
}

bool pmp_locked(const Hart& h, unsigned i) { return (h.csr.pmp.cfg[i] & 0x80) != 0; }

void pmpcfg_write(Hart& h, unsigned reg, u64 v) {
  for (unsigned k = 0; k < 8; ++k) {
    const unsigned i = reg * 4 + k;
    if (pmp_locked(h, i)) continue;
    u8 cfg = static_cast<u8>(v >> (8 * k)) & 0x9F;  // L, A, X, W, R
    if ((cfg & 3) == 2) cfg &= ~u8{3};              // W without R is reserved: QEMU drops both
    h.csr.pmp.cfg[i] = cfg;
  }
  flush_translations(h);
}

void pmpaddr_write(Hart& h, unsigned i, u64 v) {
  if (pmp_locked(h, i)) return;
  // The next entry in TOR mode and locked also locks this address.
  if (i + 1 < kPmpEntries && pmp_locked(h, i + 1) && ((h.csr.pmp.cfg[i + 1] >> 3) & 3) == 1) return;
  h.csr.pmp.addr[i] = v & ((u64{1} << 54) - 1);
  flush_translations(h);
}

}  // namespace

void set_priv(Hart& h, Priv p) {
  h.priv = p;
  h.reservation.valid = false;
  update_translation_keys(h);
}

u64 read_mstatus(const Hart& h) {
  u64 v = h.csr.mstatus | kXlBits;
  if ((v & csr::kFS) == csr::kFS) v |= csr::kSD;
  return v;
}

constexpr u64 kInhibitCY = 1, kInhibitIR = 4;

u64 read_minstret(const Hart& h) {
  return (h.csr.mcountinhibit & kInhibitIR) ? h.csr.minstret_frozen : clock_now(h) - h.csr.minstret_offset;
}
u64 read_mcycle(const Hart& h) {
  return (h.csr.mcountinhibit & kInhibitCY) ? h.csr.mcycle_frozen : clock_now(h) - h.csr.mcycle_offset;
}

namespace {
// Freezes or resumes the counters whose inhibit bit changes; a resumed counter goes on from
// the value it held.
void write_mcountinhibit(Hart& h, u64 v) {
  const u64 old = h.csr.mcountinhibit;
  const u64 now = clock_now(h);
  auto update = [&](u64 bit, u64& frozen, u64& offset, u64 current) {
    if (!(old & bit) && (v & bit)) frozen = current;
    if ((old & bit) && !(v & bit)) offset = now - frozen;
  };
  update(kInhibitIR, h.csr.minstret_frozen, h.csr.minstret_offset, read_minstret(h));
  update(kInhibitCY, h.csr.mcycle_frozen, h.csr.mcycle_offset, read_mcycle(h));
  h.csr.mcountinhibit = v;
}

constexpr unsigned kHpmCounters = 16;  // mhpmcounter3..18
}  // namespace

bool csr_read(Hart& h, u16 n, u64& v) {
  if (((n >> 8) & 3) > static_cast<unsigned>(h.priv)) return false;
  switch (n) {
    case csr::fflags: if (!fp_enabled(h)) return false; v = h.csr.fflags; return true;
    case csr::frm: if (!fp_enabled(h)) return false; v = h.csr.frm; return true;
    case csr::fcsr: if (!fp_enabled(h)) return false; v = (h.csr.frm << 5) | h.csr.fflags; return true;
    case csr::cycle: if (!counter_enabled(h, 0)) return false; v = read_mcycle(h); return true;
    case csr::time: if (!counter_enabled(h, 1)) return false; v = read_time(h); return true;
    case csr::instret: if (!counter_enabled(h, 2)) return false; v = read_minstret(h); return true;
    case csr::sstatus: v = read_mstatus(h) & csr::kSstatusMask; return true;
    case csr::sie: v = h.csr.mie & h.csr.mideleg; return true;
    case csr::stvec: v = h.csr.stvec; return true;
    case csr::scounteren: v = h.csr.scounteren; return true;
    case csr::senvcfg: v = h.csr.senvcfg; return true;
    case csr::sscratch: v = h.csr.sscratch; return true;
    case csr::sepc: v = h.csr.sepc; return true;
    case csr::scause: v = h.csr.scause; return true;
    case csr::stval: v = h.csr.stval; return true;
    case csr::sip: v = h.csr.mip & h.csr.mideleg; return true;
    case csr::satp:
      if (h.priv == Priv::S && (h.csr.mstatus & csr::kTVM)) return false;
      v = h.csr.satp;
      return true;
    case csr::mvendorid: case csr::mconfigptr: v = 0; return true;
    case csr::marchid: case csr::mimpid: v = kQemuVersionId; return true;
    case csr::mhartid: v = h.csr.mhartid; return true;
    case csr::mstatus: v = read_mstatus(h); return true;
    case csr::misa: v = csr::kMisa; return true;
    case csr::medeleg: v = h.csr.medeleg; return true;
    case csr::mideleg: v = h.csr.mideleg; return true;
    case csr::mie: v = h.csr.mie; return true;
    case csr::mtvec: v = h.csr.mtvec; return true;
    case csr::mcounteren: v = h.csr.mcounteren; return true;
    case csr::menvcfg: v = h.csr.menvcfg; return true;
    case csr::mcountinhibit: v = h.csr.mcountinhibit; return true;
    case csr::mscratch: v = h.csr.mscratch; return true;
    case csr::mepc: v = h.csr.mepc; return true;
    case csr::mcause: v = h.csr.mcause; return true;
    case csr::mtval: v = h.csr.mtval; return true;
    case csr::mip: v = h.csr.mip; return true;
    case csr::mcycle: v = read_mcycle(h); return true;
    case csr::minstret: v = read_minstret(h); return true;
    case csr::mseccfg: v = 0; return true;
    // Sdtrig exists only where the machine version gives the hart QEMU's debug property.
    case csr::tselect: case csr::tdata1: case csr::tdata2: case csr::tdata3: case csr::tinfo:
      if (!h.sdtrig) return false;
      v = trigger_csr_read(h, n);
      return true;
    default: break;
  }
  if (pmpcfg_exists(n)) {
    v = pmpcfg_read(h, n - csr::pmpcfg0);
    return true;
  }
  if (pmpaddr_exists(n)) {
    v = h.csr.pmp.addr[pmp_index(n)];
    // NAPOT reads show the low bits set; in OFF/TOR/NA4 as written (G = 0).
    return true;
  }
#ifdef LOCKSTEP_PLANT_PMPADDR16_READS_ZERO
  // Planted bug, defined only by a test build (tests/planted): lockstep's old pmpaddr16, read as 0
  // where QEMU 7.2 traps. OpenSBI's probe then counts one instruction more than QEMU's.
  if (n == csr::pmpaddr0 + 16) {
    v = 0;
    return true;
  }
#endif
  if (n >= csr::hpmcounter3 && n <= csr::hpmcounter31) {
    const unsigned k = n - csr::hpmcounter3;
    if (k >= kHpmCounters || !counter_enabled(h, n - csr::cycle)) return false;
    v = h.csr.mhpmcounter[k];
    return true;
  }
  if (n >= csr::mhpmcounter3 && n <= csr::mhpmcounter31) {
    const unsigned k = n - csr::mhpmcounter3;
    if (k >= kHpmCounters) return false;
    v = h.csr.mhpmcounter[k];
    return true;
  }
  if (n >= csr::mhpmevent3 && n <= csr::mhpmevent31) {
    const unsigned k = n - csr::mhpmevent3;
    if (k >= kHpmCounters) return false;
    v = h.csr.mhpmevent[k];
    return true;
  }
  return false;
}

bool csr_write(Hart& h, u16 n, u64 v) {
  if (((n >> 10) & 3) == 3) return false;  // read-only
  if (((n >> 8) & 3) > static_cast<unsigned>(h.priv)) return false;
  switch (n) {
    case csr::fflags: if (!fp_enabled(h)) return false; h.csr.fflags = v & csr::kFflagsMask; mark_fp_dirty(h); return true;
    case csr::frm: if (!fp_enabled(h)) return false; h.csr.frm = v & 7; mark_fp_dirty(h); return true;
    case csr::fcsr:
      if (!fp_enabled(h)) return false;
      h.csr.fflags = v & csr::kFflagsMask;
      h.csr.frm = (v >> 5) & 7;
      mark_fp_dirty(h);
      return true;
    case csr::sstatus:
      h.csr.mstatus = (h.csr.mstatus & ~csr::kSstatusWritable) | (v & csr::kSstatusWritable);
      update_translation_keys(h);
      return true;
    case csr::sie: h.csr.mie = (h.csr.mie & ~h.csr.mideleg) | (v & h.csr.mideleg); return true;
    case csr::stvec: if ((v & 3) < 2) h.csr.stvec = v; return true;  // reserved modes: write ignored (QEMU)
    case csr::scounteren: h.csr.scounteren = v & 0xFFFFFFFF; return true;
    case csr::senvcfg: h.csr.senvcfg = v & 0x1; return true;
    case csr::sscratch: h.csr.sscratch = v; return true;
    case csr::sepc: h.csr.sepc = v & ~u64{1}; return true;
    case csr::scause: h.csr.scause = v; return true;
    case csr::stval: h.csr.stval = v; return true;
    case csr::sip: {
      const u64 mask = csr::kSSIP & h.csr.mideleg;
      h.csr.mip = (h.csr.mip & ~mask) | (v & mask);
      return true;
    }
    case csr::satp: {
      if (h.priv == Priv::S && (h.csr.mstatus & csr::kTVM)) return false;
      const u64 mode = v >> csr::kSatpModeShift;
      if (mode != csr::kSatpModeBare && mode != csr::kSatpModeSv39 && mode != csr::kSatpModeSv48) return true;
      h.csr.satp = v & ((u64{0xF} << 60) | csr::kSatpAsidMask | csr::kSatpPpnMask);
      flush_translations(h);
      return true;
    }
    case csr::mstatus: {
      u64 st = (h.csr.mstatus & ~csr::kMstatusWritable) | (v & csr::kMstatusWritable);
      if (((st & csr::kMPP) >> csr::kMPPShift) == 2) st = (st & ~csr::kMPP) | (h.csr.mstatus & csr::kMPP);
      h.csr.mstatus = st;
      update_translation_keys(h);
      return true;
    }
    case csr::misa: return true;  // WARL, fixed
    case csr::medeleg: h.csr.medeleg = v & kMedelegWritable; return true;
    case csr::mideleg: h.csr.mideleg = v & kMidelegWritable; return true;
    case csr::mie: h.csr.mie = v & kMieWritable; return true;
    case csr::mtvec: if ((v & 3) < 2) h.csr.mtvec = v; return true;
    case csr::mcounteren: h.csr.mcounteren = v & 0xFFFFFFFF; return true;
    case csr::menvcfg: h.csr.menvcfg = v & 0x1; return true;
    case csr::mcountinhibit: write_mcountinhibit(h, v & ((u64{1} << (3 + kHpmCounters)) - 1) & ~u64{2}); return true;
    case csr::mscratch: h.csr.mscratch = v; return true;
    case csr::mepc: h.csr.mepc = v & ~u64{1}; return true;
    case csr::mcause: h.csr.mcause = v; return true;
    case csr::mtval: h.csr.mtval = v; return true;
    case csr::mip: h.csr.mip = (h.csr.mip & ~kMipWritable) | (v & kMipWritable); return true;
    // A write of V at clock w reads back as V + (k - w) at clock k (measured on QEMU).
    case csr::mcycle: h.csr.mcycle_offset = clock_now(h) - v; return true;
    case csr::minstret: h.csr.minstret_offset = clock_now(h) - v; return true;
    case csr::mseccfg: return true;
    case csr::tselect: case csr::tdata1: case csr::tdata2: case csr::tdata3: case csr::tinfo:
      if (!h.sdtrig) return false;
      trigger_csr_write(h, n, v);
      return true;
    default: break;
  }
  if (pmpcfg_exists(n)) {
    pmpcfg_write(h, n - csr::pmpcfg0, v);
    return true;
  }
  if (pmpaddr_exists(n)) {
    pmpaddr_write(h, static_cast<unsigned>(pmp_index(n)), v);
    return true;
  }
  if (n >= csr::mhpmcounter3 && n <= csr::mhpmcounter31) {
    const unsigned k = n - csr::mhpmcounter3;
    if (k >= kHpmCounters) return false;
    h.csr.mhpmcounter[k] = v;
    return true;
  }
  if (n >= csr::mhpmevent3 && n <= csr::mhpmevent31) {
    const unsigned k = n - csr::mhpmevent3;
    if (k >= kHpmCounters) return false;
    h.csr.mhpmevent[k] = v;
    return true;
  }
  return false;
}

}  // namespace lockstep::core
