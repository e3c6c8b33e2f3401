#pragma once
#include <array>
#include <vector>

#include "core/address_space.h"
#include "core/hart.h"
#include "core/virtual_clock.h"

namespace lockstep::devices {

using core::u32;
using core::u64;

// ACLINT machine-level software interrupts: one msip word per hart, driving mip.MSIP.
class AclintMswi : public core::MmioDevice {
 public:
  explicit AclintMswi(std::vector<core::Hart*> harts) : harts_(std::move(harts)) {}
  bool read(u64 offset, unsigned size, u64& value) override;
  bool write(u64 offset, unsigned size, u64 value) override;

 private:
  std::vector<core::Hart*> harts_;
};

// ACLINT machine timer: mtime (10 MHz by default) derived from the virtual clock, one
// mtimecmp per hart driving mip.MTIP. Deadlines are computed as QEMU computes them when
// mtimecmp is written (now + (mtimecmp - mtime) ticks), so interrupts land on the same instruction.
class AclintMtimer : public core::MmioDevice {
 public:
  static constexpr unsigned kMaxHarts = 8;  // as Plic::kMaxHarts: the virt board's -smp limit
  static constexpr u64 kNotArmed = ~u64{0};

  // vmstate "riscv_mtimer" (devices/aclint_mtimer_vmstate.cpp). Padding-free.
  struct State {
    std::array<u64, kMaxHarts> mtimecmp{};     // QEMU's timecmp, num_harts entries used
    std::array<u64, kMaxHarts> deadline_ns{};  // kNotArmed = not armed; entries >= num_harts unused
    u64 time_delta = 0;                        // from guest writes to mtime
    u32 num_harts = 0;                         // configuration (QEMU's num_harts): the VARRAY length
    u32 reserved = 0;                          // always 0, not migrated; no padding
  };

  AclintMtimer(std::vector<core::Hart*> harts, core::VirtualClock& clock, u64 frequency_hz = 10'000'000);
  bool read(u64 offset, unsigned size, u64& value) override;
  bool write(u64 offset, unsigned size, u64 value) override;

  // mtime as an executing instruction sees it (inclusive clock), or between instructions.
  u64 mtime(bool during_instruction = true) const;
  // The earliest armed deadline in virtual ns, ~0 if none.
  u64 next_deadline_ns() const;
  // Raises MTIP for every hart whose deadline has passed.
  void fire_due();
  const State& state() const { return state_; }
  // Commits a loaded state (vm::load into a copy of state(), then this): no mip change, no clock.
  void restore_state(const State& s) { state_ = s; }
  // For a loader of a QEMU stream, which carries mtimecmp but no deadlines: re-evaluates every
  // hart's MTIP and deadline from mtimecmp between instructions (QEMU's write_timecmp rule). It
  // drives mip, so it is only for QEMU streams; lockstep's own State needs nothing.
  void qemu_post_load();

  static u64 read_time_csr(void* self);
  // Re-evaluates every hart's MTIP (at reset, where mtimecmp = 0 makes MTIP pending).
  void reset();

 private:
  void write_timecmp(unsigned hart, u64 value, bool during_instruction);

  std::vector<core::Hart*> harts_;
  core::VirtualClock& clock_;
  u64 frequency_;
  State state_;
};

}  // namespace lockstep::devices
