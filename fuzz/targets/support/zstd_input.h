#pragma once
// Regression inputs for schema targets are kept zstd-compressed (fuzz/regressions/*.json.zst) while
// `lockstep snapshot check` reads plain JSON: targets decompress such an input first, as the
// regression replay does. Output is capped so a zstd bomb is not a finding about the harness.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace lockstep::fuzz {

// nullopt when `bytes` is not a zstd frame (or does not decompress within max_bytes): use it as is.
std::optional<std::string> decompress_zstd(std::span<const std::uint8_t> bytes, std::size_t max_bytes = 64u << 20);

}  // namespace lockstep::fuzz
