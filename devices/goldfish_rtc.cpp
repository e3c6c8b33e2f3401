#include "devices/goldfish_rtc.h"

#include <type_traits>

namespace lockstep::devices {
namespace {

static_assert(std::has_unique_object_representations_v<GoldfishRtc::State>, "State must have no padding");

constexpr u64 kTimeLow = 0x00, kTimeHigh = 0x04, kAlarmLow = 0x08, kAlarmHigh = 0x0c, kIrqEnabled = 0x10,
              kClearAlarm = 0x14, kAlarmStatus = 0x18, kClearInterrupt = 0x1c;

bool valid_access(u64 offset, unsigned size) {
  if (size != 4 && size != 8) return false;
  return (offset & (size - 1)) == 0 && offset < GoldfishRtc::kWindowSize && size <= GoldfishRtc::kWindowSize - offset;
}

// QEMU's deposit64(value, shift, 32, field).
u64 deposit32(u64 value, unsigned shift, u32 field) {
  return (value & ~(u64{0xffffffff} << shift)) | (u64{field} << shift);
}

}  // namespace

GoldfishRtc::GoldfishRtc(const core::VirtualClock& clock, u64 base_ns, IrqLine irq) : clock_(clock), irq_(irq) {
  // QEMU's realize: tick_offset = wall-clock base - rtc clock now.
  state_.tick_offset = base_ns - clock_.now_ns();
}

u64 GoldfishRtc::time_ns(bool during_instruction) const {
  return state_.tick_offset + (during_instruction ? clock_.now_ns_inclusive() : clock_.now_ns());
}

void GoldfishRtc::reset() {
  state_.alarm_deadline_ns = kNotArmed;
  state_.alarm_next = 0;
  state_.alarm_running = 0;
  state_.irq_pending = 0;
  state_.irq_enabled = 0;
}

void GoldfishRtc::update_irq() { irq_.set(state_.irq_pending && state_.irq_enabled); }

void GoldfishRtc::alarm_interrupt() {
  state_.alarm_running = 0;
  state_.irq_pending = 1;
  update_irq();
}

// QEMU's goldfish_rtc_set_alarm (during the ALARM_LOW write, or after loading a QEMU stream).
void GoldfishRtc::set_alarm(bool during_instruction) {
  const u64 ticks = time_ns(during_instruction);
  const u64 event = state_.alarm_next;
  if (event <= ticks) {
    state_.alarm_deadline_ns = kNotArmed;  // goldfish_rtc_clear_alarm
    state_.alarm_running = 0;
    alarm_interrupt();
    return;
  }
  // timer_mod(timer, event - tick_offset): QEMU's expiry is an int64 clamped at 0, so an alarm
  // more than 2^63 ns past the offset fires at once.
  const u64 deadline = event - state_.tick_offset;
  state_.alarm_deadline_ns = static_cast<int64_t>(deadline) < 0 ? 0 : deadline;
  state_.alarm_running = 1;
}

void GoldfishRtc::qemu_post_load() { set_alarm(false); }

void GoldfishRtc::fire_due() {
  if (state_.alarm_deadline_ns == kNotArmed || clock_.now_ns() < state_.alarm_deadline_ns) return;
  state_.alarm_deadline_ns = kNotArmed;
  alarm_interrupt();
}

u32 GoldfishRtc::register_value(u64 offset, bool during_instruction) const {
  switch (offset) {
    case kTimeLow: return static_cast<u32>(time_ns(during_instruction));
    case kTimeHigh: return state_.time_high;
    case kAlarmLow: return static_cast<u32>(state_.alarm_next);
    case kAlarmHigh: return static_cast<u32>(state_.alarm_next >> 32);
    case kIrqEnabled: return state_.irq_enabled;
    case kAlarmStatus: return state_.alarm_running;
    default: return 0;  // CLEAR_ALARM, CLEAR_INTERRUPT (write-only), 0x20
  }
}

u32 GoldfishRtc::read_register(u64 offset) {
  if (offset == kTimeLow) {
    const u64 t = time_ns(true);
    state_.time_high = static_cast<u32>(t >> 32);
    return static_cast<u32>(t);
  }
  return register_value(offset, true);
}

void GoldfishRtc::write_register(u64 offset, u32 value) {
  State& s = state_;
  switch (offset) {
    case kTimeLow:
    case kTimeHigh: {
      const u64 current = time_ns(true);
      const u64 wanted = deposit32(current, offset == kTimeLow ? 0 : 32, value);
      s.tick_offset += wanted - current;
      break;
    }
    case kAlarmLow:
      s.alarm_next = deposit32(s.alarm_next, 0, value);
      set_alarm(true);
      break;
    case kAlarmHigh: s.alarm_next = deposit32(s.alarm_next, 32, value); break;
    case kIrqEnabled:
      s.irq_enabled = value & 1;
      update_irq();
      break;
    case kClearAlarm:
      s.alarm_deadline_ns = kNotArmed;
      s.alarm_running = 0;
      break;
    case kClearInterrupt:
      s.irq_pending = 0;
      update_irq();
      break;
    default: break;  // ALARM_STATUS is read-only; 0x20 is nothing
  }
}

bool GoldfishRtc::read(u64 offset, unsigned size, u64& value) {
  if (!valid_access(offset, size)) return false;
  value = read_register(offset);
  if (size == 8) value |= u64{read_register(offset + 4)} << 32;
  return true;
}

bool GoldfishRtc::peek(u64 offset, unsigned size, u64& value) const {
  if (!valid_access(offset, size)) return false;
  value = register_value(offset, false);
  if (size == 8) {
    // An 8-byte read at 0 latches TIME_HIGH first: peek shows the coherent 64-bit time.
    value |= u64{offset == kTimeLow ? static_cast<u32>(time_ns(false) >> 32) : register_value(offset + 4, false)} << 32;
  }
  return true;
}

bool GoldfishRtc::write(u64 offset, unsigned size, u64 value) {
  if (!valid_access(offset, size)) return false;
  write_register(offset, static_cast<u32>(value));
  if (size == 8) write_register(offset + 4, static_cast<u32>(value >> 32));
  return true;
}

}  // namespace lockstep::devices
