#include "snapshot/inspect/dump.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "snapshot/inspect/info.h"
#include "snapshot/inspect/values.h"

namespace lockstep::snapshot::inspect {

std::string ram_file_name(const std::string& block) {
  std::string name = block;
  for (char& c : name)
    if (c == '/') c = '_';
  if (name.empty() || name[0] == '.') name = "_" + name;  // never "", "." or ".." or a hidden file
  return name + ".ram";
}

namespace {

// One file per RAM block, sized to the block (sparse: zero pages stay holes), pages written in place.
class RamFiles {
 public:
  explicit RamFiles(std::string dir) : dir_(std::move(dir)) {}
  ~RamFiles() {
    for (auto& [i, fd] : fds_) ::close(fd);
  }
  Status page(const stream::RamPage& p) {
    auto it = fds_.find(p.block_index);
    if (it == fds_.end()) {
      const std::string path = dir_ + "/" + ram_file_name(p.block.idstr);
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) return Error{fmt::format("cannot create {}: {}", path, std::strerror(errno))};
      if (::ftruncate(fd, static_cast<off_t>(p.block.used_length)) != 0) {
        ::close(fd);
        return Error{fmt::format("cannot size {}: {}", path, std::strerror(errno))};
      }
      it = fds_.emplace(p.block_index, fd).first;
    }
    if (p.zero && p.fill == 0) return Ok{};  // already zero: a hole
    std::vector<std::uint8_t> filled;
    std::span<const std::uint8_t> data = p.data;
    if (p.zero) {
      filled.assign(static_cast<std::size_t>(p.page_size), p.fill);
      data = filled;
    }
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t k = ::pwrite(it->second, data.data() + done, data.size() - done, static_cast<off_t>(p.offset + done));
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) return Error{fmt::format("writing RAM block {}: {}", p.block.idstr, std::strerror(errno))};
      done += static_cast<std::size_t>(k);
    }
    return Ok{};
  }
 private:
  std::string dir_;
  std::map<std::size_t, int> fds_;
};

}  // namespace

DumpResult dump_stream(const std::string& path, const DumpOptions& opts) {
  DumpResult r;
  Json devices = Json::array();
  Json current_fields = Json::object();
  Json current_raw;  // null unless the section had no layout
  std::optional<RamFiles> ram_files;
  if (!opts.ram_out_dir.empty()) ram_files.emplace(opts.ram_out_dir);

  stream::WalkOptions wo;
  wo.allow_missing_vmdesc = true;
  wo.on_value = [&](const stream::SectionHeader&, const stream::FieldPath& p, const Json& f,
                    std::span<const std::uint8_t> bytes) -> Status {
    insert_value(current_fields, p, format_value(f, bytes));
    return Ok{};
  };
  wo.on_raw_body = [&](const stream::SectionHeader&, std::span<const std::uint8_t> body) -> Status {
    current_raw = hex_bytes(body);
    return Ok{};
  };
  if (ram_files) wo.on_page = [&](const stream::RamPage& p) -> Status { return ram_files->page(p); };
  wo.on_section = [&](const stream::SectionInfo& si) -> Status {
    const auto& s = si.header;
    if (s.idstr == "ram" && !si.desc) {
      current_fields = Json::object();
      return Ok{};
    }
    Json dev = Json::object();
    dev["name"] = s.idstr;
    dev["instance_id"] = s.instance_id;
    dev["version"] = s.version_id;
    if (si.layout_from_vmdesc) {
      dev["fields"] = std::move(current_fields);
    } else {
      dev["raw"] = current_raw.is_null() ? Json("") : current_raw;
      dev["note"] = "the VM description gives no layout for this section: raw body bytes";
    }
    devices.push_back(std::move(dev));
    current_fields = Json::object();
    current_raw = nullptr;
    return Ok{};
  };
  FileWalk fw = walk_file(path, wo);
  const auto& w = fw.result;
  Json doc = Json::object();
  doc["configuration"] = configuration_json(w.header, w.page_size);
  if (!w.has_vmdesc) {
    // The whole stream lacks a description: say so on each device instead of the per-section note.
    for (auto& d : devices)
      if (d.contains("note"))
        d["note"] = "the stream has no VM description (" + w.no_vmdesc_reason +
                    "): raw body bytes; section bodies carry no field names or sizes on the wire";
    doc["note"] = "no VM description: fields cannot be interpreted (" + w.no_vmdesc_reason + ")";
  }
  doc["devices"] = std::move(devices);
  Json ram = Json::array();
  for (const auto& b : w.ram_blocks)
    ram.push_back(Json{{"block", b.idstr}, {"length", b.used_length}, {"zero_pages", b.zero_pages},
                       {"data_pages", b.data_pages}});
  doc["ram"] = std::move(ram);
  if (!fw.status) {
    r.error = describe_failure(w, fw.status.error());
    doc["error"] = *r.error;
  }
  r.doc = std::move(doc);
  return r;
}

namespace {
void text_fields(const Json& v, const std::string& prefix, std::string& out) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      text_fields(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i) text_fields(v[i], fmt::format("{}[{}]", prefix, i), out);
  } else {
    out += fmt::format("    {} = {}\n", prefix, value_text(v));
  }
}
}  // namespace

std::string dump_text(const Json& doc) {
  std::string out;
  const auto& c = doc["configuration"];
  out += fmt::format("configuration: machine {}, page size {}\n", value_text(c["machine"]), value_text(c["page_size"]));
  if (doc.contains("note")) out += fmt::format("note: {}\n", doc["note"].get<std::string>());
  for (const auto& d : doc["devices"]) {
    out += fmt::format("\n{} (instance {}, version {})\n", d["name"].get<std::string>(), d["instance_id"].get<std::uint64_t>(),
                       d["version"].get<std::uint64_t>());
    if (d.contains("fields")) text_fields(d["fields"], "", out);
    if (d.contains("raw")) {
      out += fmt::format("    ({})\n", d["note"].get<std::string>());
      out += fmt::format("    raw = {}\n", d["raw"].get<std::string>());
    }
  }
  out += "\nRAM:\n";
  for (const auto& b : doc["ram"])
    out += fmt::format("  {:<40} length {:#x}, {} zero pages, {} data pages\n", b["block"].get<std::string>(),
                       b["length"].get<std::uint64_t>(), b["zero_pages"].get<std::uint64_t>(),
                       b["data_pages"].get<std::uint64_t>());
  if (doc.contains("error")) out += fmt::format("\nerror: {}\n", doc["error"].get<std::string>());
  return out;
}

}  // namespace lockstep::snapshot::inspect
