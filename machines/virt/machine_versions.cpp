#include "machines/virt/machine_versions.h"

#include <fmt/format.h>

namespace lockstep::machines::virt {
namespace {

// History (docs/machine-versions.md):
//  virt-1.0  the first release: "serial" v3 (QEMU 7.2's layout; the character time, which QEMU
//            recomputes on load, rides in subsection serial/lockstep-char_transmit_time when the
//            recomputation would be wrong), main RAM "riscv_virt_board.ram".
//  virt-1.1  "serial" v4 carries char_transmit_time as a field and drops that subsection.
//  virt-2.0  the PLIC sends the quirk register of source 96 (subsection riscv_sifive_plic/source96),
//            and main RAM moved to a memory backend named "virt.ram" (the old id is kept by the old
//            versions, exactly as QEMU keeps "pc.ram"/"ppc_spapr.ram" on old machine types).
//  virt-2.1  the harts have Sdtrig as QEMU 7.2's default CPU does (debug=true: tselect, tdata1-3,
//            tinfo, two mcontrol/mcontrol6 triggers) and send subsection cpu/debug; older
//            versions keep no triggers (the CSRs trap), so what they run and write is unchanged.
constexpr MachineVersion kVersions[] = {
    {"virt-1.0", "RISC-V VirtIO board, release 1.0", "riscv_virt_board.ram", 3, false, false},
    {"virt-1.1", "RISC-V VirtIO board, release 1.1", "riscv_virt_board.ram", 4, false, false},
    {"virt-2.0", "RISC-V VirtIO board, release 2.0", "virt.ram", 4, true, false},
    {"virt-2.1", "RISC-V VirtIO board, release 2.1", "virt.ram", 4, true, true},
};

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
