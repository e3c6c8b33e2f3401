#include "snapshot/inspect/diff.h"

#include <algorithm>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "snapshot/inspect/info.h"
#include "snapshot/inspect/values.h"
#include "snapshot/stream/json_access.h"
#include "snapshot/stream/page_hashes.h"

namespace lockstep::snapshot::inspect {

namespace {

using Key = std::pair<std::string, std::uint32_t>;  // idstr, instance

struct FieldBytes {
  std::string path;
  Json shown;
  std::vector<std::uint8_t> bytes;
};

struct DeviceState {
  std::string idstr;
  std::uint32_t instance = 0, version = 0;
  std::vector<FieldBytes> fields;  // stream order
  std::map<std::string, std::size_t> by_path;
};

// Without page hashes: one hash per page and block, 0 = never sent. Grown only to the highest page a
// record names, and capped over all blocks together (512 MiB of table), so neither a hostile block
// length nor many blocks each sending one far page allocate without bound.
constexpr std::uint64_t kMaxHashedPages = std::uint64_t{1} << 26;  // 256 GiB of 4 KiB pages

struct StreamContents {
  FileWalk walk;
  std::vector<DeviceState> devices;
  std::map<Key, std::size_t> by_key;
  std::map<std::string, std::vector<std::uint64_t>> page_table;
  std::optional<std::uint64_t> page_hashes_body;  // offset of the lockstep/page-hashes body
};

bool vmdesc_lists_page_hashes(const Json& vmdesc) {
  const Json* devices = stream::json_member(vmdesc, "devices");
  if (!devices || !devices->is_array()) return false;
  for (const auto& d : *devices)
    if (stream::json_string_or(d, "name") == stream::kPageHashesIdstr) return true;
  return false;
}

// The VM description without walking the stream (the tail of a plain file; a reading pass for .zst).
std::optional<Json> peek_vmdesc(const std::string& path) {
  auto opened = stream::open_stream_file(path);
  if (!opened) return std::nullopt;
  auto d = opened.value().compressed ? stream::locate_vmdesc_by_reading(*opened.value().source, 1u << 20)
                                     : stream::locate_vmdesc(*opened.value().source);
  if (!d) return std::nullopt;
  return std::move(d.value());
}

StreamContents read_contents(const std::string& path, const std::optional<Json>& vmdesc, bool hash_pages) {
  StreamContents c;
  DeviceState cur;
  std::uint64_t zero_page_hash = 0, zero_page_size = 0;
  std::uint64_t hashed_pages = 0;  // table entries over all blocks
  Status table_error = Ok{};
  stream::WalkOptions wo;
  wo.allow_missing_vmdesc = true;
  if (vmdesc) wo.vmdesc = &*vmdesc;
  wo.on_value = [&](const stream::SectionHeader& s, const stream::FieldPath& p, const Json& f,
                    std::span<const std::uint8_t> bytes) -> Status {
    if (s.idstr == stream::kPageHashesIdstr) return Ok{};
    std::string path_text = stream::path_string(p);
    cur.by_path[path_text] = cur.fields.size();
    cur.fields.push_back(FieldBytes{std::move(path_text), format_value(f, bytes), {bytes.begin(), bytes.end()}});
    return Ok{};
  };
  wo.on_raw_body = [&](const stream::SectionHeader&, std::span<const std::uint8_t> body) -> Status {
    cur.by_path["(raw body)"] = cur.fields.size();
    cur.fields.push_back(FieldBytes{"(raw body)", Json(hex_bytes(body)), {body.begin(), body.end()}});
    return Ok{};
  };
  wo.on_section = [&](const stream::SectionInfo& si) -> Status {
    const auto& s = si.header;
    if (s.idstr == stream::kPageHashesIdstr) c.page_hashes_body = s.body_offset;
    if ((s.idstr == "ram" && !si.desc) || s.idstr == stream::kPageHashesIdstr) {
      cur = DeviceState{};
      return Ok{};
    }
    cur.idstr = s.idstr;
    cur.instance = s.instance_id;
    cur.version = s.version_id;
    c.by_key[{s.idstr, s.instance_id}] = c.devices.size();
    c.devices.push_back(std::move(cur));
    cur = DeviceState{};
    return Ok{};
  };
  if (hash_pages) {
    wo.on_page = [&](const stream::RamPage& p) -> Status {
      const std::uint64_t index = p.offset / p.page_size;
      auto& table = c.page_table[p.block.idstr];
      if (table.size() <= index) {
        if (index >= kMaxHashedPages || hashed_pages + (index + 1 - table.size()) > kMaxHashedPages)
          return Error{fmt::format("RAM block \"{}\" is too large to diff without page hashes (page {}; more than {} "
                                   "pages in all blocks)",
                                   p.block.idstr, index, kMaxHashedPages)};
        hashed_pages += index + 1 - table.size();
        table.resize(index + 1, 0);
      }
      std::uint64_t h;
      if (p.zero && p.fill == 0) {
        if (zero_page_size != p.page_size) {
          zero_page_hash = stream::page_hash(std::vector<std::uint8_t>(p.page_size, 0));
          zero_page_size = p.page_size;
        }
        h = zero_page_hash;
      } else if (p.zero) {
        h = stream::page_hash(std::vector<std::uint8_t>(p.page_size, p.fill));
      } else {
        h = stream::page_hash(p.data);
      }
      table[index] = h == 0 ? 1 : h;  // 0 means "never sent"
      return Ok{};
    };
  }
  c.walk = walk_file(path, wo);
  return c;
}

// Appends the runs where the two page sequences differ; pages past the shorter block are only_in.
class RangeCollector {
 public:
  RangeCollector(std::vector<RamDiff>& out, std::string block, std::uint64_t page_size)
      : out_(out), block_(std::move(block)), page_size_(page_size) {}
  void page(std::uint64_t index, bool differs) {
    if (differs) {
      if (run_len_ && run_start_ + run_len_ == index) {
        ++run_len_;
        return;
      }
      flush();
      run_start_ = index;
      run_len_ = 1;
    }
  }
  void flush() {
    if (run_len_) out_.push_back(RamDiff{block_, run_start_ * page_size_, run_len_, std::nullopt});
    run_len_ = 0;
  }

