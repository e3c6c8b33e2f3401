#pragma once
#include <array>
#include <cstring>

#include "core/csr_bits.h"
#include "core/trap.h"
#include "core/types.h"
#include "core/virtual_clock.h"

namespace lockstep::core {

class AddressSpace;
class CodeCache;
class MemoryOverlay;
struct PageCodeBytes;

enum class Priv : u8 { U = 0, S = 1, M = 3 };

enum class Access : u8 { Read = 0, Write = 1, Fetch = 2 };

// One software-TLB entry: a virtual page that maps to host memory (RAM only).
// tag = (va >> 12) | key << 52; the key folds in privilege and SUM/MXR so that a
// mode switch needs no flush. host address = va + addend.
struct TlbEntry {
  u64 tag = ~u64{0};
  uintptr_t addend = 0;
  u64 paddr_page = 0;  // physical page address, for code-page checks and traces
  // Store TLB only, for a page holding decoded code: its code bytes. Such an entry's tag has
  // kTlbCodePage set, so the inline path never matches it; store_slow tests these bytes and
  // stores to data bytes at once (CodeCache keeps them alive while the entry can exist).
  const PageCodeBytes* code_bytes = nullptr;
};
// A bit no (va >> 12) | key << 52 has.
inline constexpr u64 kTlbCodePage = u64{1} << 63;

struct Tlb {
  static constexpr unsigned kEntries = 512;
  std::array<TlbEntry, kEntries> entries{};
  void flush() { entries.fill(TlbEntry{}); }
  TlbEntry& slot(u64 va) { return entries[(va >> kPageBits) % kEntries]; }
};

struct PmpState {
  std::array<u8, 16> cfg{};
  std::array<u64, 16> addr{};
};

// Sdtrig's trigger module as QEMU 7.2 has it (the rules are in core/triggers.h): tselect and the
// tdata registers of its two triggers. tdata1 holds an mcontrol (type 2) or mcontrol6 (type 6).
inline constexpr unsigned kTriggers = 2;
inline constexpr u64 kMcontrolReset = u64{2} << 60;  // type 2, no mode, no access: never fires
struct TriggerState {
  u64 tselect = 0;
  std::array<u64, kTriggers> tdata1{kMcontrolReset, kMcontrolReset};
  std::array<u64, kTriggers> tdata2{}, tdata3{};
};

// Architectural CSR state held as raw values; the derived views (sstatus, sip, sie)
// are computed from these on access.
struct CsrState {
  u64 mstatus = 0;
  u64 medeleg = 0, mideleg = 0;
  u64 mie = 0, mip = 0;
  u64 mtvec = 0, mscratch = 0, mepc = 0, mcause = 0, mtval = 0;
  u64 mcounteren = 0, mcountinhibit = 0, menvcfg = 0;
  u64 stvec = 0, sscratch = 0, sepc = 0, scause = 0, stval = 0, scounteren = 0, senvcfg = 0;
  u64 satp = 0;
  u32 fflags = 0, frm = 0;
  u64 mhartid = 0;
  // minstret and mcycle read QEMU's icount clock (virtual ns, see docs/qemu-icount.md)
  // minus these offsets, so writes are exact.
  u64 minstret_offset = 0, mcycle_offset = 0;
  // Values held while mcountinhibit stops a counter (the spec's rule; QEMU 7.2's is broken).
  u64 minstret_frozen = 0, mcycle_frozen = 0;
  // mhpmcounter3..18 and mhpmevent3..18, as QEMU's default pmu-num=16 provides them: they hold
  // what is written (no event is ever counted).
  std::array<u64, 16> mhpmcounter{}, mhpmevent{};
  PmpState pmp;
  TriggerState triggers;
};

// LR/SC reservation as QEMU keeps it: the virtual address and the value LR loaded.
struct Reservation {
  u64 vaddr = 0;
  u64 value = 0;
  bool valid = false;
};

// A hart's complete architectural state plus the caches that make it fast.
// Semantics functions (core/semantics) read and write only this struct.
struct Hart {
  std::array<u64, 32> x{};
  std::array<u64, 32> f{};  // NaN-boxed: single values live in the low 32 bits, upper bits all 1
  u64 pc = 0;
  Priv priv = Priv::M;
  CsrState csr;
  Reservation reservation;
  bool waiting_for_interrupt = false;
  // Configuration, kept across reset and not migrated (both ends run one machine version): QEMU's
  // "debug" CPU property, whether the trigger CSRs exist (machines/virt/machine_versions.h).
  bool sdtrig = false;
  // Derived from csr.triggers by rearm_triggers (core/triggers.h): which kinds of trigger can fire
  // (kArmedExec, kArmedWatch). While non-zero the hart stays in the interpreter, one instruction
  // per dispatch, and (kArmedWatch) every load and store takes the slow path. 0 costs nothing.
  u8 triggers_armed = 0;

  // Retired instructions since reset: the machine's only clock.
  u64 icount = 0;

  // Set by a semantics function that returns Flow::Trap.
  Trap trap;
  // Set by a device access or a code invalidation: the dispatcher leaves the current block
  // (its decoded instructions may be stale, or a device may have changed interrupts/time).
  bool stop_block = false;

  // Memory and caches.
  AddressSpace* bus = nullptr;
  CodeCache* code = nullptr;
  Tlb load_tlb, store_tlb, fetch_tlb;
  u64 data_key = 0;   // TLB key for loads/stores in the current mode
  u64 fetch_key = 0;  // TLB key for instruction fetch

  // Checking only (jit --jit-verify): a private view of memory that this hart's slow-path
  // accesses use instead of RAM and devices (core/memory.h). nullptr in normal runs.
  MemoryOverlay* overlay = nullptr;

  // The machine clock (minstret/mcycle read it) and the timer device behind the time CSR.
  VirtualClock* clock = nullptr;
  u64 (*read_time)(void* ctx) = nullptr;
  void* time_ctx = nullptr;

  void set_x(unsigned i, u64 v) {
    if (i != 0) x[i] = v;
  }
};

// Recomputes TLB keys after a change of privilege, MPRV/MPP, SUM or MXR.
void update_translation_keys(Hart& h);
// Drops every cached translation (satp write, sfence.vma, PMP change).
void flush_translations(Hart& h);

}  // namespace lockstep::core
