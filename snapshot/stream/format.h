#pragma once
// Wire constants of QEMU's migration stream (see /work/shared/qemu-stream-format.md).
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace lockstep::snapshot::stream {

inline constexpr std::uint32_t kMagic = 0x5145564d;  // "QEVM"
inline constexpr std::uint32_t kVersion = 3;

enum SectionType : std::uint8_t {
  kEof = 0x00,
  kStart = 0x01,
  kPart = 0x02,
  kEnd = 0x03,
  kFull = 0x04,
  kSubsection = 0x05,
  kVmDescription = 0x06,
  kConfiguration = 0x07,
  kCommand = 0x08,
  kFooter = 0x7e,
};

const char* section_type_name(std::uint8_t type);

// JSON with the key order kept (QEMU's vmdesc order is meaningful for byte-exact rewrites).
using Json = nlohmann::ordered_json;

// QEMU's JSONWriter layout: ", " between items, ": " after keys (not nlohmann's compact dump).
std::string to_qemu_json(const Json& j);

}  // namespace lockstep::snapshot::stream
