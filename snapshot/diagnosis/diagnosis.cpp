#include "snapshot/diagnosis/diagnosis.h"

#include <algorithm>

#include <fmt/format.h>

#include "snapshot/stream/json_access.h"

namespace lockstep::snapshot::diagnosis {

namespace st = stream;

std::string field_error_cause(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUnknownSubsection:
      return "the source sent a subsection this destination does not know (a newer device or a compat property "
             "the destination lacks)";
    case ErrorKind::kTruncated:
      return "the stream is truncated or the layouts differ";
    case ErrorKind::kValueMismatch:
      return "the configuration differs (e.g. -smp, or a device property) between source and destination";
    default:
      return "the source's state fails this destination's checks (a corrupt stream or a different layout)";
  }
}

std::string unknown_section_message(const std::string& idstr, std::uint32_t instance) {
  return fmt::format("Unknown savevm section or instance '{}' {}. Make sure that your current VM setup matches your "
                     "saved VM setup, including any hotplugged devices",
                     idstr, instance);
}

std::string unknown_section_cause(bool same_idstr) {
  return same_idstr ? "the destination has this device with other instance ids: devices were created in a different "
                      "order or number (-device order, -smp, hotplug)"
                    : "the device set differs: the source had a device this destination was not given (a different "
                      "machine type, -device list or hotplug)";
}

std::string version_message(const std::string& vmsd, std::uint64_t incoming, std::uint64_t local_version,
                            std::uint64_t local_min) {
  if (incoming > local_version)
    return fmt::format("{}: incoming version_id {} is too new for local version_id {}", vmsd, incoming, local_version);
  return fmt::format("{}: incoming version_id {} is too old for local minimum version_id {}", vmsd, incoming, local_min);
}

std::string version_cause(bool too_new) {
  return too_new ? "the source runs a newer device version than the destination (a newer lockstep or machine "
                   "version): migrate to a newer destination, or start the source with an older machine version"
                 : "the source is an older release whose layout this destination no longer reads: migrate through "
                   "an older release";
}

std::string unknown_subsection_message(const std::string& name, const std::string& vmsd) {
  return fmt::format("VM subsection '{}' in '{}' does not exist", name, vmsd);
}

std::string unknown_subsection_cause() {
  return "the source sent state the destination does not know: a newer device, or a compat property that makes "
         "needed() true on the source; use a destination that knows the subsection or a source machine version "
         "that does not send it";
}

std::string layout_change_cause(const std::string& idstr) {
  return fmt::format("the source's '{}' has fields or subsections this destination does not know (a layout change "
                     "without a version bump)",
                     idstr);
}

std::string unknown_ramblock_message(const std::string& block) {
  return fmt::format("Unknown ramblock \"{}\", cannot accept migration", block);
}

std::string unknown_ramblock_cause() {
  return "the destination has no RAM block of this name: a different machine type, device set (a device with its "
         "own RAM: VGA, ROMs, flash) or memory backend name";
}

std::string ram_size_message(const std::string& block, std::uint64_t sent, std::uint64_t local) {
  return fmt::format("Size mismatch: {}: 0x{:x} != 0x{:x}: Invalid argument", block, sent, local);
}

std::string ram_size_cause(bool main_ram) {
  return main_ram ? "-m differs between source and destination: start the destination with the source's -m"
                  : "a ROM, flash or device memory size differs between the sides: firmware images or device "
                    "properties differ";
}

const Json* source_entry(const Json* vmdesc, const std::string& idstr, std::uint32_t instance) {
  const Json* devices = vmdesc ? st::json_member(*vmdesc, "devices") : nullptr;
  if (!devices || !devices->is_array()) return nullptr;
  for (const auto& d : *devices)
    if (st::json_member(d, "name") && st::json_string_or(d, "name") == idstr &&
        st::json_u64_or(d, "instance_id", ~std::uint64_t{0}) == instance)
      return &d;
  return nullptr;
}

namespace {

// A member's JSON text for messages ("4", "\"uint32\""), `absent` when there is none.
std::string member_text(const Json& obj, const char* key, const char* absent = "?") {
  const Json* v = st::json_member(obj, key);
  return v ? st::json_text(*v) : std::string(absent);
}

std::string field_shape(const Json& f) {
  std::string out = st::json_string_or(f, "type", "?");
  if (f.contains("array_len")) out += fmt::format("[{}]", member_text(f, "array_len"));
  if (f.contains("size")) out += fmt::format(" ({} bytes{})", member_text(f, "size"), f.contains("array_len") ? " each" : "");
  return out;
}

// A member compared as JSON: absent equals `absent` (the vmdesc leaves out array_len for scalars).
bool same_member(const Json& a, const Json& b, const char* key, const Json& absent) {
  const Json* va = st::json_member(a, key);
  const Json* vb = st::json_member(b, key);
  return (va ? *va : absent) == (vb ? *vb : absent);
}

}  // namespace

