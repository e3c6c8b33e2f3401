#pragma once
#include <string>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace lockstep::machines::virt {

struct DeviceTreeParams {
  core::u64 ram_size = 0;
  unsigned harts = 1;
  std::string bootargs;
  core::u64 initrd_start = 0, initrd_end = 0;  // both 0: no initrd
  core::u64 seed = 0;  // the machine seed: chosen/rng-seed derives from it (QEMU's is random)
  bool operator==(const DeviceTreeParams&) const = default;
};

// The flattened device tree for the board, built with libfdt, following the node names and
// properties of the tree QEMU 7.2 generates for -M virt (shared/reference/).
Result<std::vector<uint8_t>> build_device_tree(const DeviceTreeParams& params);
// The same, always written afresh (build_device_tree keeps the last tree it built).
Result<std::vector<uint8_t>> write_device_tree(const DeviceTreeParams& params);

// Where QEMU places the tree: 2 MiB-aligned below min(end of RAM, 3 GiB).
core::u64 device_tree_address(core::u64 ram_base, core::u64 ram_size, core::u64 fdt_size);

}  // namespace lockstep::machines::virt
