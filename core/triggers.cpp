// The trigger registers and when a trigger fires, as target/riscv/debug.c of QEMU 7.2 decides it.
// QEMU turns each enabled trigger into a CPU breakpoint (execute) or watchpoint (load/store) and,
// when one is hit, asks every trigger whether it matches; lockstep keeps no such lists but
// derives the same answers from the registers, so the state that migrates is only the registers.
#include "core/triggers.h"

#include <fmt/format.h>

#include "core/csr_bits.h"

namespace lockstep::core {
namespace {

// mcontrol (type 2) and mcontrol6 (type 6) fields.
constexpr u64 kLoad = 1, kStore = 2, kExec = 4;
constexpr u64 kModeU = 8, kModeS = 16, kModeM = 64;
constexpr u64 kAccessBits = kLoad | kStore | kExec;
constexpr u64 kModeBits = kModeU | kModeS | kModeM;
constexpr u64 kType2SizeBits = (u64{3} << 16) | (u64{3} << 21);  // sizelo, sizehi
constexpr u64 kType6SizeBits = u64{0xF} << 16;
constexpr u64 kType6VirtBits = (u64{1} << 23) | (u64{1} << 24);  // vu, vs: kept, never match without H
constexpr unsigned kTypeShift = 60;
constexpr u64 kTypeMcontrol = 2, kTypeMcontrol6 = 6;
constexpr u64 kTinfo = (u64{1} << kTypeMcontrol) | (u64{1} << kTypeMcontrol6);

u64 type_of(u64 tdata1) { return tdata1 >> kTypeShift; }
bool is_address_match(u64 tdata1) { return type_of(tdata1) == kTypeMcontrol || type_of(tdata1) == kTypeMcontrol6; }

// The size field (0 = any access size).
unsigned size_field(u64 tdata1) {
  if (type_of(tdata1) == kTypeMcontrol)
    return static_cast<unsigned>(((tdata1 >> 21) & 3) << 2 | ((tdata1 >> 16) & 3));
  return static_cast<unsigned>((tdata1 >> 16) & 0xF);
}
// QEMU 7.2 knows sizes any, 1, 2, 4 and 8 bytes (encodings 0, 1, 2, 3, 5); a write of another
// size is kept as any.
bool size_supported(unsigned encoding) { return encoding <= 3 || encoding == 5; }

// What a write leaves in tdata1 (type2_mcontrol_validate / type6_mcontrol6_validate): the type,
// a supported size, the mode and access bits. match, chain, action, timing, select, hit and dmode
// read back 0: QEMU matches addresses only, before the access, with a breakpoint exception.
u64 validated(u64 v) {
  const bool type6 = type_of(v) == kTypeMcontrol6;
  u64 out = (type_of(v) << kTypeShift) | (v & (kModeBits | kAccessBits | (type6 ? kType6VirtBits : 0)));
  if (size_supported(size_field(v))) out |= v & (type6 ? kType6SizeBits : kType2SizeBits);
  return out;
}

// QEMU inserts a breakpoint/watchpoint only for a trigger with some mode and some access bit.
bool enabled(u64 tdata1) {
  const u64 modes = kModeBits | (type_of(tdata1) == kTypeMcontrol6 ? kType6VirtBits : 0);
  return is_address_match(tdata1) && (tdata1 & modes) && (tdata1 & kAccessBits);
}

// The bytes QEMU's watchpoint covers: it passes the size *encoding* where a length belongs, so a
// 4-byte trigger covers 3 bytes and an 8-byte one 5; "any" covers 8.
u64 watch_len(u64 tdata1) {
  const unsigned s = size_field(tdata1);
  return s ? s : 8;
}

u8 watch_access(u64 tdata1) {
  return static_cast<u8>(((tdata1 & kLoad) ? kWatchLoad : 0) | ((tdata1 & kStore) ? kWatchStore : 0));
}

bool exec_set(const TriggerState& t, unsigned j) { return enabled(t.tdata1[j]) && (t.tdata1[j] & kExec); }
// cpu_watchpoint_insert refuses a range that wraps past the top of the address space.
bool watch_set(const TriggerState& t, unsigned j) {
  return enabled(t.tdata1[j]) && watch_access(t.tdata1[j]) && t.tdata2[j] + watch_len(t.tdata1[j]) - 1 >= t.tdata2[j];
}

// U, S and M (bits 3, 4, 6) against the current privilege 0, 1, 3: the hart's, not MPRV's.
bool mode_matches(u64 tdata1, Priv p) { return ((tdata1 >> 3) >> static_cast<unsigned>(p)) & 1; }

// QEMU's watchpoint_address_matches, its wrapping arithmetic included.
bool overlaps(u64 start, u64 len, u64 addr, u64 addr_len) {
  const u64 end = start + len - 1, addr_end = addr + addr_len - 1;
  return !(addr > end || start > addr_end);
}

}  // namespace

u64 trigger_csr_read(const Hart& h, u16 n) {
  const TriggerState& t = h.csr.triggers;
  if (n == csr::tselect) return t.tselect;
  if (n == csr::tinfo) return kTinfo;  // every trigger takes both types
  if (t.tselect >= kTriggers) return 0;  // unreachable (writes and loads keep tselect < 2)
  if (n == csr::tdata1) return t.tdata1[t.tselect];
  return n == csr::tdata2 ? t.tdata2[t.tselect] : t.tdata3[t.tselect];
}

void trigger_csr_write(Hart& h, u16 n, u64 v) {
  TriggerState& t = h.csr.triggers;
  if (n == csr::tselect) {
    if (v < kTriggers) t.tselect = v;  // others are ignored, not clamped
    return;
  }
  if (t.tselect >= kTriggers) return;
  if (n == csr::tdata1 && is_address_match(v)) {
    t.tdata1[t.tselect] = validated(v);  // the written type is taken; any other type is ignored
  } else if (n == csr::tdata2 && is_address_match(t.tdata1[t.tselect])) {
    t.tdata2[t.tselect] = v;
  } else {
    return;  // tdata1 of another type, tdata3 (neither type has one in QEMU), tinfo
  }
  rearm_triggers(h);
}

void rearm_triggers(Hart& h) {
  u8 armed = 0;
  for (unsigned j = 0; h.sdtrig && j < kTriggers; ++j) {
    if (exec_set(h.csr.triggers, j)) armed |= kArmedExec;
    if (watch_set(h.csr.triggers, j)) armed |= kArmedWatch;
  }
  const bool start_watching = (armed & kArmedWatch) && !(h.triggers_armed & kArmedWatch);
  h.triggers_armed = armed;
  if (start_watching) flush_translations(h);
}

void reset_triggers(Hart& h) {
  h.csr.triggers = TriggerState{};
  rearm_triggers(h);
}

Status check_trigger_state(const TriggerState& t) {
  if (t.tselect >= kTriggers)
    return Error{fmt::format("env.trigger_cur {} is not a trigger (there are {})", t.tselect, kTriggers)};
  for (unsigned i = 0; i < kTriggers; ++i) {
    if (!is_address_match(t.tdata1[i]) || validated(t.tdata1[i]) != t.tdata1[i])
      return Error{fmt::format("env.tdata1[{}] {:#x} is no mcontrol/mcontrol6 value a write leaves", i, t.tdata1[i])};
    if (t.tdata3[i] != 0) return Error{fmt::format("env.tdata3[{}] is {:#x}; it is never written", i, t.tdata3[i])};
  }
  return Ok{};
}

bool exec_trigger_fires(const Hart& h) {
  const TriggerState& t = h.csr.triggers;
  bool here = false;
  for (unsigned j = 0; j < kTriggers; ++j) here |= exec_set(t, j) && t.tdata2[j] == h.pc;
  if (!here) return false;
  // QEMU's riscv_cpu_debug_check_breakpoint asks whether any breakpoint, not only the one at pc,
  // belongs to an execute trigger for the current mode: two triggers at different addresses,
  // one for U and one for M, both fire in both modes.
  for (unsigned j = 0; j < kTriggers; ++j) {
    if (!exec_set(t, j)) continue;
    for (unsigned i = 0; i < kTriggers; ++i) {
      if (is_address_match(t.tdata1[i]) && (t.tdata1[i] & kExec) && t.tdata2[i] == t.tdata2[j] &&
          mode_matches(t.tdata1[i], h.priv))
        return true;
    }
  }
  return false;
}

bool watch_fires(const Hart& h, u64 addr, u64 len, u8 access) {
  const TriggerState& t = h.csr.triggers;
  for (unsigned j = 0; j < kTriggers; ++j) {
    if (!watch_set(t, j) || !(watch_access(t.tdata1[j]) & access) ||
        !overlaps(t.tdata2[j], watch_len(t.tdata1[j]), addr, len))
      continue;
    // As for breakpoints, any trigger at the watch's address with a common access kind decides.
    for (unsigned i = 0; i < kTriggers; ++i) {
      if (is_address_match(t.tdata1[i]) && (watch_access(t.tdata1[i]) & watch_access(t.tdata1[j])) &&
          t.tdata2[i] == t.tdata2[j] && mode_matches(t.tdata1[i], h.priv))
        return true;
    }
  }
  return false;
}

bool watch_on_page(const Hart& h, u64 va) {
  const u64 page = va & ~(kPageSize - 1);
  for (unsigned j = 0; j < kTriggers; ++j) {
    const TriggerState& t = h.csr.triggers;
    if (watch_set(t, j) && overlaps(t.tdata2[j], watch_len(t.tdata1[j]), page, kPageSize)) return true;
  }
  return false;
}

}  // namespace lockstep::core
