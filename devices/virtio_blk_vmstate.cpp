// Section "virtio-blk" v1 (lockstep layout; QEMU's virtio-blk section is the hand-written
// virtio_save stream plus in-flight requests, which lockstep never has: requests complete
// inside the QueueNotify write).
//
// Member coverage (VirtioBlk::State): wce -> "wce" (QEMU: the config space's writeback byte).
// Not migrated: the block backend's contents (shared storage, as QEMU assumes), options and
// geometry (configuration), the request scratch buffers (empty between guest accesses).
#include "devices/virtio_blk_vmstate.h"

namespace lockstep::devices {
namespace {

namespace vm = snapshot::vm;
using B = VirtioBlk::State;

// Tripwire: a new member changes the size and stops the build until it is described above.
static_assert(sizeof(B) == 1, "VirtioBlk::State changed: describe the member");

constexpr vm::Field<B> kFields[] = {vm::u8<&B::wce>("wce")};
constexpr vm::Section<B> kVirtioBlk{
    .name = "virtio-blk",
    .version = 1,
    .min_version = 1,
    .fields = kFields,
    .post_load = [](B& s, int) -> Status {
      if (s.wce > 1) return Error{fmt::format("wce {} is not 0 or 1", s.wce)};
      return Ok{};
    },
};

}  // namespace

const snapshot::vm::Section<VirtioBlk::State>& virtio_blk_vmstate() { return kVirtioBlk; }

}  // namespace lockstep::devices
