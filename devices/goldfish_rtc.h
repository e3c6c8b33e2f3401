#pragma once
#include "core/address_space.h"
#include "core/virtual_clock.h"
#include "devices/irq_line.h"

namespace lockstep::devices {

using core::u32;
using core::u64;

// Goldfish RTC ("google,goldfish-rtc") as QEMU 7.2's hw/rtc/goldfish_rtc.c on the virt board,
// with the RTC clock being the virtual clock (QEMU's -rtc clock=vm,base=...): the time in ns is
// tick_offset + virtual ns, where tick_offset starts as the configured base (wall-clock ns of
// virtual time 0) and moves with guest writes to TIME_LOW/TIME_HIGH.
//
// Registers (offsets in a 0x24-byte window; QEMU's region is 0x24 bytes, so an access reaching
// past 0x24 is refused even though the board reserves 0x1000):
//   0x00 TIME_LOW   read: low 32 bits of the time, latching the high half into TIME_HIGH
//   0x04 TIME_HIGH  read: the latched high half; write: replaces the high half of the time
//   0x08 ALARM_LOW  write: low half of the alarm, then arms it (fires at once if not in the future)
//   0x0c ALARM_HIGH write: high half of the alarm (does not re-arm)
//   0x10 IRQ_ENABLED bit 0
//   0x14 CLEAR_ALARM (write: disarm)      0x18 ALARM_STATUS (read: 1 while armed)
//   0x1c CLEAR_INTERRUPT (write)          0x20 nothing (reads 0)
// Access sizes: 4, and 8 (QEMU splits an 8-byte access into the low then the high 4-byte
// register); naturally aligned. Measured on QEMU 7.2.
//
// The alarm is a virtual-clock deadline like the mtimer's: deadline = alarm - tick_offset at the
// moment ALARM_LOW is written (QEMU's timer_mod(timer, event - tick_offset)); a later TIME or
// ALARM_HIGH write does not move an armed deadline (as on QEMU). The board bounds execution by
// next_deadline_ns() and calls fire_due().
class GoldfishRtc : public core::MmioDevice {
 public:
  static constexpr u64 kDefaultBaseNs = 1767225600ull * 1'000'000'000ull;  // 2026-01-01T00:00:00Z
  static constexpr u64 kNotArmed = ~u64{0};
  static constexpr u64 kWindowSize = 0x24;

  // vmstate "goldfish_rtc" v3 as Debian's QEMU 7.2 has it (tick_offset_vmstate, alarm_next,
  // alarm_running, irq_pending, irq_enabled, time_high, tick_offset since 3); the description is
  // devices/goldfish_rtc_vmstate.cpp. Padding-free.
  struct State {
    // vmstate "tick_offset_vmstate": QEMU sends tick_offset + (rtc clock - vm clock), which is
    // tick_offset itself when the RTC runs on the virtual clock.
    u64 tick_offset = 0;
    u64 alarm_next = 0;
    // QEMU's timer (not in its vmstate: its post_load re-arms with goldfish_rtc_set_alarm).
    // Virtual ns; kNotArmed when not pending.
    u64 alarm_deadline_ns = kNotArmed;
    u32 alarm_running = 0;
    u32 irq_pending = 0;
    u32 irq_enabled = 0;
    u32 time_high = 0;
  };

  // base_ns: wall-clock time (ns since the Unix epoch) at virtual time 0, from the machine
  // config. irq: PLIC source 11 on the virt board.
  explicit GoldfishRtc(const core::VirtualClock& clock, u64 base_ns = kDefaultBaseNs, IrqLine irq = {});

  void connect_irq(IrqLine irq) { irq_ = irq; }

  bool read(u64 offset, unsigned size, u64& value) override;
  bool write(u64 offset, unsigned size, u64 value) override;
  // Side-effect-free read (TIME_LOW does not latch TIME_HIGH). Uses the between-instructions clock.
  bool peek(u64 offset, unsigned size, u64& value) const;

  // The RTC time in ns, as an executing instruction sees it (inclusive clock) or between instructions.
  u64 time_ns(bool during_instruction = true) const;
  // The alarm deadline in virtual ns, kNotArmed if none.
  u64 next_deadline_ns() const { return state_.alarm_deadline_ns; }
  // Fires the alarm if its deadline has passed (between instructions).
  void fire_due();

  // QEMU's goldfish_rtc_reset: alarm and interrupt state cleared; the time (tick_offset) and the
  // latched TIME_HIGH survive (measured). Does not touch the interrupt line (QEMU does not).
  void reset();
  // The interrupt level from the registers: irq_pending && irq_enabled.
  void update_irq();

  const State& state() const { return state_; }
  // Commits a loaded state (vm::load into a copy of state(), then this): no IRQ, no clock.
  void restore_state(const State& s) { state_ = s; }

  // For a loader of a QEMU stream, which carries no timer: QEMU's goldfish_rtc_post_load, i.e.
  // goldfish_rtc_set_alarm between instructions. Note that QEMU does this whether or not the
  // alarm was running, so an alarm_next not in the future fires (irq_pending = 1) on load.
  // Loading lockstep's own State needs nothing (the deadline is part of it).
  void qemu_post_load();

 private:
  u32 register_value(u64 offset, bool during_instruction) const;
  u32 read_register(u64 offset);
  void write_register(u64 offset, u32 value);
  void set_alarm(bool during_instruction);
  void alarm_interrupt();

  const core::VirtualClock& clock_;
  IrqLine irq_;
  State state_;
};

}  // namespace lockstep::devices