 private:
  std::vector<RamDiff>& out_;
  std::string block_;
  std::uint64_t page_size_;
  std::uint64_t run_start_ = 0, run_len_ = 0;
};

// A PageHashReader positioned at a named block: reused when the blocks come in the same order in
// both streams (the usual case), reopened and scanned from the start of the section otherwise.
class HashCursor {
 public:
  HashCursor(std::string path, std::uint64_t body) : path_(std::move(path)), body_(body) {}
  Status seek_block(const std::string& name) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!reader_ || attempt == 1) {
        LS_TRY_ASSIGN(src_, open_at(path_, body_));
        reader_.emplace(*src_);
        LS_TRY(reader_->read_header());
      }
      for (;;) {
        LS_TRY_ASSIGN(bool more, reader_->next_block());
        if (!more) break;
        if (reader_->idstr() == name) return Ok{};
      }
    }
    return Error{fmt::format("RAM block \"{}\" is in the RAM section but not in {}", name, stream::kPageHashesIdstr)};
  }
  Result<std::uint64_t> next() { return reader_->next_hash(); }
  std::uint32_t page_size() const { return reader_ ? reader_->page_size() : 0; }
  std::uint64_t used_length() const { return reader_ ? reader_->used_length() : 0; }

 private:
  std::string path_;
  std::uint64_t body_;
  std::unique_ptr<stream::ByteSource> src_;
  std::optional<stream::PageHashReader> reader_;
};

// The block matching both RAM comparisons share: blocks in one stream only, and the pages past
// the shorter of two lengths. `compare_pages(block_a, block_b, common, runs)` marks which of the
// first `common` pages differ.
using ComparePages =
    std::function<Status(const stream::RamBlock&, const stream::RamBlock&, std::uint64_t, RangeCollector&)>;
Status diff_ram_blocks(const stream::WalkResult& wa, const stream::WalkResult& wb, DiffResult& d,
                       const ComparePages& compare_pages) {
  const std::uint64_t ps = wa.page_size;
  auto find = [](const stream::WalkResult& w, const std::string& name) -> const stream::RamBlock* {
    for (const auto& blk : w.ram_blocks)
      if (blk.idstr == name) return &blk;
    return nullptr;
  };
  for (const auto& blk : wa.ram_blocks) {
    const std::uint64_t pages_a = stream::page_count(blk.used_length, ps);
    const stream::RamBlock* other = find(wb, blk.idstr);
    if (!other) {
      d.ram.push_back(RamDiff{blk.idstr, 0, pages_a, "a"});
      continue;
    }
    const std::uint64_t pages_b = stream::page_count(other->used_length, ps);
    RangeCollector runs(d.ram, blk.idstr, ps);
    const std::uint64_t common = std::min(pages_a, pages_b);
    if (Status s = compare_pages(blk, *other, common, runs); !s) return s;
    runs.flush();
    if (pages_a != pages_b)
      d.ram.push_back(RamDiff{blk.idstr, common * ps, std::max(pages_a, pages_b) - common, pages_a > pages_b ? "a" : "b"});
  }
  for (const auto& blk : wb.ram_blocks)
    if (!find(wa, blk.idstr)) d.ram.push_back(RamDiff{blk.idstr, 0, stream::page_count(blk.used_length, ps), "b"});
  return Ok{};
}

