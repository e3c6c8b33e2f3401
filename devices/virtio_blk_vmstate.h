#pragma once
// vmstate of VirtioBlk's own state (the transport's is virtio_mmio_vmstate.h).
#include "devices/virtio_blk.h"
#include "snapshot/vmstate.h"

namespace lockstep::devices {

// Section "virtio-blk" v1: the write-cache setting. The disk contents are not migrated.
const snapshot::vm::Section<VirtioBlk::State>& virtio_blk_vmstate();

}  // namespace lockstep::devices
