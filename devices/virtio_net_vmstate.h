#pragma once
// vmstate of VirtioNet's own state (the transport's is virtio_mmio_vmstate.h).
#include "devices/virtio_net.h"
#include "snapshot/vmstate.h"

namespace lockstep::devices {

// Section "virtio-net" v1: the receive filter (modes, MAC table, VLAN table), the current MAC and
// the config status, with the names of QEMU 7.2's vmstate_virtio_net_device.
const snapshot::vm::Section<VirtioNet::State>& virtio_net_vmstate();

}  // namespace lockstep::devices
