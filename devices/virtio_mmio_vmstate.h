#pragma once
// vmstate of the virtio-mmio transport (VirtioMmio: QEMU's VirtIOMMIOProxy plus the common
// VirtIODevice state and its virtqueues). The device models describe their own state
// (virtio_blk_vmstate.h, virtio_rng_vmstate.h).
#include "devices/virtio_mmio.h"
#include "snapshot/vmstate.h"

namespace lockstep::devices {

// Section "virtio-mmio" v1. lockstep's layout with QEMU's names; not wire-compatible with QEMU
// (devices/README.md says why).
const snapshot::vm::Section<VirtioMmio::State>& virtio_mmio_vmstate();

}  // namespace lockstep::devices
