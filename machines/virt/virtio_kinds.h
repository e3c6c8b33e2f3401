#pragma once
// The virtio devices a virtio-mmio slot can hold, as a table (virtio_kinds.cpp, kVirtioKinds): a row
// per VirtioDeviceConfig::Kind says how the device is built from its command-line entry and which
// snapshot section it is (idstr, QEMU type name, description). The board builds, orders and
// saves the devices by these rows; nothing else switches on the kind.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "devices/virtio_queue.h"
#include "machines/virt/machine_section.h"
#include "machines/virt/virt_machine.h"

namespace lockstep::machines::virt {

// What a kind's make() gets.
struct VirtioBuild {
  const VirtConfig& config;
  const VirtioDeviceConfig& device;  // its entry in config.virtio
  unsigned kind_index;  // how many devices of this kind come before it (NIC index, default MACs)
};

struct VirtioKindRow {
  VirtioDeviceConfig::Kind kind;
  std::string_view idstr;      // section idstr; the k-th device of this kind is instance k
  std::string_view type_name;  // QEMU's type name (-dump-vmstate key, -device name)
  Result<std::unique_ptr<devices::VirtioDevice>> (*make)(const VirtioBuild& build) = nullptr;
  // virtio_section<T, &description>: the device's section (the device was built by this row's make).
  std::unique_ptr<MachineSection> (*section)(devices::VirtioDevice& device, std::string idstr,
                                             std::uint32_t instance, std::string type_name,
                                             WireOptions wire) = nullptr;
  // The machine version's wire options for the section (null: the description's own version).
  WireOptions (*wire)(const Compat& compat) = nullptr;
};

template <class T, auto Description>
std::unique_ptr<MachineSection> virtio_section(devices::VirtioDevice& device, std::string idstr,
                                               std::uint32_t instance, std::string type_name, WireOptions wire) {
  return device_section<T, Description>(static_cast<T&>(device), std::move(idstr), instance, std::move(type_name),
                                        std::move(wire));
}

std::span<const VirtioKindRow> virtio_kind_rows();
// The row of a kind; null for a kind without a row (the build reports it).
const VirtioKindRow* find_virtio_kind(VirtioDeviceConfig::Kind kind);

}  // namespace lockstep::machines::virt
