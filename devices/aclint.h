#pragma once
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
  struct State {
    std::vector<u64> mtimecmp;
    std::vector<u64> deadline_ns;  // ~0 = not armed
    u64 time_delta = 0;            // from guest writes to mtime
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
