#pragma once
#include <array>
#include <vector>

#include "core/address_space.h"
#include "core/hart.h"
#include "devices/irq_line.h"

namespace lockstep::devices {

using core::u32;
using core::u64;

// SiFive PLIC as QEMU 7.2 builds it for the riscv virt board (hw/intc/sifive_plic.c with the
// virt.h parameters): hart config "MS" per hart, so context 2k is hart k's M-mode and 2k+1 its
// S-mode; 96 sources with pending/enable/claimed bits (0..95, source 0 never wired);
// priorities 0..7 (VIRT_IRQCHIP_NUM_PRIO_BITS = 3).
//
// Register map (offsets in the 0x600000 window), as measured on QEMU 7.2 (Debian 7.2.22):
//   0x000004 + 4*(s-1)   priority of source s = 1..96 (QEMU's priority_base is 4; 0x0 reads 0)
//   0x001000 + 4*w       pending word w (0..2; word 3 reads 0, QEMU reads past its array there)
//   0x002000 + 0x80*ctx  enable words 0..2 of context ctx
//   0x200000 + 0x1000*ctx threshold, +4 claim (read) / complete (write)
// Only aligned 4-byte accesses are valid (QEMU's .valid = {4, 4}); other offsets in the window
// read 0 and ignore writes. Priorities and thresholds are WARL: value % 8.
//
// Semantics QEMU 7.2 has and this model keeps (all measured, see tests/unit/devices/plic_test.cpp):
//  * A source's pending bit is set each time its line is driven high (also while it is
//    claimed, and whether or not it is enabled); driving a line low does nothing at all.
//    Only a claim clears a pending bit. A device that keeps its line high without driving it
//    again after the claim therefore gets no new interrupt after the complete.
//  * The claimed bits are global (not per context): any context's complete releases a source;
//    complete of a source nobody claimed just clears an already clear bit; complete of a value
//    >= 96 is ignored.
//  * A claim picks the highest priority > threshold among pending & enabled & !claimed;
//    ties go to the lowest source number; nothing eligible returns 0 and changes nothing.
//  * Enable writes do NOT re-evaluate the outputs (QEMU's write handler skips
//    sifive_plic_update there); priority, threshold, claim, complete and a rising line do.
class Plic : public core::MmioDevice, public IrqSink {
 public:
  static constexpr unsigned kNumSources = 96;         // VIRT_IRQCHIP_NUM_SOURCES
  static constexpr unsigned kWords = (kNumSources + 31) / 32;  // QEMU's bitfield_words
  static constexpr u32 kNumPriorities = 7;
  static constexpr unsigned kMaxHarts = 8;            // the virt board's -smp limit
  static constexpr unsigned kMaxContexts = 2 * kMaxHarts;

  static constexpr u64 kPriorityBase = 0x4;
  static constexpr u64 kPendingBase = 0x1000;
  static constexpr u64 kEnableBase = 0x2000;
  static constexpr u64 kEnableStride = 0x80;
  static constexpr u64 kContextBase = 0x200000;
  static constexpr u64 kContextStride = 0x1000;
  static constexpr u64 kApertureSize = 0x600000;

  // vmstate "riscv_sifive_plic" v1: source_priority, target_priority, pending, claimed, enable
  // (VARRAYs of uint32; target_priority has num_addrs entries, enable num_enables).
  // Padding-free: every member is a u32.
  struct State {
    // Index = source number; [0] is never written (source 0 has no priority register).
    std::array<u32, kNumSources> source_priority{};
    // The priority register of source 96 (offset 0x180): QEMU 7.2 stores it one past the end of
    // its source_priority array, so it reads back but never affects a claim and is not migrated.
    // lockstep migrates it in subsection "riscv_sifive_plic/source96"; machine versions whose
    // destinations do not know that subsection withhold it when saving (Compat::plic_source96,
    // machines/virt/machine_versions.h), which is configuration of the save, not state here.
    u32 source96_priority = 0;
    std::array<u32, kMaxContexts> target_priority{};  // thresholds; entries >= num_addrs stay 0
    std::array<u32, kWords> pending{};
    std::array<u32, kWords> claimed{};
    std::array<u32, kMaxContexts * kWords> enable{};  // context c's words at [c*kWords, c*kWords+kWords)
    // Array lengths (machine configuration, not sent; QEMU's VARRAY length fields).
    u32 num_addrs = 0;    // contexts = 2 * harts
    u32 num_enables = 0;  // num_addrs * kWords
  };

  // One M and one S context per hart, in hart order. At most kMaxHarts harts are wired; any
  // further ones are ignored (the board never passes more).
  explicit Plic(std::vector<core::Hart*> harts);

  bool read(u64 offset, unsigned size, u64& value) override;
  bool write(u64 offset, unsigned size, u64 value) override;
  // Side-effect-free read for debuggers and diffs: a claim register returns the source a claim
  // would return now, without claiming it. Same validity rules as read().
  bool peek(u64 offset, unsigned size, u64& value) const;
  // The source context `context` would get from a claim now (0 = none). No side effects.
  u32 peek_claim(unsigned context) const;

  // IrqSink: a device's line. Sources >= kNumSources are ignored (QEMU has no such input).
  void set_irq(unsigned irq, bool level) override;

  // QEMU's sifive_plic_reset: every register 0, every external interrupt output low.
  void reset();
  // Drives mip.MEIP / mip.SEIP of every hart from the registers (QEMU's sifive_plic_update).
  // Also what the board calls after loading state.
  void update_irq();

  const State& state() const { return state_; }
  // Commits a loaded state (vm::load into a copy of state(), then this). Drives no line: mip is
  // the hart's state and pending bits are this device's, so re-driving would double-count.
  void restore_state(const State& s) { state_ = s; }
  unsigned num_contexts() const { return state_.num_addrs; }

 private:
  u32 best_claim(unsigned context) const;  // QEMU's sifive_plic_claimed

  std::vector<core::Hart*> harts_;
  State state_;
};

}  // namespace lockstep::devices
