#pragma once
#include "core/hart.h"

namespace lockstep::core {

// Result of translating one access: the physical address, and whether the whole page
// may be cached in the software TLB (same translation and same PMP verdict for all of it).
struct Translation {
  u64 pa = 0;
  bool page_cacheable = false;
};

// Virtual-to-physical translation (bare, Sv39, Sv48) with A/D updates and PMP checks.
// On a fault fills h.trap (page fault or access fault, tval = va) and returns false.
bool translate(Hart& h, u64 va, unsigned size, Access access, Translation& out);

// PMP check for a physical access of `size` bytes at privilege `priv`.
bool pmp_allows(const Hart& h, u64 pa, unsigned size, Access access, Priv priv);

// The privilege that loads and stores use (MPRV applies MPP in M-mode).
Priv effective_data_priv(const Hart& h);

}  // namespace lockstep::core