// Blocks and lengths come from the RAM sections the walk read; the page-hash sections are then read
// side by side, one hash per stream at a time (one pass over each in the usual case where both list
// their blocks in the same order).
Status diff_ram_hashes(const std::string& a, std::uint64_t body_a, const stream::WalkResult& wa, const std::string& b,
                       std::uint64_t body_b, const stream::WalkResult& wb, DiffResult& d) {
  if (wa.page_size != wb.page_size) return Ok{};  // reported as a configuration difference
  const std::uint64_t ps = wa.page_size;
  HashCursor ca(a, body_a), cb(b, body_b);
  return diff_ram_blocks(wa, wb, d, [&](const stream::RamBlock& blk, const stream::RamBlock& other, std::uint64_t common,
                                        RangeCollector& runs) -> Status {
    if (auto st = ca.seek_block(blk.idstr); !st) return Error{"a: " + a + ": " + st.error().message};
    if (auto st = cb.seek_block(blk.idstr); !st) return Error{"b: " + b + ": " + st.error().message};
    // The hash table must describe the block the RAM section sent, or the comparison means nothing.
    if (ca.page_size() != ps || ca.used_length() != blk.used_length)
      return Error{fmt::format("a: {}: {} disagrees with the RAM section on block \"{}\" (page size {}, length 0x{:x})",
                               a, stream::kPageHashesIdstr, blk.idstr, ca.page_size(), ca.used_length())};
    if (cb.page_size() != ps || cb.used_length() != other.used_length)
      return Error{fmt::format("b: {}: {} disagrees with the RAM section on block \"{}\" (page size {}, length 0x{:x})",
                               b, stream::kPageHashesIdstr, blk.idstr, cb.page_size(), cb.used_length())};
    for (std::uint64_t i = 0; i < common; ++i) {
      auto ha = ca.next();
      if (!ha) return Error{"a: " + a + ": " + ha.error().message};
      auto hb = cb.next();
      if (!hb) return Error{"b: " + b + ": " + hb.error().message};
      runs.page(i, ha.value() != hb.value());
    }
    return Ok{};
  });
}

void diff_ram_tables(const StreamContents& a, const StreamContents& b, DiffResult& d) {
  const auto& wa = a.walk.result;
  const auto& wb = b.walk.result;
  if (wa.page_size != wb.page_size) return;  // reported as a configuration difference
  const std::uint64_t zero = stream::page_hash(std::vector<std::uint8_t>(wa.page_size, 0));
  auto hash_at = [&](const StreamContents& c, const std::string& name, std::uint64_t i) {
    auto it = c.page_table.find(name);
    if (it == c.page_table.end() || i >= it->second.size() || it->second[i] == 0) return zero;
    return it->second[i];
  };
  // Cannot fail: the tables are in memory.
  (void)diff_ram_blocks(wa, wb, d, [&](const stream::RamBlock& blk, const stream::RamBlock&, std::uint64_t common,
                                       RangeCollector& runs) -> Status {
    for (std::uint64_t i = 0; i < common; ++i) runs.page(i, hash_at(a, blk.idstr, i) != hash_at(b, blk.idstr, i));
    return Ok{};
  });
}

void diff_configuration(const stream::WalkResult& a, const stream::WalkResult& b, DiffResult& d) {
  const Json ca = configuration_json(a.header, a.page_size), cb = configuration_json(b.header, b.page_size);
  for (auto it = ca.begin(); it != ca.end(); ++it) {
    const Json other = cb.contains(it.key()) ? cb[it.key()] : Json(nullptr);
    if (it.value() != other) d.configuration.push_back(ConfigDiff{it.key(), it.value(), other});
  }
  for (auto it = cb.begin(); it != cb.end(); ++it)
    if (!ca.contains(it.key())) d.configuration.push_back(ConfigDiff{it.key(), nullptr, it.value()});
  if (a.has_vmdesc != b.has_vmdesc) d.configuration.push_back(ConfigDiff{"vmdesc", a.has_vmdesc, b.has_vmdesc});
}

