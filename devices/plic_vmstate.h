#pragma once
// vmstate "riscv_sifive_plic" (QEMU 7.2's hw/intc/sifive_plic.c vmstate_sifive_plic) for Plic.
#include "devices/plic.h"
#include "snapshot/vmstate.h"

namespace lockstep::devices {

// Section "riscv_sifive_plic" v1: wire-compatible with QEMU 7.2 for the same hart count, plus the
// subsection "riscv_sifive_plic/source96" (sent when source 96's priority is non-zero), which a
// machine version for QEMU 7.2-compatible destinations withholds (vm::SaveOptions::withheld_subsections).
const snapshot::vm::Section<Plic::State>& plic_vmstate();
inline constexpr std::string_view kPlicSource96Subsection = "riscv_sifive_plic/source96";

}  // namespace lockstep::devices
