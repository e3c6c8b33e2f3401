#pragma once
#include "devices/net_echo_peer.h"
#include "snapshot/vmstate.h"

namespace lockstep::devices {

// Section "lockstep/netdev-echo" (lockstep's own: QEMU has no such backend).
const snapshot::vm::Section<NetEchoPeer::State>& net_echo_peer_vmstate();

}  // namespace lockstep::devices