void diff_devices(const StreamContents& a, const StreamContents& b, DiffResult& d) {
  for (const auto& da : a.devices) {
    auto it = b.by_key.find({da.idstr, da.instance});
    if (it == b.by_key.end()) {
      d.sections.push_back(SectionDiff{da.idstr, da.instance, "a", da.version, 0});
      continue;
    }
    const DeviceState& db = b.devices[it->second];
    if (da.version != db.version) d.sections.push_back(SectionDiff{da.idstr, da.instance, std::nullopt, da.version, db.version});
    for (const auto& fa : da.fields) {
      auto fb = db.by_path.find(fa.path);
      if (fb == db.by_path.end()) {
        d.fields.push_back(FieldDiff{da.idstr, da.instance, fa.path, fa.shown, nullptr});
      } else if (fa.bytes != db.fields[fb->second].bytes) {
        d.fields.push_back(FieldDiff{da.idstr, da.instance, fa.path, fa.shown, db.fields[fb->second].shown});
      }
    }
    for (const auto& fb : db.fields)
      if (!da.by_path.count(fb.path)) d.fields.push_back(FieldDiff{da.idstr, da.instance, fb.path, nullptr, fb.shown});
  }
  for (const auto& db : b.devices)
    if (!a.by_key.count({db.idstr, db.instance})) d.sections.push_back(SectionDiff{db.idstr, db.instance, "b", 0, db.version});
}

}  // namespace

DiffResult diff_streams(const std::string& path_a, const std::string& path_b) {
  DiffResult d;
  const std::optional<Json> va = peek_vmdesc(path_a), vb = peek_vmdesc(path_b);
  const bool both_hashed = va && vb && vmdesc_lists_page_hashes(*va) && vmdesc_lists_page_hashes(*vb);
  StreamContents a = read_contents(path_a, va, !both_hashed);
  if (!a.walk.status) {
    d.error = "a: " + path_a + ": " + describe_failure(a.walk.result, a.walk.status.error());
    return d;
  }
  StreamContents b = read_contents(path_b, vb, !both_hashed);
  if (!b.walk.status) {
    d.error = "b: " + path_b + ": " + describe_failure(b.walk.result, b.walk.status.error());
    return d;
  }
  diff_configuration(a.walk.result, b.walk.result, d);
  diff_devices(a, b, d);
  if (both_hashed && a.page_hashes_body && b.page_hashes_body) {
    d.ram_method = "page-hashes";
    if (auto st = diff_ram_hashes(path_a, *a.page_hashes_body, a.walk.result, path_b, *b.page_hashes_body,
                                  b.walk.result, d);
        !st)
      d.error = st.error().message;
  } else {
    d.ram_method = "hashed while reading";
    diff_ram_tables(a, b, d);
  }
  return d;
}

Json diff_json(const DiffResult& d) {
  Json j = Json::object();
  j["identical"] = d.identical() && !d.error;
  Json conf = Json::array();
  for (const auto& c : d.configuration) conf.push_back(Json{{"what", c.what}, {"a", c.a}, {"b", c.b}});
  j["configuration"] = conf;
  Json secs = Json::array();
  for (const auto& s : d.sections) {
    if (s.only_in)
      secs.push_back(Json{{"section", s.section}, {"instance", s.instance}, {"only_in", *s.only_in}});
    else
      secs.push_back(Json{{"section", s.section}, {"instance", s.instance}, {"version_a", s.version_a},
                          {"version_b", s.version_b}});
  }
  j["sections"] = secs;
  Json fields = Json::array();
  for (const auto& f : d.fields)
    fields.push_back(Json{{"section", f.section}, {"instance", f.instance}, {"field", f.field}, {"a", f.a}, {"b", f.b}});
  j["fields"] = fields;
  Json ram = Json::array();
  for (const auto& r : d.ram)
    ram.push_back(Json{{"block", r.block}, {"offset", r.offset}, {"pages", r.pages},
                       {"only_in", r.only_in ? Json(*r.only_in) : Json(nullptr)}});
  j["ram"] = ram;
  j["ram_compared_by"] = d.ram_method;
  if (d.error) j["error"] = *d.error;
  return j;
}

