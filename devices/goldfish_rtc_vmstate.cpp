// Section "goldfish_rtc" v3, min 0, as `qemu-system-riscv64 -dump-vmstate` of Debian's QEMU 7.2
// lists it: tick_offset_vmstate, alarm_next, alarm_running, irq_pending, irq_enabled, time_high,
// tick_offset (since 3).
//
// Member coverage (GoldfishRtc::State):
//   tick_offset        "tick_offset_vmstate" and "tick_offset" (v3): QEMU sends tick_offset plus
//                      (rtc clock - vm clock) in the first; with the RTC on the virtual clock both
//                      are tick_offset. On load the later one (v3) wins, as in QEMU's post_load.
//   alarm_next alarm_running irq_pending irq_enabled time_high   main section
//   alarm_deadline_ns  derived when the alarm was armed and the time not moved since: QEMU's
//                      timer_mod(event - tick_offset); otherwise subsection
//                      goldfish_rtc/lockstep-alarm_deadline (QEMU re-arms from alarm_next on load)
#include "devices/goldfish_rtc_vmstate.h"

#include <type_traits>

namespace lockstep::devices {
namespace {

namespace vm = snapshot::vm;
using R = GoldfishRtc::State;

// Tripwire: a new member changes the size and stops the build until it is described above.
static_assert(std::has_unique_object_representations_v<R>);
static_assert(sizeof(R) == 3 * 8 + 4 * 4, "GoldfishRtc::State changed: describe the member");

// The deadline goldfish_rtc_set_alarm gives an armed alarm (int64 expiry clamped at 0).
u64 derived_deadline(const R& s) {
  if (!s.alarm_running) return GoldfishRtc::kNotArmed;
  const u64 d = s.alarm_next - s.tick_offset;
  return static_cast<std::int64_t>(d) < 0 ? 0 : d;
}

constexpr vm::Field<R> kDeadlineFields[] = {vm::u64<&R::alarm_deadline_ns>("alarm_deadline_ns")};
constexpr vm::Subsection<R> kDeadline{
    .name = "goldfish_rtc/lockstep-alarm_deadline",
    .version = 1,
    .min_version = 1,
    .needed = [](const R& s) { return s.alarm_deadline_ns != derived_deadline(s); },
    .absent = [](R& s) { s.alarm_deadline_ns = derived_deadline(s); },
    .fields = kDeadlineFields,
};

constexpr vm::Field<R> kFields[] = {
    vm::u64<&R::tick_offset>("tick_offset_vmstate"),
    vm::u64<&R::alarm_next>("alarm_next"),
    vm::u32<&R::alarm_running>("alarm_running"),
    vm::u32<&R::irq_pending>("irq_pending"),
    vm::u32<&R::irq_enabled>("irq_enabled"),
    vm::u32<&R::time_high>("time_high"),
    vm::u64<&R::tick_offset>("tick_offset").since(3),
};
constexpr const vm::Subsection<R>* kSubsections[] = {&kDeadline};

Status post_load(R& s, int) {
  if (s.alarm_running > 1) return Error{fmt::format("alarm_running {} is not 0 or 1", s.alarm_running)};
  if (s.irq_pending > 1) return Error{fmt::format("irq_pending {} is not 0 or 1", s.irq_pending)};
  if (s.irq_enabled > 1) return Error{fmt::format("irq_enabled {} is not 0 or 1", s.irq_enabled)};
  // The device fires and clears the alarm together: armed exactly while running.
  if ((s.alarm_deadline_ns != GoldfishRtc::kNotArmed) != (s.alarm_running != 0))
    return Error{fmt::format("alarm_running {} disagrees with the alarm deadline", s.alarm_running)};
  return Ok{};
}

constexpr vm::Section<R> kGoldfishRtc{
    .name = "goldfish_rtc",
    .version = 3,
    .min_version = 0,
    .fields = kFields,
    .subsections = kSubsections,
    .post_load = post_load,
};

}  // namespace

const snapshot::vm::Section<GoldfishRtc::State>& goldfish_rtc_vmstate() { return kGoldfishRtc; }

}  // namespace lockstep::devices
