#pragma once
// The versions of the virt machine type. Each version is the newest machine plus a set of compat
// properties that change what goes on the wire (never what the guest sees from its devices):
// the version a device section is written with, whether a subsection can be sent, a RAM block's
// name; one, cpu_debug, is a CPU feature, as QEMU's compat properties also set CPU properties
// for old machine types. `virt` is an alias of the newest version, as QEMU's unversioned names are; a stream names
// the resolved version in its configuration section, so a virt-1.0 stream loads only into virt-1.0.
// docs/machine-versions.md has the table and the history behind each property.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace lockstep::machines::virt {

struct MachineVersion {
  std::string_view name;         // "virt-1.0"
  std::string_view description;  // one line for -M help
  std::string_view main_ram_id;  // RAM block id of main memory
  int serial_version;            // vmstate version the UART ("serial") section is written with
  bool plic_migrate_source96;    // whether subsection riscv_sifive_plic/source96 may be sent
  // QEMU's "debug" CPU property: Sdtrig triggers (tselect, tdata1-3, tinfo) and subsection
  // cpu/debug. The one property the guest sees: without it those CSRs raise illegal instruction.
  bool cpu_debug;
};

// Oldest first; the last one is what plain `virt` means.
std::span<const MachineVersion> machine_versions();
const MachineVersion& newest_machine_version();
// "virt" resolves to the newest version; an unknown name gives nullopt.
std::optional<MachineVersion> find_machine_version(std::string_view name);
// The -M help text.
std::string machine_version_help();

}  // namespace lockstep::machines::virt
