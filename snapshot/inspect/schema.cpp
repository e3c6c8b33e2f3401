#include "snapshot/inspect/schema.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "snapshot/stream/json_access.h"

namespace lockstep::snapshot::inspect {

namespace {
constexpr std::uint64_t kMaxSchemaBytes = 64u << 20;
// JSON written by hand or by nlohmann from a signed int is "integer", from a parser "unsigned".
bool is_count(const Json& j) { return j.is_number_integer() && j.get<std::int64_t>() >= 0; }
}  // namespace

Result<MachineSchema> parse_schema(const Json& j, const std::string& origin) {
  if (!j.is_object()) return Error{fmt::format("{}: not a JSON object", origin)};
  MachineSchema m;
  m.origin = origin;
  if (!j.contains("vmstate")) {
    // Plain -dump-vmstate output.
    m.vmstate = j;
    if (j.contains("vmschkmachine") && j["vmschkmachine"].is_object())
      m.machine = stream::json_string_or(j["vmschkmachine"], "Name");
    return m;
  }
  if (!j["vmstate"].is_object()) return Error{fmt::format("{}: \"vmstate\" is not an object", origin)};
  m.vmstate = j["vmstate"];
  if (j.contains("machine")) {
    if (!j["machine"].is_string()) return Error{fmt::format("{}: \"machine\" is not a string", origin)};
    m.machine = j["machine"].get<std::string>();
  }
  if (m.machine.empty() && m.vmstate.contains("vmschkmachine"))
    m.machine = stream::json_string_or(m.vmstate["vmschkmachine"], "Name");
  if (j.contains("page_size")) {
    if (!is_count(j["page_size"])) return Error{fmt::format("{}: \"page_size\" is not a number", origin)};
    m.page_size = j["page_size"].get<std::uint64_t>();
  }
  if (j.contains("ram_blocks")) {
    if (!j["ram_blocks"].is_array()) return Error{fmt::format("{}: \"ram_blocks\" is not a list", origin)};
    m.ram_blocks.emplace();
    for (const auto& b : j["ram_blocks"]) {
      if (!b.is_object() || !b.contains("name") || !b["name"].is_string() || !b.contains("length") ||
          !is_count(b["length"]))
        return Error{fmt::format("{}: each of \"ram_blocks\" needs \"name\" and \"length\"", origin)};
      m.ram_blocks->emplace_back(b["name"].get<std::string>(), b["length"].get<std::uint64_t>());
    }
  }
  if (j.contains("sections")) {
    if (!j["sections"].is_array()) return Error{fmt::format("{}: \"sections\" is not a list", origin)};
    m.sections.emplace();
    for (const auto& s : j["sections"]) {
      if (!s.is_object() || !s.contains("idstr") || !s["idstr"].is_string())
        return Error{fmt::format("{}: each of \"sections\" needs \"idstr\"", origin)};
      SectionIdentity id;
      id.idstr = s["idstr"].get<std::string>();
      id.instance_id = s.contains("instance_id") && is_count(s["instance_id"]) ? s["instance_id"].get<std::uint32_t>() : 0;
      id.vmsd_name = stream::json_string_or(s, "vmsd_name", id.idstr);
      m.sections->push_back(std::move(id));
    }
  }
  if (j.contains("sendable_subsections")) {
    const auto& ss = j["sendable_subsections"];
    if (!ss.is_object()) return Error{fmt::format("{}: \"sendable_subsections\" is not an object", origin)};
    m.sendable_subsections.emplace();
    for (auto it = ss.begin(); it != ss.end(); ++it) {
      auto& set = (*m.sendable_subsections)[it.key()];
      if (!it.value().is_array()) return Error{fmt::format("{}: sendable_subsections.{} is not a list", origin, it.key())};
      for (const auto& n : it.value())
        if (n.is_string()) set.insert(n.get<std::string>());
    }
  }
  return m;
}

Result<MachineSchema> load_schema(const std::string& arg, const MachineSchemaResolver& resolver) {
  struct stat st {};
  if (::stat(arg.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) return Error{fmt::format("{}: not a regular file", arg)};
    if (static_cast<std::uint64_t>(st.st_size) > kMaxSchemaBytes)
      return Error{fmt::format("{}: {} bytes is more than the {} a schema may have", arg, st.st_size, kMaxSchemaBytes)};
    std::ifstream f(arg, std::ios::binary);
    if (!f) return Error{fmt::format("cannot open {}", arg)};
    std::stringstream ss;
    ss << f.rdbuf();
    auto j = stream::parse_json(ss.str(), arg);
    if (!j) return j.error();
    return parse_schema(j.value(), arg);
  }
  if (arg.find('/') == std::string::npos && resolver) return resolver(arg);
  return Error{fmt::format("{}: no such file, and not a machine version name", arg)};
}

}  // namespace lockstep::snapshot::inspect
