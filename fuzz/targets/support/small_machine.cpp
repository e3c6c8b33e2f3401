#include "fuzz/targets/support/small_machine.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "fuzz/targets/support/memory_file.h"

namespace lockstep::fuzz {

namespace virt = machines::virt;

virt::VirtConfig small_machine_config(const std::string& machine) {
  static MemoryFile* disk = [] {
    auto* f = new MemoryFile("lockstep-fuzz-disk");
    f->assign(std::vector<std::uint8_t>(kScratchDiskBytes, 0));
    return f;
  }();
  virt::VirtConfig c;
  c.machine = machine;
  c.ram_size = kSmallRamBytes;
  c.bios = "none";
  // The disk first, then the rng: the slots these seeds and corpora were made with.
  c.virtio.push_back({virt::VirtioDeviceConfig::Kind::Blk, virt::DriveConfig{disk->path(), false, true}, {}});
  c.virtio.push_back({virt::VirtioDeviceConfig::Kind::Rng, {}, {}});
  return c;
}

std::unique_ptr<virt::VirtMachine> make_small_machine(const std::string& machine) {
  auto m = virt::VirtMachine::create(small_machine_config(machine), [](std::uint8_t) {});
  if (!m) {
    std::fprintf(stderr, "fuzz harness: cannot build machine %s: %s\n", machine.c_str(), m.error().message.c_str());
    std::abort();
  }
  return std::move(m.value());
}

void park_harts(virt::VirtMachine& m) {
  const std::uint8_t jump_to_self[] = {0x6f, 0x00, 0x00, 0x00};  // jal x0, 0
  m.bus().load_image(0x80000000, jump_to_self, sizeof(jump_to_self));
}

}  // namespace lockstep::fuzz
