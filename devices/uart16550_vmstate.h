#pragma once
// vmstate "serial" (QEMU 7.2's hw/char/serial.c vmstate_serial) for Uart16550.
#include "devices/uart16550.h"
#include "snapshot/vmstate.h"

namespace lockstep::devices {

// Section "serial" v3 (min 2). Wire-compatible with QEMU 7.2 (see devices/README.md for the
// lockstep-only subsection and the QEMU subsections lockstep refuses).
const snapshot::vm::Section<Uart16550::State>& uart16550_vmstate();

}  // namespace lockstep::devices
