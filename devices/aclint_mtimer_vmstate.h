#pragma once
// vmstate "riscv_mtimer" (QEMU 7.2's hw/intc/riscv_aclint.c vmstate_riscv_mtimer) for AclintMtimer.
// AclintMswi has no description: its only state is mip.MSIP, which is the hart's ("cpu").
#include "devices/aclint.h"
#include "snapshot/vmstate.h"

namespace lockstep::devices {

// Section "riscv_mtimer" v1: wire-compatible with QEMU 7.2 (VARRAY_UINT32 timecmp over num_harts)
// while mtime was never written and no timer is armed; lockstep-only subsections otherwise.
const snapshot::vm::Section<AclintMtimer::State>& aclint_mtimer_vmstate();

}  // namespace lockstep::devices
