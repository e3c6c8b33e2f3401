#include "core/memory.h"

#include "core/address_space.h"
#include "core/code_cache.h"
#include "core/mmu.h"
#include "core/semantics/rv_a.h"
#include "core/semantics/rv_system.h"
#include "core/triggers.h"

namespace lockstep::core {
namespace {

constexpr unsigned kKeyShift = 52;

// Drops the decoded code a store into RAM overwrites; the hart then leaves its block (which may
// be one of those dropped). A store to data bytes of a code page drops nothing.
void note_code_write(Hart& h, const RamBlock& b, u64 pa, unsigned size) {
  const u64 first = (pa - b.base) / kPageSize, last = (pa + size - 1 - b.base) / kPageSize;
  if (!((b.page_flags[first] | b.page_flags[last]) & kPageHasCode) || !h.code) return;
  if (h.code->invalidate_range(pa, size)) h.stop_block = true;
}

void fill_tlb(Tlb& tlb, u64 va, u64 key, u8* host_page, u64 pa_page, const PageCodeBytes* code_bytes = nullptr) {
  TlbEntry& e = tlb.slot(va);
  e.tag = (va >> kPageBits) | key | (code_bytes ? kTlbCodePage : 0);
  e.addend = reinterpret_cast<uintptr_t>(host_page) - (va & ~(kPageSize - 1));
  e.paddr_page = pa_page;
  e.code_bytes = code_bytes;
}

// A store TLB entry for a RAM page, filled after the store was done by a slow path: a plain one,
// or one that sends stores to store_to_code_page (a page with decoded code). Watched pages and
// ROM get none.
void fill_store_tlb(Hart& h, u64 va, RamBlock& b, u64 page) {
  const u8 flags = b.page_flags[(page - b.base) / kPageSize];
  if (b.read_only || (flags & kPageWatched)) return;
  const PageCodeBytes* code = (flags & kPageHasCode) && h.code ? h.code->code_bytes(page) : nullptr;
  if ((flags & kPageHasCode) && !code) return;
  fill_tlb(h.store_tlb, va, h.data_key, b.host + (page - b.base), page, code);
}

// The store TLB has an entry for va's page that holds code, and the store stays in the page and
// writes no code byte: done. The entry exists only for a page already marked dirty (the dirty
// log flushes translations when it clears bits), as for the inline path.
bool store_to_code_page(Hart& h, u64 va, unsigned size, u64 value) {
  const TlbEntry& e = h.store_tlb.slot(va);
  if (!code_page_entry_serves(e, h.data_key, va, size)) return false;
  std::memcpy(reinterpret_cast<void*>(va + e.addend), &value, size);
  return true;
}

bool crosses_page(u64 va, unsigned size) { return (va & (kPageSize - 1)) + size > kPageSize; }

// Whether slow paths may fill the load/store TLBs: not for --jit-verify's overlay (every access
// must reach it), nor while a load/store trigger is set (every access must be checked).
bool data_tlb_fills(const Hart& h) { return !h.overlay && !(h.triggers_armed & kArmedWatch); }
bool watching(const Hart& h) { return __builtin_expect(h.triggers_armed & kArmedWatch, 0); }

// Byte-wise access for a misaligned access that spans two pages: both pages translate first,
// as QEMU probes both before touching memory.
bool split_translate(Hart& h, u64 va, unsigned size, Access access, u64 pa[8]) {
  Translation t;
  const u64 second = (va + size - 1) & ~(kPageSize - 1);
  if (!translate(h, va, 1, access, t)) return false;
  if (!translate(h, second, 1, access, t)) return false;
  for (unsigned k = 0; k < size; ++k) {
    if (!translate(h, va + k, 1, access, t)) return false;
    pa[k] = t.pa;
  }
  return true;
}

bool mmio_read(Hart& h, u64 pa, unsigned size, u64& out) {
  MmioRegion* r = h.bus->find_mmio(pa);
  if (!r || pa - r->base + size > r->size) return false;
  return r->device->read(pa - r->base, size, out);
}

bool mmio_write(Hart& h, u64 pa, unsigned size, u64 value) {
  MmioRegion* r = h.bus->find_mmio(pa);
  if (!r || pa - r->base + size > r->size) return false;
  return r->device->write(pa - r->base, size, value);
}

bool phys_read(Hart& h, u64 va, u64 pa, unsigned size, u64& out, Exc fault) {
  if (h.overlay) return h.overlay->read(h, va, pa, size, out, fault);
  if (RamBlock* b = h.bus->find_ram(pa, size)) {
    out = 0;
    std::memcpy(&out, b->host + (pa - b->base), size);
    return true;
  }
  if (h.bus->find_mmio(pa)) {
    h.stop_block = true;
    if ((pa & (size - 1)) == 0) {
      if (mmio_read(h, pa, size, out)) return true;
    } else {
      // As QEMU's softmmu: a misaligned device load is two aligned loads of the same size, combined.
      const u64 first = pa & ~u64{size - 1};
      const unsigned shift = static_cast<unsigned>(pa - first) * 8;
      u64 lo = 0, hi = 0;
      if (!mmio_read(h, first, size, lo)) {
        h.trap = Trap{static_cast<u64>(fault), va - (pa - first)};  // the part that failed
        return false;
      }
      if (!mmio_read(h, first + size, size, hi)) {
        h.trap = Trap{static_cast<u64>(fault), va - (pa - first) + size};
        return false;
      }
      const u64 mask = size == 8 ? ~u64{0} : (u64{1} << (size * 8)) - 1;
      out = ((lo >> shift) | (hi << (size * 8 - shift))) & mask;
      return true;
    }
  }
  h.trap = Trap{static_cast<u64>(fault), va};
  return false;
}

bool phys_write(Hart& h, u64 va, u64 pa, unsigned size, u64 value) {
  if (h.overlay) return h.overlay->write(h, va, pa, size, value);
  if (RamBlock* b = h.bus->find_ram(pa, size)) {
    if (b->read_only) return true;
    note_code_write(h, *b, pa, size);
    std::memcpy(b->host + (pa - b->base), &value, size);
    b->mark_dirty(pa, size);  // before store_slow may give the page a store-TLB entry
    if (b->page_flags[(pa - b->base) / kPageSize] & kPageWatched) {
      h.stop_block = true;
      h.bus->notify_store(pa, size, value);
    }
    return true;
  }
  if (h.bus->find_mmio(pa)) {
    h.stop_block = true;
    if ((pa & (size - 1)) == 0) {
      if (mmio_write(h, pa, size, value)) return true;
    } else {
      // As QEMU: a misaligned device store is byte stores in order; bytes before a fault stay written.
      unsigned k = 0;
      while (k < size && mmio_write(h, pa + k, 1, (value >> (8 * k)) & 0xff)) ++k;
      if (k == size) return true;
      h.trap = Trap{static_cast<u64>(Exc::StoreAccessFault), va + k};
      return false;
    }
  }
  h.trap = Trap{static_cast<u64>(Exc::StoreAccessFault), va};
  return false;
}

}  // namespace

void update_translation_keys(Hart& h) {
  const u64 data_priv = static_cast<u64>(effective_data_priv(h));
  const u64 sum = (h.csr.mstatus & csr::kSUM) ? 1 : 0;
  const u64 mxr = (h.csr.mstatus & csr::kMXR) ? 1 : 0;
  h.data_key = ((data_priv + 1) | (sum << 2) | (mxr << 3)) << kKeyShift;
  h.fetch_key = (static_cast<u64>(h.priv) + 1) << kKeyShift;
}

void flush_translations(Hart& h) {
  h.load_tlb.flush();
  h.store_tlb.flush();
  h.fetch_tlb.flush();
  if (h.code) h.code->flush_jump_cache();
}

bool load_slow(Hart& h, u64 va, unsigned size, u64& out) {
  if (watching(h) && load_trigger_fires(h, va, size)) return false;
  if (crosses_page(va, size)) {
    u64 pa[8];
    if (!split_translate(h, va, size, Access::Read, pa)) return false;
    out = 0;
    for (unsigned k = 0; k < size; ++k) {
      u64 byte;
      // The fault names the first byte that failed (QEMU: the second page's start).
      if (!phys_read(h, va + k, pa[k], 1, byte, Exc::LoadAccessFault)) return false;
      out |= byte << (8 * k);
    }
    return true;
  }
  Translation t;
  if (!translate(h, va, size, Access::Read, t)) return false;
  if (RamBlock* b = h.bus->find_ram(t.pa, size)) {
    if (t.page_cacheable && data_tlb_fills(h) && b->contains(t.pa & ~(kPageSize - 1), kPageSize)) {
      fill_tlb(h.load_tlb, va, h.data_key, b->host + ((t.pa & ~(kPageSize - 1)) - b->base), t.pa & ~(kPageSize - 1));
    }
  }
  return phys_read(h, va, t.pa, size, out, Exc::LoadAccessFault);
}

bool store_slow(Hart& h, u64 va, unsigned size, u64 value) {
  if (watching(h) && store_trigger_fires(h, va, size)) return false;
  if (data_tlb_fills(h) && store_to_code_page(h, va, size, value)) return true;
  if (crosses_page(va, size)) {
    u64 pa[8];
    if (!split_translate(h, va, size, Access::Write, pa)) return false;
    // Byte by byte, stopping at the first byte with no home: the bytes before it stay
    // written, as on QEMU (measured by tests/guests/isa/misaligned).
    for (unsigned k = 0; k < size; ++k) {
      if (!phys_write(h, va + k, pa[k], 1, (value >> (8 * k)) & 0xff)) return false;
    }
    return true;
  }
  Translation t;
  if (!translate(h, va, size, Access::Write, t)) return false;
  if (!phys_write(h, va, t.pa, size, value)) return false;
  // After the write: it may have dropped the page's code, and it marked the page dirty.
  if (RamBlock* b = h.bus->find_ram(t.pa, size)) {
    const u64 page = t.pa & ~(kPageSize - 1);
    if (t.page_cacheable && data_tlb_fills(h) && b->contains(page, kPageSize)) fill_store_tlb(h, va, *b, page);
  }
  return true;
}

bool amo_load(Hart& h, u64 va, unsigned size, u64& out) {
  if (watching(h) && amo_load_trigger_fires(h, va, size)) return false;
  Translation t;
  if (!translate(h, va, size, Access::Write, t)) return false;
  return phys_read(h, va, t.pa, size, out, Exc::LoadAccessFault);
}

namespace {
// The RAM page a load or store within one page translates to, or nullptr (a page crossing, a
// fault, a device, the --jit-verify overlay, a set load/store trigger): then nothing has been
// done but the page walk, which the interpreter repeats with the same result.
RamBlock* ram_for(Hart& h, u64 va, unsigned size, Access access, Translation& t) {
  if (crosses_page(va, size) || !data_tlb_fills(h)) return nullptr;
  const Trap saved = h.trap;  // translate fills it on a fault: a refusal leaves no trace
  if (!translate(h, va, size, access, t)) {
    h.trap = saved;
    return nullptr;
  }
  RamBlock* b = h.bus->find_ram(t.pa, size);
  return b && b->contains(t.pa & ~(kPageSize - 1), kPageSize) ? b : nullptr;
}
}  // namespace

bool load_ram(Hart& h, u64 va, unsigned size, u64& out) {
  Translation t;
  RamBlock* b = ram_for(h, va, size, Access::Read, t);
  if (!b) return false;
  const u64 page = t.pa & ~(kPageSize - 1);
  if (t.page_cacheable) fill_tlb(h.load_tlb, va, h.data_key, b->host + (page - b->base), page);
  out = 0;
  std::memcpy(&out, b->host + (t.pa - b->base), size);
  return true;
}

bool store_ram(Hart& h, u64 va, unsigned size, u64 value) {
  if (data_tlb_fills(h) && store_to_code_page(h, va, size, value)) return true;
  Translation t;
  RamBlock* b = ram_for(h, va, size, Access::Write, t);
  if (!b || b->read_only) return false;
  const u64 page = t.pa & ~(kPageSize - 1);
  const u8 flags = b->page_flags[(page - b->base) / kPageSize];
  // A watched page, or code overwritten: the interpreter does it (and ends the block).
  if ((flags & kPageWatched) || ((flags & kPageHasCode) && (!h.code || h.code->overlaps_code(t.pa, size)))) {
    return false;
  }
  std::memcpy(b->host + (t.pa - b->base), &value, size);
  b->mark_dirty(t.pa, size);
  if (t.page_cacheable) fill_store_tlb(h, va, *b, page);
  return true;
}

}  // namespace lockstep::core
