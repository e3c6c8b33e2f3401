#pragma once
// The versions of the virt machine type. Each version is a typed Compat: the previous version plus
// named edits (machine_versions.cpp), so a version reads as the list of what changed in it. Compat
// properties change what goes on the wire (never what the guest sees from its devices): the version
// a device section is written with, whether a subsection can be sent, a RAM block's name; one,
// cpu_debug, is a CPU feature, as QEMU's compat properties also set CPU properties for old machine
// types. `virt` is an alias of the newest version, as QEMU's unversioned names are; a stream names
// the resolved version in its configuration section, so a virt-1.0 stream loads only into virt-1.0.
// docs/machine-versions.md has the table and the history behind each property; the board table
// (board_devices.cpp) turns the wire properties into each section's save options.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace lockstep::machines::virt {

// Every knob a machine version can turn. The defaults are the first release's (virt-1.0), so a
// property added later defaults to what every released version already does, and only the new
// version's edit turns it: released versions are never edited.
struct Compat {
  std::string_view main_ram_id = "riscv_virt_board.ram";  // RAM block id of main memory
  int serial_version = 3;     // vmstate version the UART ("serial") section is written with
  bool plic_source96 = false;  // whether subsection riscv_sifive_plic/source96 may be sent
  // QEMU's "debug" CPU property: Sdtrig triggers (tselect, tdata1-3, tinfo) and subsection
  // cpu/debug. The one property the guest sees: without it those CSRs raise illegal instruction.
  bool cpu_debug = false;

  // Named edits: each returns a copy with one property changed.
  constexpr Compat with_main_ram_id(std::string_view id) const {
    Compat c = *this;
    c.main_ram_id = id;
    return c;
  }
  constexpr Compat with_serial_version(int v) const {
    Compat c = *this;
    c.serial_version = v;
    return c;
  }
  constexpr Compat with_plic_source96(bool on) const {
    Compat c = *this;
    c.plic_source96 = on;
    return c;
  }
  constexpr Compat with_cpu_debug(bool on) const {
    Compat c = *this;
    c.cpu_debug = on;
    return c;
  }
  constexpr bool operator==(const Compat&) const = default;
};

struct MachineVersion {
  std::string_view name;         // "virt-1.0"
  std::string_view description;  // one line for -M help
  Compat compat;
};

// Oldest first; the last one is what plain `virt` means.
std::span<const MachineVersion> machine_versions();
const MachineVersion& newest_machine_version();
// "virt" resolves to the newest version; an unknown name gives nullopt.
std::optional<MachineVersion> find_machine_version(std::string_view name);
// The -M help text.
std::string machine_version_help();

}  // namespace lockstep::machines::virt
