#include "machines/virt/machine_versions.h"

#include <fmt/format.h>

namespace lockstep::machines::virt {
namespace {

// Each release is the one before plus named edits (docs/machine-versions.md has the history).
// A release, once made, is never edited: a change is a new version with its own edits.

// The first release: "serial" v3 (QEMU 7.2's layout; the character time, which QEMU recomputes on
// load, rides in subsection serial/lockstep-char_transmit_time when the recomputation would be
// wrong), main RAM "riscv_virt_board.ram", no source96 subsection, no Sdtrig.
constexpr Compat kVirt_1_0 = Compat{};
// "serial" v4 carries char_transmit_time as a field and drops that subsection.
constexpr Compat kVirt_1_1 = kVirt_1_0.with_serial_version(4);
// Main RAM moved to a memory backend named "virt.ram" (the old id stays with the old versions, as
// QEMU keeps "pc.ram"/"ppc_spapr.ram" on old machine types), and the PLIC sends the quirk register
// of source 96 (subsection riscv_sifive_plic/source96).
constexpr Compat kVirt_2_0 = kVirt_1_1.with_main_ram_id("virt.ram").with_plic_source96(true);
// The harts have Sdtrig as QEMU 7.2's default CPU does (debug=true: tselect, tdata1-3, tinfo, two
// mcontrol/mcontrol6 triggers) and send subsection cpu/debug; older versions keep no triggers (the
// CSRs trap), so what they run and write is unchanged.
constexpr Compat kVirt_2_1 = kVirt_2_0.with_cpu_debug(true);

constexpr MachineVersion kVersions[] = {
    {.name = "virt-1.0", .description = "RISC-V VirtIO board, release 1.0", .compat = kVirt_1_0},
    {.name = "virt-1.1", .description = "RISC-V VirtIO board, release 1.1", .compat = kVirt_1_1},
    {.name = "virt-2.0", .description = "RISC-V VirtIO board, release 2.0", .compat = kVirt_2_0},
    {.name = "virt-2.1", .description = "RISC-V VirtIO board, release 2.1", .compat = kVirt_2_1},
};

// The released properties, as they were before Compat existed: a tripwire against editing a
// released version by accident (a new property's default must keep these true).
static_assert(kVirt_1_0 == Compat{.main_ram_id = "riscv_virt_board.ram", .serial_version = 3,
                                  .plic_source96 = false, .cpu_debug = false});
static_assert(kVirt_1_1 == Compat{.main_ram_id = "riscv_virt_board.ram", .serial_version = 4,
                                  .plic_source96 = false, .cpu_debug = false});
static_assert(kVirt_2_0 == Compat{.main_ram_id = "virt.ram", .serial_version = 4, .plic_source96 = true,
                                  .cpu_debug = false});
static_assert(kVirt_2_1 == Compat{.main_ram_id = "virt.ram", .serial_version = 4, .plic_source96 = true,
                                  .cpu_debug = true});

}  // namespace

std::span<const MachineVersion> machine_versions() { return kVersions; }

const MachineVersion& newest_machine_version() { return kVersions[std::size(kVersions) - 1]; }

std::optional<MachineVersion> find_machine_version(std::string_view name) {
  if (name == "virt") return newest_machine_version();
  for (const MachineVersion& v : kVersions)
    if (v.name == name) return v;
  return std::nullopt;
}

std::string machine_version_help() {
  std::string out = "Supported machines:\n";
  out += fmt::format("{:<20} {} (alias of {})\n", "virt", "RISC-V VirtIO board, newest version",
                     newest_machine_version().name);
  for (auto it = std::rbegin(kVersions); it != std::rend(kVersions); ++it)
    out += fmt::format("{:<20} {}\n", it->name, it->description);
  return out;
}

}  // namespace lockstep::machines::virt
