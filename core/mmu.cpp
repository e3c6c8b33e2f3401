#include "core/mmu.h"

#include "core/address_space.h"
#include "core/csr_bits.h"

namespace lockstep::core {
namespace {

constexpr u64 kPteV = 1, kPteR = 2, kPteW = 4, kPteX = 8, kPteU = 16, kPteA = 64, kPteD = 128;
constexpr u64 kPtePpnMask = ((u64{1} << 44) - 1) << 10;
constexpr u64 kPteReservedMask = ~((u64{1} << 54) - 1);  // bits 63:54 (PBMT, N, reserved)

Exc page_fault(Access a) {
  return a == Access::Fetch ? Exc::InsnPageFault : a == Access::Write ? Exc::StorePageFault : Exc::LoadPageFault;
}
Exc access_fault(Access a) {
  return a == Access::Fetch ? Exc::InsnAccessFault : a == Access::Write ? Exc::StoreAccessFault : Exc::LoadAccessFault;
}

bool fail(Hart& h, Exc e, u64 va) {
  h.trap = Trap{static_cast<u64>(e), va};
  return false;
}

u8 pmp_mode(u8 cfg) { return (cfg >> 3) & 3; }
constexpr u8 kPmpOff = 0, kPmpTor = 1, kPmpNa4 = 2, kPmpNapot = 3;

// [lo, hi) of PMP entry i; false when the entry is off or empty.
bool pmp_range(const Hart& h, unsigned i, u64& lo, u64& hi) {
  const u8 cfg = h.csr.pmp.cfg[i];
  const u64 addr = h.csr.pmp.addr[i];
  switch (pmp_mode(cfg)) {
    case kPmpTor:
      lo = i == 0 ? 0 : h.csr.pmp.addr[i - 1] << 2;
      hi = addr << 2;
      return lo < hi;
    case kPmpNa4:
      lo = addr << 2;
      hi = lo + 4;
      return true;
    case kPmpNapot: {
      const unsigned ones = static_cast<unsigned>(__builtin_ctzll(~addr));
      const u64 size = u64{1} << (ones + 3);
      lo = (addr & ~((u64{1} << ones) - 1)) << 2;
      hi = lo + size;
      if (ones + 3 >= 56) { lo = 0; hi = ~u64{0}; }
      return true;
    }
    default: return false;
  }
}

bool any_pmp_rule(const Hart& h) {
  for (u8 cfg : h.csr.pmp.cfg) {
    if (pmp_mode(cfg) != kPmpOff) return true;
  }
  return false;
}

// Is [pa, pa+len) under one PMP verdict (fully inside one first-matching entry, or touching none)?
bool pmp_uniform(const Hart& h, u64 pa, u64 len) {
  for (unsigned i = 0; i < 16; ++i) {
    u64 lo, hi;
    if (!pmp_range(h, i, lo, hi)) continue;
    const bool overlaps = pa < hi && pa + len > lo;
    if (!overlaps) continue;
    return pa >= lo && pa + len <= hi;
  }
  return true;
}

Translation bare(u64 va) { return Translation{va, true}; }

}  // namespace

Priv effective_data_priv(const Hart& h) {
  if (h.priv == Priv::M && (h.csr.mstatus & csr::kMPRV)) {
    return static_cast<Priv>((h.csr.mstatus & csr::kMPP) >> csr::kMPPShift);
  }
  return h.priv;
}

bool pmp_allows(const Hart& h, u64 pa, unsigned size, Access access, Priv priv) {
  if (!any_pmp_rule(h)) return priv == Priv::M;  // QEMU 7.2: no rules → only M may access
  for (unsigned i = 0; i < 16; ++i) {
    u64 lo, hi;
    if (!pmp_range(h, i, lo, hi)) continue;
    const bool overlaps = pa < hi && pa + size > lo;
    if (!overlaps) continue;
    if (pa < lo || pa + size > hi) return false;  // partial match fails
    const u8 cfg = h.csr.pmp.cfg[i];
    if (priv == Priv::M && !(cfg & 0x80)) return true;
    const u8 need = access == Access::Read ? 1 : access == Access::Write ? 2 : 4;
    return (cfg & need) != 0;
  }
  return priv == Priv::M;
}

bool translate(Hart& h, u64 va, unsigned size, Access access, Translation& out) {
  const Priv priv = access == Access::Fetch ? h.priv : effective_data_priv(h);
  const u64 mode = h.csr.satp >> csr::kSatpModeShift;
  if (priv == Priv::M || mode == csr::kSatpModeBare) {
    out = bare(va);
  } else {
    const unsigned levels = mode == csr::kSatpModeSv48 ? 4 : 3;
    const unsigned va_bits = 12 + 9 * levels;
    // The upper bits must copy bit va_bits-1.
    if (static_cast<u64>(static_cast<i64>(va << (64 - va_bits)) >> (64 - va_bits)) != va) {
      return fail(h, page_fault(access), va);
    }
    u64 table = (h.csr.satp & csr::kSatpPpnMask) << kPageBits;
    for (int level = static_cast<int>(levels) - 1; level >= 0; --level) {
      const u64 vpn = (va >> (kPageBits + 9 * level)) & 0x1ff;
      const u64 pte_addr = table + vpn * 8;
      if (!pmp_allows(h, pte_addr, 8, Access::Read, Priv::S)) return fail(h, access_fault(access), va);
      u64 pte;
      if (!h.bus->find_ram(pte_addr, 8) || !h.bus->read_phys(pte_addr, 8, pte)) {
        return fail(h, access_fault(access), va);
      }
      if (!(pte & kPteV) || (!(pte & kPteR) && (pte & kPteW)) || (pte & kPteReservedMask)) {
        return fail(h, page_fault(access), va);
      }
      const u64 ppn = (pte & kPtePpnMask) >> 10;
      if (!(pte & (kPteR | kPteX))) {
        if (level == 0) return fail(h, page_fault(access), va);
        // A, D and U of a non-leaf PTE are reserved for software to clear; like QEMU 7.2,
        // the walk does not check them.
        table = ppn << kPageBits;
        continue;
      }
      // Leaf: privilege and permission checks.
      if (priv == Priv::U && !(pte & kPteU)) return fail(h, page_fault(access), va);
      if (priv == Priv::S && (pte & kPteU)) {
        if (access == Access::Fetch || !(h.csr.mstatus & csr::kSUM)) return fail(h, page_fault(access), va);
      }
      bool allowed = false;
      switch (access) {
        case Access::Fetch: allowed = pte & kPteX; break;
        case Access::Write: allowed = pte & kPteW; break;
        case Access::Read: allowed = (pte & kPteR) || ((h.csr.mstatus & csr::kMXR) && (pte & kPteX)); break;
      }
      if (!allowed) return fail(h, page_fault(access), va);
      const u64 low_mask = (u64{1} << (9 * level)) - 1;
      if (ppn & low_mask) return fail(h, page_fault(access), va);  // misaligned superpage
      // Hardware A/D update, as QEMU does.
      const u64 updated = pte | kPteA | (access == Access::Write ? kPteD : 0);
      if (updated != pte) {
        RamBlock* b = h.bus->find_ram(pte_addr, 8);
        if (!b || b->read_only) return fail(h, access_fault(access), va);
        h.bus->write_phys(pte_addr, 8, updated);
      }
      const u64 page_offset_mask = (u64{1} << (kPageBits + 9 * level)) - 1;
      out.pa = ((ppn << kPageBits) & ~page_offset_mask) | (va & page_offset_mask);
      // A store through a clean (D=0) page must come back here to set D: only cache
      // loads and fetches, and stores once D is set (it is, after this walk).
      out.page_cacheable = true;
      break;
    }
  }
  if (!pmp_allows(h, out.pa, size, access, priv)) return fail(h, access_fault(access), va);
  if (out.page_cacheable) out.page_cacheable = pmp_uniform(h, out.pa & ~(kPageSize - 1), kPageSize);
  return true;
}

}  // namespace lockstep::core
