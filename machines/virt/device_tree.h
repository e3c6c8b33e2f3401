#pragma once
#include <cstddef>
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

// -dtb FILE: a device tree from the user, treated as QEMU 7.2 treats it (load_device_tree,
// create_fdt's update_bootargs, virt_machine_done): opened into a buffer of (size + 10000) * 2
// bytes, /chosen/bootargs set when `bootargs` is not empty, /chosen/rng-seed set, then
// linux,initrd-start/-end as 32-bit cells when there is an initrd, packed, and the whole buffer
// placed in RAM (its size, not the packed size, decides the address). The same libfdt calls in the
// same order, so the guest sees the bytes QEMU gives it. `text` is the file's contents; `name` is
// for errors.
inline constexpr size_t kMaxUserDeviceTree = size_t{1} << 24;  // QEMU allows INT_MAX / 2; no real tree nears this
Result<std::vector<uint8_t>> user_device_tree(const std::vector<uint8_t>& text, const std::string& name,
                                              const std::string& bootargs, const std::vector<uint8_t>& rng_seed,
                                              core::u64 initrd_start, core::u64 initrd_end);

// Where QEMU places the tree: 2 MiB-aligned below min(end of RAM, 3 GiB).
core::u64 device_tree_address(core::u64 ram_base, core::u64 ram_size, core::u64 fdt_size);

}  // namespace lockstep::machines::virt
