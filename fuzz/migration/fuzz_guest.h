#pragma once
// A guest the migration fuzzer runs: its machine configuration (the version is the case's), its
// console script, and the same guest spelled as `lockstep run` options, for reproducers.
#include <string>
#include <vector>

#include "machines/console/console_script.h"
#include "machines/virt/virt_machine.h"

namespace lockstep::fuzz::migration {

using core::u64;

struct FuzzGuest {
  std::string name;  // for reports: the file's stem
  machines::virt::VirtConfig config;
  machines::ConsoleScript script;
  std::vector<std::string> run_args;  // e.g. {"-bios", "none", "-kernel", "/path/hello.elf"}
  u64 max_insns = 0;                  // a bound for guests that never stop; 0: none
};

// A bare-metal ELF as `lockstep run -bios none -m RAM_SIZE -kernel ELF` runs it.
FuzzGuest bare_metal_guest(const std::string& elf_path, u64 ram_size, u64 max_insns);

}  // namespace lockstep::fuzz::migration
