#include "devices/aclint.h"

#include "core/csr_bits.h"

namespace lockstep::devices {
namespace {
constexpr u64 kNs = 1'000'000'000;
constexpr u64 kMtimecmpBase = 0x0;  // offsets within the mtimer region (at ACLINT + 0x4000)
constexpr u64 kMtimeOffset = 0x7ff8;
constexpr u64 kMtimerEnd = kMtimeOffset + 8;  // a larger mapping faults past mtime (found by fuzz_device_mmio: UB shift)

void set_mip(core::Hart& h, u64 bit, bool level) {
  if (level) {
    h.csr.mip |= bit;
  } else {
    h.csr.mip &= ~bit;
  }
}

// Merges a 4-byte write into half of a 64-bit register.
u64 merge(u64 old, u64 offset_in_reg, unsigned size, u64 value) {
  if (size == 8) return value;
  const unsigned shift = offset_in_reg ? 32 : 0;
  return (old & ~(u64{0xffffffff} << shift)) | ((value & 0xffffffff) << shift);
}
}  // namespace

bool AclintMswi::read(u64 offset, unsigned size, u64& value) {
  if (size != 4 || (offset & 3)) return false;
  const u64 hart = offset / 4;
  value = hart < harts_.size() ? ((harts_[hart]->csr.mip & core::csr::kMSIP) ? 1 : 0) : 0;
  return true;
}

bool AclintMswi::write(u64 offset, unsigned size, u64 value) {
  if (size != 4 || (offset & 3)) return false;
  const u64 hart = offset / 4;
  if (hart < harts_.size()) set_mip(*harts_[hart], core::csr::kMSIP, value & 1);
  return true;
}

AclintMtimer::AclintMtimer(std::vector<core::Hart*> harts, core::VirtualClock& clock, u64 frequency_hz)
    : harts_(std::move(harts)), clock_(clock), frequency_(frequency_hz) {
  if (harts_.size() > kMaxHarts) harts_.resize(kMaxHarts);  // the board never passes more
  state_.num_harts = static_cast<u32>(harts_.size());
  state_.deadline_ns.fill(kNotArmed);
}

void AclintMtimer::qemu_post_load() {
  for (unsigned k = 0; k < harts_.size(); ++k) write_timecmp(k, state_.mtimecmp[k], false);
}

u64 AclintMtimer::mtime(bool during_instruction) const {
  const u64 ns = during_instruction ? clock_.now_ns_inclusive() : clock_.now_ns();
  const unsigned __int128 ticks = static_cast<unsigned __int128>(ns) * frequency_ / kNs;
  return static_cast<u64>(ticks) + state_.time_delta;
}

u64 AclintMtimer::read_time_csr(void* self) { return static_cast<AclintMtimer*>(self)->mtime(); }

void AclintMtimer::reset() {
  state_.time_delta = 0;
  for (unsigned k = 0; k < harts_.size(); ++k) write_timecmp(k, 0, false);
}

// As QEMU's riscv_aclint_mtimer_write_timecmp: pending at once if mtimecmp <= mtime, else
// armed for now + (mtimecmp - mtime) ticks, counted from the writing instruction.
void AclintMtimer::write_timecmp(unsigned hart, u64 value, bool during_instruction) {
  state_.mtimecmp[hart] = value;
  const u64 now = mtime(during_instruction);
  if (value <= now) {
    set_mip(*harts_[hart], core::csr::kMTIP, true);
    state_.deadline_ns[hart] = kNotArmed;
    return;
  }
  set_mip(*harts_[hart], core::csr::kMTIP, false);
  const unsigned __int128 diff_ns = static_cast<unsigned __int128>(value - now) * kNs / frequency_;
  const u64 now_ns = during_instruction ? clock_.now_ns_inclusive() : clock_.now_ns();
  const unsigned __int128 deadline = now_ns + diff_ns;
  state_.deadline_ns[hart] = deadline >= kNotArmed ? kNotArmed - 1 : static_cast<u64>(deadline);
}

u64 AclintMtimer::next_deadline_ns() const {
  u64 next = kNotArmed;
  for (u64 d : state_.deadline_ns) next = d < next ? d : next;
  return next;
}

void AclintMtimer::fire_due() {
  const u64 now = clock_.now_ns();
  for (unsigned k = 0; k < harts_.size(); ++k) {
    if (state_.deadline_ns[k] != kNotArmed && state_.deadline_ns[k] <= now) {
      state_.deadline_ns[k] = kNotArmed;
      write_timecmp(k, state_.mtimecmp[k], false);  // re-checks, re-arms if mtime has not reached it
    }
  }
}

bool AclintMtimer::read(u64 offset, unsigned size, u64& value) {
  if ((size != 4 && size != 8) || (offset & (size - 1)) || offset >= kMtimerEnd) return false;
  if (offset >= kMtimeOffset) {
    const u64 t = mtime();
    value = size == 8 ? t : (t >> ((offset - kMtimeOffset) * 8)) & 0xffffffff;
    return true;
  }
  const u64 hart = (offset - kMtimecmpBase) / 8;
  if (hart >= harts_.size()) {
    value = 0;
    return true;
  }
  const u64 cmp = state_.mtimecmp[hart];
  value = size == 8 ? cmp : (cmp >> ((offset & 4) * 8)) & 0xffffffff;
  return true;
}

bool AclintMtimer::write(u64 offset, unsigned size, u64 value) {
  if ((size != 4 && size != 8) || (offset & (size - 1)) || offset >= kMtimerEnd) return false;
  if (offset >= kMtimeOffset) {
    const u64 t = merge(mtime(), offset - kMtimeOffset, size, value);
    state_.time_delta += t - mtime();
    for (unsigned k = 0; k < harts_.size(); ++k) write_timecmp(k, state_.mtimecmp[k], true);
    return true;
  }
  const u64 hart = (offset - kMtimecmpBase) / 8;
  if (hart >= harts_.size()) return true;
  write_timecmp(static_cast<unsigned>(hart), merge(state_.mtimecmp[hart], offset & 4, size, value), true);
  return true;
}

}  // namespace lockstep::devices
