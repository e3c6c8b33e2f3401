#pragma once
#include <string>

#include "core/result.h"
#include "core/types.h"

namespace lockstep::tools {

// QEMU's -m spelling: "256" (MiB), "256M", "1G", "512k", "0.5G", optionally "size=..." before it.
Result<core::u64> parse_memory_size(const std::string& text);

struct DriveOption {
  std::string file;
  std::string format = "raw";
  std::string interface = "virtio";
  bool read_only = false;
  bool snapshot = false;
};

// QEMU's -drive spelling: comma-separated key=value (",," is a literal comma):
// file=F,format=raw,if=virtio[,readonly=on|off][,snapshot=on|off]. Other keys are errors.
Result<DriveOption> parse_drive(const std::string& text);

// A plain decimal count with no sign, suffix or overflow ("what" names the option in errors).
Result<core::u64> parse_count(const std::string& text, const char* what);

}  // namespace lockstep::tools
