// The ELF loader: parse_elf on any bytes, then, for what parses, `lockstep run -bios none -kernel F`
// building the small machine with it as the kernel (segment placement against RAM, the tohost
// symbol, the device tree after it). The machine is built, not run.
// fuzz-seeds: elf
// fuzz-dict: elf.dict
#include <cstdint>
#include <vector>

#include "fuzz/targets/support/memory_file.h"
#include "fuzz/targets/support/small_machine.h"
#include "machines/boot/elf_image.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lockstep;
  static fuzz::MemoryFile file("elf_loader");
  const std::vector<std::uint8_t> bytes(data, data + size);
  if (!machines::looks_like_elf(bytes)) return 0;
  const auto elf = machines::parse_elf(bytes, "fuzz.elf");
  if (!elf) return 0;
  (void)elf.value().lowest_address();
  (void)elf.value().highest_address();
  file.assign(bytes);
  auto config = fuzz::small_machine_config("virt");
  config.kernel = file.path();
  (void)machines::virt::VirtMachine::create(config, [](std::uint8_t) {});
  return 0;
}