std::string source_wrote(const Json* vmdesc, const std::string& idstr, std::uint32_t instance) {
  if (!vmdesc) return "unknown (the stream's VM description could not be read before loading)";
  const Json* d = source_entry(vmdesc, idstr, instance);
  if (!d) return "nothing: the source's VM description has no such section";
  std::string out = fmt::format("{} v{}: ", st::json_string_or(*d, "vmsd_name", idstr), member_text(*d, "version"));
  bool first = true;
  if (const Json* fields = st::json_member(*d, "fields"); fields && fields->is_array()) {
    for (const auto& f : *fields) {
      if (!f.is_object()) continue;
      out += fmt::format("{}{} {}", first ? "" : ", ", st::json_string_or(f, "name", "?"),
                         st::json_string_or(f, "type", "?"));
      if (f.contains("array_len")) out += fmt::format("[{}]", member_text(f, "array_len"));
      first = false;
    }
  }
  if (const Json* subs = st::json_member(*d, "subsections"); subs && subs->is_array())
    for (const auto& s : *subs)
      if (s.is_object())
        out += fmt::format("{}subsection {}", first ? "" : ", ", st::json_string_or(s, "vmsd_name", "?")), first = false;
  return out;
}

std::string first_layout_difference(const Json& src, const Json& dst, const std::string& path,
                                    const std::vector<std::string>& known_subsections) {
  const Json empty = Json::array();
  const Json* src_fields = st::json_member(src, "fields");
  const Json* dst_fields = st::json_member(dst, "fields");
  const Json& sf = src_fields && src_fields->is_array() ? *src_fields : empty;
  const Json& df = dst_fields && dst_fields->is_array() ? *dst_fields : empty;
  for (std::size_t i = 0; i < std::max(sf.size(), df.size()); ++i) {
    if (i >= df.size() || !df[i].is_object())
      return fmt::format("the source sends field '{}{}' {} which this destination does not read", path,
                         st::json_string_or(sf[i], "name", "?"), field_shape(sf[i]));
    if (i >= sf.size() || !sf[i].is_object())
      return fmt::format("this destination reads field '{}{}' {} which the source did not send", path,
                         st::json_string_or(df[i], "name", "?"), field_shape(df[i]));
    const std::string sn = st::json_string_or(sf[i], "name", "?"), dn = st::json_string_or(df[i], "name", "?");
    if (sn != dn)
      return fmt::format("field {} is '{}{}' in the source and '{}{}' here (a field missing, added or renamed)", i,
                         path, sn, path, dn);
    if (!same_member(sf[i], df[i], "array_len", Json(1)))
      return fmt::format("field '{}{}' has {} elements in the source and {} here: {}", path, sn,
                         member_text(sf[i], "array_len", "1"), member_text(df[i], "array_len", "1"),
                         field_error_cause(ErrorKind::kValueMismatch));
    if (!same_member(sf[i], df[i], "size", Json(0)) || !same_member(sf[i], df[i], "type", Json("")))
      return fmt::format("field '{}{}' is {} in the source and {} here", path, sn, field_shape(sf[i]),
                         field_shape(df[i]));
    if (sf[i].contains("struct") && df[i].contains("struct")) {
      std::string inner = first_layout_difference(sf[i]["struct"], df[i]["struct"], path + sn + ".", {});
      if (!inner.empty()) return inner;
    }
  }
  // Which subsections are sent depends on the state; only a name this side does not know at all
  // is a layout difference.
  const Json* subs = path.empty() ? st::json_member(src, "subsections") : nullptr;
  if (subs && subs->is_array())
    for (const auto& s : *subs) {
      const std::string name = st::json_string_or(s, "vmsd_name");
      if (std::find(known_subsections.begin(), known_subsections.end(), name) == known_subsections.end())
        return fmt::format("the source sent subsection '{}', which this destination does not know: {}", name,
                           unknown_subsection_cause());
    }
  return {};
}

}  // namespace lockstep::snapshot::diagnosis
