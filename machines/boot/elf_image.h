#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace lockstep::machines {

using core::u64;
using core::u8;

struct ElfSegment {
  u64 paddr = 0;
  u64 memsz = 0;
  std::vector<u8> data;  // filesz bytes; the rest up to memsz is zero
};

// A RISC-V ELF64 executable as the loader needs it: PT_LOAD segments by physical address,
// the entry point, and the symbols the test harnesses look for.
struct ElfImage {
  u64 entry = 0;
  std::vector<ElfSegment> segments;
  std::map<std::string, u64> symbols;  // only named, defined symbols

  u64 lowest_address() const;
  u64 highest_address() const;  // one past the last byte
};

bool looks_like_elf(const std::vector<u8>& bytes);
// Parses with bounds checks on every header, table and string: a malformed file is an Error.
Result<ElfImage> parse_elf(const std::vector<u8>& bytes, const std::string& path);
// Reads a regular, non-empty file of at most max_size bytes (devices, directories, pipes and
// oversized files are errors, so a hostile path cannot hang or exhaust the host).
Result<std::vector<u8>> read_file(const std::string& path, u64 max_size);

}  // namespace lockstep::machines
