#pragma once
// The hart's vmstate: section "cpu", as QEMU's target/riscv names it.
#include "core/hart.h"
#include "snapshot/vmstate.h"

namespace lockstep::snapshot {

extern const vm::Section<core::Hart> kHartVmstate;

}  // namespace lockstep::snapshot
