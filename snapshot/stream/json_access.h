#pragma once
// Reading JSON that comes from outside (a stream's VM description, a -dump-vmstate or destination
// file) without exceptions. nlohmann throws type_error from value() and get<>() on a wrong type and
// from dump() on invalid UTF-8 (stream idstrs and RAM block names are raw bytes), and recursive code
// over JSON (dump, ==, copies, the walkers) overflows the stack on deep nesting. Every read of such
// JSON goes through these: a wrong type is a fallback (diagnostics) or an Error naming the path.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "snapshot/stream/format.h"

namespace lockstep::snapshot::stream {

// Nesting accepted at parse time. A VM description nests three levels per struct or subsection
// (object, "fields" list, field); the walker stops at 64 such levels, so 256 loses nothing real.
inline constexpr int kMaxJsonDepth = 256;

// `what` names the input in the error: "VM description: JSON nested deeper than 256 levels".
Result<Json> parse_json(std::string_view text, std::string_view what);

// dump() that cannot throw: invalid UTF-8 becomes U+FFFD. indent < 0: one line.
std::string json_text(const Json& j, int indent = -1);

// The member `key`, or nullptr when `obj` is not an object or lacks it.
const Json* json_member(const Json& obj, std::string_view key);

// Lenient reads for messages and heuristics: the member if present with the right type, else `fallback`.
std::string json_string_or(const Json& obj, std::string_view key, std::string fallback = {});
std::uint64_t json_u64_or(const Json& obj, std::string_view key, std::uint64_t fallback);
bool json_bool_or(const Json& obj, std::string_view key, bool fallback);

// Checked reads: a missing member or a wrong type is an Error such as
// "sections[2].idstr is not a string" (`path` names `obj`; empty for the top level).
Result<std::string> json_string(const Json& obj, std::string_view key, std::string_view path);
Result<std::uint64_t> json_u64(const Json& obj, std::string_view key, std::string_view path);

}  // namespace lockstep::snapshot::stream