std::vector<std::string> difference_lines(const DiffResult& d) {
  std::vector<std::string> out;
  if (d.error) return {"snapshot diff: " + *d.error};
  for (const auto& s : d.sections)
    out.push_back(s.only_in ? fmt::format("section {} ({}) only in {}", s.section, s.instance, *s.only_in)
                            : fmt::format("section {} ({}): version {} vs {}", s.section, s.instance, s.version_a,
                                          s.version_b));
  for (const auto& f : d.fields)
    out.push_back(fmt::format("field {} ({}) {}: {} vs {}", f.section, f.instance, f.field, f.a.dump(), f.b.dump()));
  for (const auto& r : d.ram)
    out.push_back(fmt::format("RAM {} +0x{:x}: {} page(s){}", r.block, r.offset, r.pages,
                              r.only_in ? " only in " + *r.only_in : " differ"));
  if (out.empty()) out.push_back("snapshot diff finds the two states identical (the difference is outside the stream)");
  return out;
}

std::string diff_text(const DiffResult& d, bool colour) {
  auto paint = [&](const char* code, const std::string& s) {
    return colour ? fmt::format("\x1b[{}m{}\x1b[0m", code, s) : s;
  };
  // Long byte buffers are cut in the text form (--json has them whole).
  auto shown = [](const Json& v) {
    if (v.is_null()) return std::string("(absent)");
    std::string t = value_text(v);
    constexpr std::size_t kMax = 48;
    if (t.size() > kMax) t = fmt::format("{}... ({} bytes)", t.substr(0, kMax), (t.size() + 1) / 3);
    return t;
  };
  auto va = [&](const Json& v) { return paint("31", shown(v)); };
  auto vb = [&](const Json& v) { return paint("32", shown(v)); };
  std::string out;
  if (d.error) return fmt::format("error: {}\n", *d.error);
  const std::string ram_how = d.ram_method == "page-hashes" ? "compared by lockstep/page-hashes" : "pages hashed while reading";
  if (d.identical()) return fmt::format("identical (RAM {})\n", ram_how);
  if (!d.configuration.empty()) {
    out += paint("1", "configuration") + "\n";
    std::size_t w = 0;
    for (const auto& c : d.configuration) w = std::max(w, c.what.size());
    for (const auto& c : d.configuration) out += fmt::format("  {:<{}}  {} -> {}\n", c.what, w, va(c.a), vb(c.b));
  }
  if (!d.sections.empty()) {
    out += paint("1", "sections") + "\n";
    std::size_t w = 0;
    for (const auto& s : d.sections) w = std::max(w, s.section.size() + 1 + fmt::formatted_size("{}", s.instance));
    for (const auto& s : d.sections) {
      const std::string name = fmt::format("{}#{}", s.section, s.instance);
      if (s.only_in)
        out += fmt::format("  {:<{}}  only in {}\n", name, w, *s.only_in == "a" ? paint("31", "a") : paint("32", "b"));
      else
        out += fmt::format("  {:<{}}  version {} -> {}\n", name, w, paint("31", std::to_string(s.version_a)),
                           paint("32", std::to_string(s.version_b)));
    }
  }
  if (!d.fields.empty()) {
    out += paint("1", "fields") + "\n";
    std::size_t w = 0;
    for (const auto& f : d.fields)
      w = std::max(w, f.section.size() + f.field.size() + 2 + fmt::formatted_size("{}", f.instance));
    for (const auto& f : d.fields) {
      const std::string name = fmt::format("{}#{} {}", f.section, f.instance, f.field);
      out += fmt::format("  {:<{}}  {} -> {}\n", name, w, va(f.a), vb(f.b));
    }
  }
  if (!d.ram.empty()) {
    out += paint("1", fmt::format("RAM ({})", ram_how)) + "\n";
    std::size_t w = 0;
    for (const auto& r : d.ram) w = std::max(w, r.block.size());
    for (const auto& r : d.ram) {
      out += fmt::format("  {:<{}}  {:#12x}  {:>8} page{}", r.block, w, r.offset, r.pages, r.pages == 1 ? " " : "s");
      if (r.only_in) out += fmt::format("  only in {}", *r.only_in == "a" ? paint("31", "a") : paint("32", "b"));
      out += '\n';
    }
  }
  out += fmt::format("{} configuration, {} section, {} field and {} RAM range difference{}\n", d.configuration.size(),
                     d.sections.size(), d.fields.size(), d.ram.size(),
                     d.configuration.size() + d.sections.size() + d.fields.size() + d.ram.size() == 1 ? "" : "s");
  return out;
}

}  // namespace lockstep::snapshot::inspect
