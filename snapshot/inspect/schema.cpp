#include "snapshot/inspect/schema.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "snapshot/stream/json_access.h"

namespace lockstep::snapshot::inspect {

namespace {
constexpr std::uint64_t kMaxSchemaBytes = 64u << 20;
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
  // A member of the wrong type is an error naming it: "dest.json: ram_blocks[1].length is not a ...".
  auto in_origin = [&](const Error& e) { return Error{fmt::format("{}: {}", origin, e.message)}; };
  if (j.contains("machine")) {
    auto machine = stream::json_string(j, "machine", {});
    if (!machine) return in_origin(machine.error());
    m.machine = machine.value();
  }
  if (m.machine.empty() && m.vmstate.contains("vmschkmachine"))
    m.machine = stream::json_string_or(m.vmstate["vmschkmachine"], "Name");
  if (j.contains("page_size")) {
    auto page_size = stream::json_u64(j, "page_size", {});
    if (!page_size) return in_origin(page_size.error());
    m.page_size = page_size.value();
  }
  if (j.contains("ram_blocks")) {
    if (!j["ram_blocks"].is_array()) return Error{fmt::format("{}: \"ram_blocks\" is not a list", origin)};
    m.ram_blocks.emplace();
    for (std::size_t i = 0; i < j["ram_blocks"].size(); ++i) {
      const std::string path = fmt::format("ram_blocks[{}]", i);
      auto name = stream::json_string(j["ram_blocks"][i], "name", path);
      if (!name) return in_origin(name.error());
      auto length = stream::json_u64(j["ram_blocks"][i], "length", path);
      if (!length) return in_origin(length.error());
      m.ram_blocks->emplace_back(name.value(), length.value());
    }
  }
  if (j.contains("sections")) {
    if (!j["sections"].is_array()) return Error{fmt::format("{}: \"sections\" is not a list", origin)};
    m.sections.emplace();
    for (std::size_t i = 0; i < j["sections"].size(); ++i) {
      const Json& s = j["sections"][i];
      auto idstr = stream::json_string(s, "idstr", fmt::format("sections[{}]", i));
      if (!idstr) return in_origin(idstr.error());
      SectionIdentity id;
      id.idstr = idstr.value();
      id.instance_id = static_cast<std::uint32_t>(stream::json_u64_or(s, "instance_id", 0));
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
