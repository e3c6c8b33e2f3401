#pragma once
#include <string>

#include "core/result.h"
#include "core/types.h"

namespace lockstep::tools {

// QEMU's -m spelling: "256" (MiB), "256M", "1G", "512k", "0.5G", optionally "size=..." before it.
Result<core::u64> parse_memory_size(const std::string& text);

}  // namespace lockstep::tools
