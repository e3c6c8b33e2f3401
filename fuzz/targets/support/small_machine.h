#pragma once
// The machine the stream, device and virtio targets build: QEMU's virt board as lockstep plays it,
// small (8 MiB: the smallest RAM whose device tree, placed in the top 2 MiB, leaves the start of RAM
// alone), -bios none, no kernel, with a virtio-rng device and one virtio-blk disk (a 64 KiB scratch
// image, snapshot=on) so every device model is present. fuzz/corpus/make_seeds.sh saves its seed
// streams with the same options, so the seeds load.
#include <memory>
#include <string>

#include "machines/virt/virt_machine.h"

namespace lockstep::fuzz {

inline constexpr core::u64 kSmallRamBytes = core::u64{8} << 20;
inline constexpr core::u64 kScratchDiskBytes = 64 * 1024;

// `machine`: a version name ("virt-1.0") or "virt".
machines::virt::VirtConfig small_machine_config(const std::string& machine);
// Aborts if the configuration itself cannot be built (a harness bug, not a finding about the input).
std::unique_ptr<machines::virt::VirtMachine> make_small_machine(const std::string& machine);
// Puts `j .` at the start of RAM, where a -bios none machine without a kernel starts: running the
// machine then only advances the instruction count (and the devices' virtual time).
void park_harts(machines::virt::VirtMachine& m);

}  // namespace lockstep::fuzz
