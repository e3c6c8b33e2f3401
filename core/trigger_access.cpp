// Load/store triggers checked where QEMU 7.2's softmmu checks its watchpoints around one access
// (accel/tcg/cputlb.c load_helper, store_helper, store_helper_unaligned; target/riscv tlb_fill),
// so that a trigger against a fault, or against one half of a misaligned access, ends as on QEMU:
// - a translation that faults first checks the range being translated: a hit is the breakpoint,
//   not the fault (Debian's 7.2.17 backport to riscv_cpu_tlb_fill);
// - an aligned access checks its own bytes;
// - a misaligned load is two aligned loads of its size, each checked: lw at 0x1002 checks
//   0x1000-0x1003 and 0x1004-0x1007;
// - a misaligned store on a page a watch overlaps, or across pages, is checked as two ranges
//   split at the page of its last byte + 1, with QEMU's arithmetic: within one page that is
//   [va, page start) wrapping and [page start, va + size), and a store that ends exactly at a
//   page end translates the next page too (size2 = 0), faulting if it is not mapped (QEMU
//   checks PMP there from the page start to its end; lockstep its first byte).
// The probes translate exactly as the access path then does (same address, size and kind), so
// a fault without a hit is the one the access path raises; translation is repeatable (A/D set
// once).
#include "core/mmu.h"
#include "core/triggers.h"

namespace lockstep::core {
namespace {

bool breakpoint(Hart& h) {
  h.trap = Trap{static_cast<u64>(Exc::Breakpoint), 0};  // QEMU 7.2 gives a trigger's breakpoint tval 0
  return true;
}

bool crosses_page(u64 va, unsigned size) { return (va & (kPageSize - 1)) + size > kPageSize; }

// Translates va as the access path will. false: translated. true: it faults, and h.trap is the
// breakpoint if [va, va + len) hits, else the fault.
bool translation_stops(Hart& h, u64 va, unsigned size, Access access, u64 len, u8 kind) {
  Translation t;
  if (translate(h, va, size, access, t)) return false;
  if (watch_fires(h, va, len, kind)) breakpoint(h);
  return true;
}

bool hit(Hart& h, u64 addr, u64 len, u8 kind) { return watch_fires(h, addr, len, kind) && breakpoint(h); }

}  // namespace

bool load_trigger_fires(Hart& h, u64 va, unsigned size) {
  const bool crossing = crosses_page(va, size);
  if (translation_stops(h, va, crossing ? 1 : size, Access::Read, size, kWatchLoad)) return true;
  if ((va & (size - 1)) == 0) return hit(h, va, size, kWatchLoad);
  const u64 first = va & ~u64{size - 1}, second = first + size;
  if (hit(h, first, size, kWatchLoad)) return true;
  if (crossing && translation_stops(h, second, 1, Access::Read, size, kWatchLoad)) return true;
  return hit(h, second, size, kWatchLoad);
}

bool store_trigger_fires(Hart& h, u64 va, unsigned size) {
  const bool crossing = crosses_page(va, size);
  if (translation_stops(h, va, crossing ? 1 : size, Access::Write, size, kWatchStore)) return true;
  if ((va & (size - 1)) == 0) return hit(h, va, size, kWatchStore);
  if (!crossing && !watch_on_page(h, va)) return false;  // QEMU stores it plainly: nothing to check
  const u64 page1 = va & ~(kPageSize - 1);
  const u64 page2 = (va + size) & ~(kPageSize - 1), size2 = (va + size) & (kPageSize - 1);
  if (page2 != page1 && translation_stops(h, page2, 1, Access::Write, size2, kWatchStore)) return true;
  if (hit(h, va, size - size2, kWatchStore)) return true;
  return hit(h, page2, size2, kWatchStore);
}

bool amo_load_trigger_fires(Hart& h, u64 va, unsigned size) {
  // The load half translates for reading; when that faults, the AMO keeps lockstep's own fault
  // (amo_load translates for writing) unless a load trigger hits.
  Translation t;
  const Trap saved = h.trap;
  if (!translate(h, va, size, Access::Read, t)) {
    h.trap = saved;
    return hit(h, va, size, kWatchLoad);
  }
  if (hit(h, va, size, kWatchLoad)) return true;
  // The store half's translation: a store trigger beats its fault too.
  return translation_stops(h, va, size, Access::Write, size, kWatchStore);
}

}  // namespace lockstep::core
