#include "machines/virt/virtio_kinds.h"

#include "devices/block_backend.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_blk_vmstate.h"
#include "devices/virtio_net.h"
#include "devices/virtio_net_vmstate.h"
#include "devices/virtio_rng.h"
#include "devices/virtio_rng_vmstate.h"

namespace lockstep::machines::virt {
namespace {

Result<std::unique_ptr<devices::VirtioDevice>> make_blk(const VirtioBuild& b) {
  const DriveConfig& drive = b.device.drive;
  auto backend = devices::BlockBackend::open(drive.file, {drive.read_only, drive.snapshot});
  if (!backend) return backend.error();
  return std::unique_ptr<devices::VirtioDevice>(std::make_unique<devices::VirtioBlk>(std::move(backend.value())));
}

Result<std::unique_ptr<devices::VirtioDevice>> make_rng(const VirtioBuild& b) {
  // The entropy stream derives from the machine seed (determinism contract, rule 3).
  return std::unique_ptr<devices::VirtioDevice>(std::make_unique<devices::VirtioRng>(b.config.seed));
}

// The board connects its frames (VirtMachine::wire_nics): to the echo host or the host backend.
Result<std::unique_ptr<devices::VirtioDevice>> make_net(const VirtioBuild& b) {
  return std::unique_ptr<devices::VirtioDevice>(
      std::make_unique<devices::VirtioNet>(devices::VirtioNet::Options{b.device.nic.mac}));
}

// Sections are lockstep's layout under QEMU's names (devices/README.md); the k-th device of a kind
// is instance k of its idstr, as QEMU numbers instances of one idstr.
constexpr VirtioKindRow kVirtioKinds[] = {
    {.kind = VirtioDeviceConfig::Kind::Blk,
     .idstr = "virtio-blk",
     .type_name = "virtio-blk-device",
     .make = make_blk,
     .section = virtio_section<devices::VirtioBlk, &devices::virtio_blk_vmstate>},
    {.kind = VirtioDeviceConfig::Kind::Rng,
     .idstr = "virtio-rng",
     .type_name = "virtio-rng-device",
     .make = make_rng,
     .section = virtio_section<devices::VirtioRng, &devices::virtio_rng_vmstate>},
    {.kind = VirtioDeviceConfig::Kind::Net,
     .idstr = "virtio-net",
     .type_name = "virtio-net-device",
     .make = make_net,
     .section = virtio_section<devices::VirtioNet, &devices::virtio_net_vmstate>},
};

}  // namespace

std::span<const VirtioKindRow> virtio_kind_rows() { return kVirtioKinds; }

const VirtioKindRow* find_virtio_kind(VirtioDeviceConfig::Kind kind) {
  for (const VirtioKindRow& row : kVirtioKinds)
    if (row.kind == kind) return &row;
  return nullptr;
}

}  // namespace lockstep::machines::virt
