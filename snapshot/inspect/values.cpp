#include "snapshot/inspect/values.h"

#include <array>
#include <string_view>

#include <fmt/format.h>

#include "snapshot/stream/json_access.h"

namespace lockstep::snapshot::inspect {

namespace {

// analyze-migration.py's vmsd_field_readers: which types it reads as integers, and as which sign.
// (It maps "uint8 equal" and "uint16 equal" to its signed reader; kept, so values render alike.)
// "int32 le" is VMSTATE_INT32_POSITIVE_LE: "less or equal" (checked on load), big-endian on the wire.
enum class IntKind { kNone, kUnsigned, kSigned };
IntKind int_kind(std::string_view type) {
  constexpr std::array<std::string_view, 5> kUnsigned = {"uint8", "uint16", "uint32", "uint32 equal", "uint64"};
  constexpr std::array<std::string_view, 9> kSigned = {"int8",  "int16",       "int32",       "int32 equal",  "int32 le",
                                                       "int64", "int64 equal", "uint8 equal", "uint16 equal"};
  for (auto t : kUnsigned)
    if (t == type) return IntKind::kUnsigned;
  for (auto t : kSigned)
    if (t == type) return IntKind::kSigned;
  return IntKind::kNone;
}

}  // namespace

std::string hex_bytes(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i) out += ' ';
    out += fmt::format("{:02x}", bytes[i]);
  }
  return out;
}

Json format_value(const Json& field, std::span<const std::uint8_t> bytes) {
  const std::string type = stream::json_string_or(field, "type");
  if (const std::uint64_t size = stream::json_u64_or(field, "size", 0); bytes.empty() && size > 0)
    return Json(fmt::format("({} bytes, not read: over the 1 MiB a value may have)", size));
  if (type == "bool" && bytes.size() == 1) return Json(bytes[0] != 0);
  const IntKind kind = int_kind(type);
  const std::size_t n = bytes.size();
  if (kind == IntKind::kNone || !(n == 1 || n == 2 || n == 4 || n == 8)) return Json(hex_bytes(bytes));
  std::uint64_t u = 0;
  for (auto b : bytes) u = u << 8 | b;
  std::string text = fmt::format("0x{:0{}x}", u, n * 2);
  if (kind != IntKind::kUnsigned && (u >> (8 * n - 1)) != 0) {
    // Sign-extend to 64 bits: the value is negative in its own width.
    const std::int64_t s = n == 8 ? static_cast<std::int64_t>(u) : static_cast<std::int64_t>(u - (std::uint64_t{1} << (8 * n)));
    text += fmt::format(" ({})", s);
  }
  return Json(text);
}

std::string value_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  return stream::json_text(value);
}

void insert_value(Json& fields, const stream::FieldPath& path, Json value) {
  Json* at = &fields;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto& step = path[i];
    const bool last = i + 1 == path.size();
    if (step.kind == stream::PathStep::kIndex) {
      if (!at->is_array()) *at = Json::array();
      // Indexes come from the VM description; a wild one is appended rather than padded to.
      if (step.index < at->size() + 4096)
        while (at->size() <= step.index) at->push_back(nullptr);
      else
        at->push_back(nullptr);
      at = step.index < at->size() ? &(*at)[step.index] : &at->back();
    } else {
      if (!at->is_object()) *at = Json::object();
      at = &(*at)[step.name];
    }
    if (last) *at = std::move(value);
  }
}

}  // namespace lockstep::snapshot::inspect
