#pragma once
#include "core/types.h"

namespace lockstep::core {

// The machine's only clock, in virtual nanoseconds. It advances with retired instructions
// (ns_per_insn each; 1 = QEMU's -icount shift=0) plus `offset_ns`, which grows only at
// instruction-determined moments: when every hart sleeps in WFI the clock jumps to the next
// timer deadline (QEMU's sleep=off), and a WFI is charged as QEMU charges it. So the clock is
// a function of the instruction stream alone.
struct VirtualClock {
  u64 ns_per_insn = 1;
  u64 offset_ns = 0;
  u64 other_harts_icount = 0;         // retired by the harts not running now
  const u64* running_icount = nullptr;  // the running hart's retired count

  u64 total_icount() const { return other_harts_icount + (running_icount ? *running_icount : 0); }
  // Time between instructions: everything retired so far.
  u64 now_ns() const { return total_icount() * ns_per_insn + offset_ns; }
  // Time as seen by the instruction executing now (it counts itself, as QEMU's icount does).
  u64 now_ns_inclusive() const { return now_ns() + ns_per_insn; }
  // The running hart's icount at which now_ns() reaches ns (rounded up).
  u64 running_icount_at(u64 ns) const {
    const u64 own = running_icount ? *running_icount : 0;
    if (ns <= now_ns()) return own;
    return own + (ns - now_ns() + ns_per_insn - 1) / ns_per_insn;
  }
};

}  // namespace lockstep::core
