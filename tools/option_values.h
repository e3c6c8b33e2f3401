#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/types.h"

namespace lockstep::tools {

// QEMU's -m spelling: "256" (MiB), "256M", "1G", "512k", "0.5G", optionally "size=..." before it.
Result<core::u64> parse_memory_size(const std::string& text);

struct DriveOption {
  std::string file;
  std::string id;  // if=none: what -device virtio-blk-device,drive=ID names
  std::string format = "raw";
  std::string interface = "virtio";  // virtio (a virtio-mmio disk) or none (attached by -device)
  bool read_only = false;
  bool snapshot = false;
};

// QEMU's KEY=VALUE,KEY=VALUE (",," is a literal comma), in order; `what` starts the errors.
Result<std::vector<std::pair<std::string, std::string>>> parse_key_values(const std::string& text,
                                                                          const std::string& what);

// QEMU's -drive spelling: comma-separated key=value (",," is a literal comma):
// file=F,format=raw,if=virtio|none[,id=ID][,readonly=on|off][,snapshot=on|off]. Other keys are errors.
Result<DriveOption> parse_drive(const std::string& text);

// A plain decimal count with no sign, suffix or overflow ("what" names the option in errors).
Result<core::u64> parse_count(const std::string& text, const char* what);

}  // namespace lockstep::tools
