// Section "riscv_mtimer" v1, as QEMU 7.2: timecmp, a uint64 VARRAY over num_harts.
//
// Member coverage (AclintMtimer::State):
//   mtimecmp       "timecmp" (num_harts entries; the rest stay 0 and are not sent)
//   time_delta     subsection riscv_mtimer/lockstep-time_delta (QEMU 7.2 does not migrate its
//                  time_delta: a guest write to mtime is lost across a QEMU migration)
//   deadline_ns    subsection riscv_mtimer/lockstep-deadlines (QEMU 7.2 does not migrate its
//                  timers; the deadline is fixed when mtimecmp is written, so it cannot be derived)
//   num_harts      configuration, not on the wire (QEMU's VARRAY length is not sent either): a
//                  source with another hart count gives a body of another length, refused on load
//   reserved       always 0, not migrated; padding filler
#include "devices/aclint_mtimer_vmstate.h"

#include <type_traits>

namespace lockstep::devices {
namespace {

namespace vm = snapshot::vm;
using T = AclintMtimer::State;

// Tripwire: a new member changes the size and stops the build until it is described above.
static_assert(std::has_unique_object_representations_v<T>);
static_assert(sizeof(T) == 2 * 8 * AclintMtimer::kMaxHarts + 8 + 4 + 4, "AclintMtimer::State changed: describe it");

bool any_armed(const T& s) {
  for (unsigned k = 0; k < s.num_harts && k < AclintMtimer::kMaxHarts; ++k)
    if (s.deadline_ns[k] != AclintMtimer::kNotArmed) return true;
  return false;
}

constexpr vm::Field<T> kTimeDeltaFields[] = {vm::u64<&T::time_delta>("time_delta")};
constexpr vm::Subsection<T> kTimeDelta{
    .name = "riscv_mtimer/lockstep-time_delta",
    .version = 1,
    .min_version = 1,
    .needed = [](const T& s) { return s.time_delta != 0; },
    .absent = [](T& s) { s.time_delta = 0; },
    .fields = kTimeDeltaFields,
};

constexpr vm::Field<T> kDeadlineFields[] = {vm::varray<&T::deadline_ns, &T::num_harts>("deadline_ns")};
constexpr vm::Subsection<T> kDeadlines{
    .name = "riscv_mtimer/lockstep-deadlines",
    .version = 1,
    .min_version = 1,
    .needed = any_armed,
    // Not sent: nothing armed (a QEMU stream: the board calls AclintMtimer::qemu_post_load()).
    .absent = [](T& s) { s.deadline_ns.fill(AclintMtimer::kNotArmed); },
    .fields = kDeadlineFields,
};

constexpr vm::Field<T> kFields[] = {vm::varray<&T::mtimecmp, &T::num_harts>("timecmp")};
constexpr const vm::Subsection<T>* kSubsections[] = {&kTimeDelta, &kDeadlines};

Status post_load(T& s, int) {
  if (s.num_harts == 0 || s.num_harts > AclintMtimer::kMaxHarts)
    return Error{fmt::format("num_harts {} is not a configured hart count (1..{})", s.num_harts,
                             AclintMtimer::kMaxHarts)};
  for (unsigned k = s.num_harts; k < AclintMtimer::kMaxHarts; ++k)
    if (s.deadline_ns[k] != AclintMtimer::kNotArmed || s.mtimecmp[k] != 0)
      return Error{fmt::format("timecmp/deadline_ns[{}]: no hart {} on this board", k, k)};
  return Ok{};
}

constexpr vm::Section<T> kMtimer{
    .name = "riscv_mtimer",
    .version = 1,
    .min_version = 1,
    .fields = kFields,
    .subsections = kSubsections,
    .post_load = post_load,
};

}  // namespace

const snapshot::vm::Section<AclintMtimer::State>& aclint_mtimer_vmstate() { return kMtimer; }

}  // namespace lockstep::devices
