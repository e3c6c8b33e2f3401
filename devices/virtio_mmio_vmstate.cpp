// The virtio-mmio transport's description. QEMU 7.2 splits this state over the proxy's "virtio_mmio" section
// (subsection "virtio_mmio/state": guest_features[2], vqs[] with num, enabled, desc, avail, used)
// and the device's section, whose "virtio" part (virtio_save: status, isr, queue_sel,
// guest_features, config, per-queue vring.num/desc/last_avail_idx, subsections for the rest) is
// written by hand, not by a vmsd. lockstep keeps one transport section with those names
// ("vdev." prefixes the VirtIODevice part so the two guest_features do not collide) and a small
// section per device model. Not wire-compatible with QEMU (different split, no legacy fields,
// no config-space buffer).
//
// Member coverage (VirtioMmio::State):
//   device_features_sel driver_features_sel driver_features   host_features_sel, guest_features_sel,
//                                                              guest_features (the proxy's halves)
//   queue_num queue_desc queue_avail queue_used queue_ready   vqs.num/desc/avail/used/ready
//   status interrupt_status queue_sel guest_features           vdev.status/isr/queue_sel/guest_features
//   config_generation broken                                   vdev.config_generation, vdev.broken
//   vq[] (VirtqState)                                          vdev.vq, struct "VirtQueue"
//   reserved (and VirtqState::reserved)                        always 0, not migrated; padding filler
// The device models' own state: virtio_blk_vmstate.cpp, virtio_rng_vmstate.cpp.
#include "devices/virtio_mmio_vmstate.h"

#include <type_traits>

namespace lockstep::devices {
namespace {

namespace vm = snapshot::vm;
using M = VirtioMmio::State;
using Q = VirtqState;
constexpr unsigned kQ = virtio::kMaxQueues;

// Tripwires: a new member changes the size and stops the build until it is described above.
static_assert(std::has_unique_object_representations_v<M> && std::has_unique_object_representations_v<Q>);
static_assert(sizeof(Q) == 3 * 8 + 4 + 4 * 2 + 2 + 2, "VirtqState changed: describe the member");
static_assert(sizeof(M) == kQ * sizeof(Q) + 3 * kQ * 8 + virtio::kQueueSelMax / 8 + 8 + 2 * 4 + 3 * 4 + kQ * 2 + 2 +
                               3 + 7,
              "VirtioMmio::State changed: describe the member");

constexpr vm::Field<Q> kQueueFields[] = {
    vm::u64<&Q::desc>("vring.desc"),
    vm::u64<&Q::avail>("vring.avail"),
    vm::u64<&Q::used>("vring.used"),
    vm::u32<&Q::inuse>("inuse"),
    vm::u16<&Q::num>("vring.num"),
    vm::u16<&Q::last_avail_idx>("last_avail_idx"),
    vm::u16<&Q::used_idx>("used_idx"),
    vm::u16<&Q::signalled_used>("signalled_used"),
    vm::u8<&Q::signalled_used_valid>("signalled_used_valid"),
    vm::u8<&Q::notification>("notification"),
};
constexpr vm::Section<Q> kVirtQueue{.name = "VirtQueue", .version = 1, .min_version = 1, .fields = kQueueFields};

constexpr vm::Field<M> kMmioFields[] = {
    vm::u32<&M::device_features_sel>("host_features_sel"),
    vm::u32<&M::driver_features_sel>("guest_features_sel"),
    vm::u32_array<&M::driver_features>("guest_features"),
    vm::u16_array<&M::queue_num>("vqs.num"),
    vm::u64_array<&M::queue_desc>("vqs.desc"),
    vm::u64_array<&M::queue_avail>("vqs.avail"),
    vm::u64_array<&M::queue_used>("vqs.used"),
    vm::u64_array<&M::queue_ready>("vqs.ready"),  // bitmap over all QueueSel values
    vm::u8<&M::status>("vdev.status"),
    vm::u8<&M::interrupt_status>("vdev.isr"),
    vm::u16<&M::queue_sel>("vdev.queue_sel"),
    vm::u64<&M::guest_features>("vdev.guest_features"),
    vm::u32<&M::config_generation>("vdev.config_generation"),
    vm::u8<&M::broken>("vdev.broken"),
    vm::struct_array<&M::vq, &kVirtQueue>("vdev.vq"),
};

// Firecracker-style checks of what the device code indexes or relies on. QueueNum need not be a
// power of two: QEMU 7.2 (and this model) accept any size up to VIRTQUEUE_MAX_SIZE. vqs.num is the
// QueueNum latch, any u16 the guest wrote (QEMU keeps it unchecked too): only vring.num is checked,
// or a guest writing QueueNum = 0xdede would make itself unmigratable (found by fuzz_device_mmio).
Status mmio_post_load(M& s, int) {
  if (s.device_features_sel > 1) return Error{fmt::format("host_features_sel {} is not 0 or 1", s.device_features_sel)};
  if (s.driver_features_sel > 1)
    return Error{fmt::format("guest_features_sel {} is not 0 or 1", s.driver_features_sel)};
  if (s.queue_sel >= virtio::kQueueSelMax)
    return Error{fmt::format("vdev.queue_sel {} is not below {}", s.queue_sel, virtio::kQueueSelMax)};
  if (s.interrupt_status & ~(virtio::kIsrQueue | virtio::kIsrConfig))
    return Error{fmt::format("vdev.isr {:#x} has unknown bits", s.interrupt_status)};
  if (s.broken > 1) return Error{fmt::format("vdev.broken {} is not 0 or 1", s.broken)};
  for (unsigned i = 0; i < kQ; ++i) {
    const Q& q = s.vq[i];
    if (q.num > virtio::kQueueMaxSize)
      return Error{fmt::format("vdev.vq[{}].vring.num {} exceeds {}", i, q.num, virtio::kQueueMaxSize)};
    if (q.inuse != 0)
      return Error{fmt::format("vdev.vq[{}].inuse {}: requests complete synchronously, none can be in flight", i,
                               q.inuse)};
    if (q.signalled_used_valid > 1 || q.notification > 1)
      return Error{fmt::format("vdev.vq[{}]: signalled_used_valid/notification are not 0 or 1", i)};
    const u16 outstanding = static_cast<u16>(q.last_avail_idx - q.used_idx);
    if (outstanding > q.num)  // QEMU's virtio_load wording
      return Error{fmt::format("VQ {} size {:#x} < last_avail_idx {:#x} - used_idx {:#x}", i, q.num,
                               q.last_avail_idx, q.used_idx)};
  }
  return Ok{};
}

constexpr vm::Section<M> kVirtioMmio{
    .name = "virtio-mmio",
    .version = 1,
    .min_version = 1,
    .fields = kMmioFields,
    .post_load = mmio_post_load,
};

}  // namespace

const snapshot::vm::Section<VirtioMmio::State>& virtio_mmio_vmstate() { return kVirtioMmio; }

}  // namespace lockstep::devices
