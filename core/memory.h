#pragma once
#include <cstring>
#include <type_traits>

#include "core/hart.h"
#include "core/insn.h"
#include "core/page_code_bytes.h"

// Guest memory access for semantics functions: an inline software-TLB fast path for RAM,
// everything else (page walk, PMP, MMIO, page-crossing, code pages) in the slow path.
// On a fault the functions fill h.trap and return false.
namespace lockstep::core {

// A private view of guest memory for running an engine on a copy of a hart (jit --jit-verify):
// while a hart has one, its physical accesses after translation go here, and nothing fills its
// TLBs (so every access comes here). Returning false with h.trap set is an access fault.
class MemoryOverlay {
 public:
  virtual ~MemoryOverlay() = default;
  virtual bool read(Hart& h, u64 va, u64 pa, unsigned size, u64& out, Exc fault) = 0;
  virtual bool write(Hart& h, u64 va, u64 pa, unsigned size, u64 value) = 0;
};

bool load_slow(Hart& h, u64 va, unsigned size, u64& out);
bool store_slow(Hart& h, u64 va, unsigned size, u64 value);
// The slow paths compiled code calls (jit/) for a plain load or store the inline TLB missed: only
// an access within one page that translates to RAM (and, for a store, to a page with neither
// decoded code nor a watch) is done, with the TLB filled as the slow path would. Anything else is
// refused before it has any effect (false; h.trap untouched): the caller leaves the instruction to
// the interpreter. They read the translation state and write only the TLBs and the RAM.
bool load_ram(Hart& h, u64 va, unsigned size, u64& out);
bool store_ram(Hart& h, u64 va, unsigned size, u64 value);

// Whether the inline fast path serves an access: a TLB entry for the page in the current mode,
// and the access within the page.
inline bool tlb_serves(const TlbEntry& e, u64 data_key, u64 va, unsigned size) {
  return e.tag == ((va >> kPageBits) | data_key) && (va & (kPageSize - 1)) <= kPageSize - size;
}

template <typename T>
inline bool load(Hart& h, u64 va, T& out) {
  static_assert(std::is_integral_v<T>);
  const TlbEntry& e = h.load_tlb.slot(va);
  if (tlb_serves(e, h.data_key, va, sizeof(T))) {
    std::memcpy(&out, reinterpret_cast<const void*>(va + e.addend), sizeof(T));
    return true;
  }
  u64 v;
  if (!load_slow(h, va, sizeof(T), v)) return false;
  out = static_cast<T>(v);
  return true;
}

// Whether a store TLB entry for a page holding code (kTlbCodePage) lets this store through: it
// stays in the page and overwrites no decoded byte (data sharing a page with code).
inline bool code_page_entry_serves(const TlbEntry& e, u64 data_key, u64 va, unsigned size) {
  return e.tag == ((va >> kPageBits) | data_key | kTlbCodePage) && (va & (kPageSize - 1)) <= kPageSize - size &&
         !e.code_bytes->any(va & (kPageSize - 1), size);
}

template <typename T>
inline bool store(Hart& h, u64 va, T value) {
  static_assert(std::is_integral_v<T>);
  const TlbEntry& e = h.store_tlb.slot(va);
  // The second test runs only on a miss; compiled code gets it too, so a region writing data on
  // its own code page stays in compiled code.
  if (tlb_serves(e, h.data_key, va, sizeof(T)) || code_page_entry_serves(e, h.data_key, va, sizeof(T))) {
    std::memcpy(reinterpret_cast<void*>(va + e.addend), &value, sizeof(T));
    return true;
  }
  return store_slow(h, va, sizeof(T), static_cast<u64>(value));
}

// What a memory-accessing instruction returns after a successful access: a device access or a
// store into decoded code (both set h.stop_block, only on the slow path) ends the block, so
// that interrupts a device raised are taken at the next instruction and stale code never runs.
inline Flow after_access(Hart& h, const Insn& i) {
  if (__builtin_expect(h.stop_block, 0)) {
    h.pc += i.len;
    return Flow::Sync;
  }
  return Flow::Next;
}

}  // namespace lockstep::core
