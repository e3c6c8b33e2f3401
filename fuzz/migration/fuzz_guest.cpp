#include "fuzz/migration/fuzz_guest.h"

#include <filesystem>

#include <fmt/format.h>

namespace lockstep::fuzz::migration {

FuzzGuest bare_metal_guest(const std::string& elf_path, u64 ram_size, u64 max_insns) {
  FuzzGuest g;
  g.name = std::filesystem::path(elf_path).stem().string();
  g.config.bios = "none";
  g.config.kernel = elf_path;
  g.config.ram_size = ram_size;
  g.run_args = {"-bios", "none", "-m", fmt::format("{}K", ram_size >> 10), "-kernel", elf_path};
  g.max_insns = max_insns;
  return g;
}

}  // namespace lockstep::fuzz::migration
