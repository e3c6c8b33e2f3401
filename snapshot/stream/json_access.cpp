#include "snapshot/stream/json_access.h"

#include <optional>

#include <fmt/format.h>

namespace lockstep::snapshot::stream {

Result<Json> parse_json(std::string_view text, std::string_view what) {
  // The parser itself is iterative; the depth is bounded for everything that recurses afterwards.
  // A subtree past the bound is dropped by the callback (not built), then the whole input refused.
  bool too_deep = false;
  const Json::parser_callback_t bound = [&too_deep](int depth, Json::parse_event_t event, Json&) {
    if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) &&
        depth >= kMaxJsonDepth) {
      too_deep = true;
      return false;
    }
    return !too_deep;
  };
  Json j = Json::parse(text.begin(), text.end(), bound, /*allow_exceptions=*/false);
  if (too_deep) return Error{fmt::format("{}: JSON nested deeper than {} levels", what, kMaxJsonDepth)};
  if (j.is_discarded()) return Error{fmt::format("{}: the JSON does not parse", what)};
  return j;
}

std::string json_text(const Json& j, int indent) {
  return j.dump(indent, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

const Json* json_member(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(std::string(key));
  return it == obj.end() ? nullptr : &*it;
}

std::string json_string_or(const Json& obj, std::string_view key, std::string fallback) {
  const Json* v = json_member(obj, key);
  return v && v->is_string() ? v->get<std::string>() : std::move(fallback);
}

namespace {
// Parsed non-negative integers are "unsigned"; integers built in C++ from a signed type are not.
std::optional<std::uint64_t> as_u64(const Json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(v.get<std::int64_t>());
  return std::nullopt;
}
}  // namespace

std::uint64_t json_u64_or(const Json& obj, std::string_view key, std::uint64_t fallback) {
  const Json* v = json_member(obj, key);
  return v ? as_u64(*v).value_or(fallback) : fallback;
}

bool json_bool_or(const Json& obj, std::string_view key, bool fallback) {
  const Json* v = json_member(obj, key);
  return v && v->is_boolean() ? v->get<bool>() : fallback;
}

namespace {
std::string member_path(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}
}  // namespace

Result<std::string> json_string(const Json& obj, std::string_view key, std::string_view path) {
  const Json* v = json_member(obj, key);
  if (!v) return Error{fmt::format("{} is missing", member_path(path, key))};
  if (!v->is_string()) return Error{fmt::format("{} is not a string", member_path(path, key))};
  return v->get<std::string>();
}

Result<std::uint64_t> json_u64(const Json& obj, std::string_view key, std::string_view path) {
  const Json* v = json_member(obj, key);
  if (!v) return Error{fmt::format("{} is missing", member_path(path, key))};
  auto n = as_u64(*v);
  if (!n) return Error{fmt::format("{} is not a non-negative integer", member_path(path, key))};
  return *n;
}

}  // namespace lockstep::snapshot::stream
