#include "snapshot/inspect/info.h"

#include "snapshot/stream/json_access.h"

#include <fmt/format.h>

#include "snapshot/inspect/values.h"
#include "snapshot/stream/page_hashes.h"

namespace lockstep::snapshot::inspect {

namespace {
bool is_lockstep_section(const std::string& idstr) { return idstr.rfind("lockstep/", 0) == 0; }
}  // namespace

StreamInfo read_info(const std::string& path) {
  StreamInfo info;
  info.path = path;
  stream::WalkOptions opts;
  opts.allow_missing_vmdesc = true;
  StreamInfo::OwnSection pending;
  opts.on_value = [&](const stream::SectionHeader& s, const stream::FieldPath& p, const Json& f,
                      std::span<const std::uint8_t> bytes) -> Status {
    if (!is_lockstep_section(s.idstr) || s.idstr == stream::kPageHashesIdstr) return Ok{};
    insert_value(pending.fields, p, format_value(f, bytes));
    return Ok{};
  };
  opts.on_section = [&](const stream::SectionInfo& si) -> Status {
    const auto& s = si.header;
    if (is_lockstep_section(s.idstr) && s.idstr != stream::kPageHashesIdstr) {
      pending.idstr = s.idstr;
      pending.instance_id = s.instance_id;
      pending.version_id = s.version_id;
      info.own_sections.push_back(std::move(pending));
    }
    pending = StreamInfo::OwnSection{};
    return Ok{};
  };
  FileWalk fw = walk_file(path, opts);
  info.compressed = fw.compressed;
  info.walk = std::move(fw.result);
  if (!fw.status) info.error = describe_failure(info.walk, fw.status.error());
  for (const auto& si : info.walk.sections) {
    if (si.header.idstr != stream::kPageHashesIdstr) continue;
    PageHashSummary ph;
    ph.body_offset = si.header.body_offset;
    auto src = open_at(path, si.header.body_offset);
    Status st = src ? Status{Ok{}} : Status{src.error()};
    if (st) {
      stream::PageHashReader r(*src.value());
      st = r.read_header();
      if (st) ph.page_size = r.page_size();
      while (st) {
        auto more = r.next_block();
        if (!more) {
          st = more.error();
          break;
        }
        if (!more.value()) break;
        ph.blocks.emplace_back(r.idstr(), r.used_length());
      }
    }
    if (!st) ph.error = st.error().message;
    info.page_hashes.push_back(std::move(ph));
  }
  return info;
}

Json configuration_json(const stream::StreamHeader& h, std::uint64_t page_size) {
  Json c = Json::object();
  c["machine"] = h.has_configuration ? Json(h.machine) : Json(nullptr);
  c["page_size"] = page_size;
  if (h.target_page_bits) c["target_page_bits"] = *h.target_page_bits;
  c["capabilities"] = h.capabilities;
  if (h.uuid) c["uuid"] = hex_bytes(*h.uuid);
  return c;
}

Json info_json(const StreamInfo& info) {
  const auto& w = info.walk;
  Json j = Json::object();
  j["file"] = info.path;
  j["compressed"] = info.compressed;
  j["file_version"] = w.header.version;
  j["configuration"] = configuration_json(w.header, w.page_size);
  Json sections = Json::array();
  for (const auto& si : w.sections) {
    const auto& s = si.header;
    sections.push_back(Json{{"id", s.section_id},
                            {"idstr", s.idstr},
                            {"instance_id", s.instance_id},
                            {"version", s.version_id},
                            {"type", stream::section_type_name(s.type)},
                            {"offset", s.offset},
                            {"size", si.body_size},
                            {"layout", si.desc == nullptr && s.idstr == "ram" ? "ram"
                                       : si.layout_from_vmdesc                ? "vmdesc"
                                                                              : "unknown"}});
  }
  j["sections"] = sections;
  Json ram = Json::array();
  for (const auto& b : w.ram_blocks)
    ram.push_back(Json{{"block", b.idstr}, {"length", b.used_length}, {"zero_pages", b.zero_pages},
                       {"data_pages", b.data_pages}});
  j["ram"] = ram;
  // A walk that failed before the VM description was read leaves has_vmdesc set and vmdesc null.
  const Json* devices = stream::json_member(w.vmdesc, "devices");
  j["vmdesc"] = w.has_vmdesc ? Json{{"present", true}, {"devices", devices ? devices->size() : 0}}
                             : Json{{"present", false}, {"reason", w.no_vmdesc_reason}};
  Json own = Json::array();
  for (const auto& ph : info.page_hashes) {
    Json blocks = Json::array();
    for (const auto& [name, len] : ph.blocks) blocks.push_back(Json{{"block", name}, {"length", len}});
    Json e{{"section", stream::kPageHashesIdstr}, {"page_size", ph.page_size}, {"blocks", blocks}};
    if (!ph.error.empty()) e["error"] = ph.error;
    own.push_back(e);
  }
  for (const auto& o : info.own_sections)
    own.push_back(Json{{"section", o.idstr}, {"instance_id", o.instance_id}, {"version", o.version_id},
                       {"fields", o.fields}});
  j["lockstep_sections"] = own;
  if (info.error) j["error"] = *info.error;
  return j;
}

std::string info_text(const StreamInfo& info) {
  const auto& w = info.walk;
  std::string out;
  out += fmt::format("file:          {}{}\n", info.path, info.compressed ? " (zstd-compressed; offsets are in the decompressed stream)" : "");
  if (w.header.version == 0) return out;
  out += fmt::format("stream:        QEMU migration stream, file version {}\n", w.header.version);
  if (w.header.has_configuration) {
    out += fmt::format("machine:       {}\n", w.header.machine);
  } else {
    out += "machine:       (no configuration section)\n";
  }
  out += fmt::format("page size:     {}{}\n", w.page_size,
                     w.header.target_page_bits ? fmt::format(" (target-page-bits {})", *w.header.target_page_bits)
                                               : std::string(" (from the VM description or the default)"));
  out += fmt::format("capabilities:  {}\n", w.header.capabilities.empty() ? "(none)" : fmt::format("{}", fmt::join(w.header.capabilities, ", ")));
  if (w.header.uuid) out += fmt::format("uuid:          {}\n", hex_bytes(*w.header.uuid));
  out += fmt::format("\nsections ({}):\n", w.sections.size());
  out += fmt::format("  {:>4}  {:<36} {:>4} {:>4}  {:<5} {:>12} {:>12}\n", "id", "idstr", "inst", "ver", "type",
                     "offset", "size");
  for (const auto& si : w.sections) {
    const auto& s = si.header;
    out += fmt::format("  {:>4}  {:<36} {:>4} {:>4}  {:<5} {:>12} {:>12}{}\n", s.section_id, s.idstr, s.instance_id,
                       s.version_id, stream::section_type_name(s.type), s.offset, si.body_size,
                       !si.layout_from_vmdesc ? "  (no layout: scanned to its footer)" : "");
  }
  std::uint64_t total = 0;
  for (const auto& b : w.ram_blocks) total += b.used_length;
  out += fmt::format("\nRAM blocks ({}, {} bytes):\n", w.ram_blocks.size(), total);
  out += fmt::format("  {:<40} {:>14} {:>10} {:>10}\n", "block", "length", "zero", "data");
  for (const auto& b : w.ram_blocks)
    out += fmt::format("  {:<40} {:>#14x} {:>10} {:>10}\n", b.idstr, b.used_length, b.zero_pages, b.data_pages);
  if (w.has_vmdesc)
    out += fmt::format("\nVM description: present ({} devices)\n", w.vmdesc["devices"].size());
  else
    out += fmt::format("\nVM description: absent ({})\n", w.no_vmdesc_reason);
  if (!info.page_hashes.empty() || !info.own_sections.empty()) {
    out += "\nlockstep sections:\n";
    for (const auto& ph : info.page_hashes) {
      out += fmt::format("  {}: page size {}, {} blocks", stream::kPageHashesIdstr, ph.page_size, ph.blocks.size());
      for (const auto& [name, len] : ph.blocks) out += fmt::format(" [{} {:#x}]", name, len);
      if (!ph.error.empty()) out += fmt::format(" (unreadable: {})", ph.error);
      out += '\n';
    }
    for (const auto& o : info.own_sections) {
      out += fmt::format("  {} v{}:", o.idstr, o.version_id);
      for (auto it = o.fields.begin(); it != o.fields.end(); ++it)
        out += fmt::format(" {}={}", it.key(), value_text(it.value()));
      out += '\n';
    }
  }
  if (info.error) out += fmt::format("\nerror: {}\n", *info.error);
  return out;
}

}  // namespace lockstep::snapshot::inspect
