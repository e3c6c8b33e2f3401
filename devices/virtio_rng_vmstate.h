#pragma once
// vmstate of VirtioRng's own state (the transport's is virtio_mmio_vmstate.h).
#include "devices/virtio_rng.h"
#include "snapshot/vmstate.h"

namespace lockstep::devices {

// Section "virtio-rng" v1: the deterministic stream's seed and position (lockstep only: QEMU's
// virtio-rng has no device state of its own).
const snapshot::vm::Section<VirtioRng::State>& virtio_rng_vmstate();

}  // namespace lockstep::devices
