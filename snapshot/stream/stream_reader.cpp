#include "snapshot/stream/stream_reader.h"

#include <algorithm>

#include <fmt/format.h>

#include "snapshot/stream/json_access.h"

namespace lockstep::snapshot::stream {

const char* section_type_name(std::uint8_t type) {
  switch (type) {
    case kEof: return "EOF";
    case kStart: return "START";
    case kPart: return "PART";
    case kEnd: return "END";
    case kFull: return "FULL";
    case kSubsection: return "SUBSECTION";
    case kVmDescription: return "VMDESCRIPTION";
    case kConfiguration: return "CONFIGURATION";
    case kCommand: return "COMMAND";
    case kFooter: return "SECTION_FOOTER";
    default: return "unknown";
  }
}

namespace {
Error at(std::uint64_t offset, const std::string& msg) {
  return Error{fmt::format("{} (at offset {})", msg, offset)};
}
}  // namespace

std::string StreamReader::where() const {
  if (!in_section_) return fmt::format("at offset {}", src_.offset());
  return fmt::format("at offset {} in section '{}' instance {} (id {}, {} at offset {})", src_.offset(),
                     current_.idstr, current_.instance_id, current_.section_id, section_type_name(current_.type),
                     current_.offset);
}

Result<StreamHeader> StreamReader::read_header() {
  StreamHeader h;
  std::uint8_t m[4];
  if (auto st = src_.read(m, 4); !st) {
    // A decoder's error (a corrupt .zst) says more than the truncation it causes.
    if (st.error().message.rfind("truncated stream", 0) != 0)
      return Error{"Not a migration stream: " + st.error().message};
    return Error{"Not a migration stream (shorter than the 4-byte magic)"};
  }
  std::uint32_t magic = std::uint32_t{m[0]} << 24 | std::uint32_t{m[1]} << 16 | std::uint32_t{m[2]} << 8 | m[3];
  if (magic != kMagic)
    return Error{fmt::format("Not a migration stream (magic 0x{:08x} at offset 0, expected 0x{:08x} \"QEVM\")", magic,
                             kMagic)};
  LS_TRY_ASSIGN(h.version, src_.be32());
  if (h.version == 2) return Error{"Unsupported migration stream file version 2 (the old format, rejected by QEMU too)"};
  if (h.version != kVersion)
    return Error{fmt::format("Unsupported migration stream file version {} (expected {})", h.version, kVersion)};
  LS_TRY_ASSIGN(std::uint8_t next, src_.peek());
  if (next == kConfiguration) {
    h.has_configuration = true;
    LS_TRY(src_.u8());
    std::uint64_t off = src_.offset();
    LS_TRY_ASSIGN(std::uint32_t len, src_.be32());
    if (len > 255) return at(off, fmt::format("configuration: machine name length {} is implausible (max 255)", len));
    h.machine.resize(len);
    LS_TRY(src_.read(h.machine.data(), len));
    for (;;) {
      LS_TRY_ASSIGN(std::uint8_t b, src_.peek());
      if (b != kSubsection) break;
      std::uint64_t sub_off = src_.offset();
      LS_TRY(src_.u8());
      LS_TRY_ASSIGN(std::string name, src_.counted_string());
      LS_TRY_ASSIGN(std::uint32_t ver, src_.be32());
      if (ver != 1)
        return at(sub_off, fmt::format("configuration subsection '{}': unsupported version {}", name, ver));
      if (name == "configuration/target-page-bits") {
        LS_TRY_ASSIGN(std::uint32_t bits, src_.be32());
        if (bits < 10 || bits > 24) return at(sub_off, fmt::format("configuration: target-page-bits {} out of range", bits));
        h.target_page_bits = bits;
      } else if (name == "configuration/capabilities") {
        LS_TRY_ASSIGN(std::uint32_t n, src_.be32());
        if (n > 1024) return at(sub_off, fmt::format("configuration: {} capabilities is implausible", n));
        for (std::uint32_t i = 0; i < n; ++i) {
          LS_TRY_ASSIGN(std::string cap, src_.counted_string());
          h.capabilities.push_back(std::move(cap));
        }
      } else if (name == "configuration/uuid") {
        std::vector<std::uint8_t> u(16);
        LS_TRY(src_.read(u.data(), 16));
        h.uuid = std::move(u);
      } else {
        return at(sub_off, fmt::format("VM subsection '{}' in 'configuration' does not exist", name));
      }
    }
  }
  h.end_offset = src_.offset();
  header_done_ = true;
  return h;
}

Result<Record> StreamReader::next() {
  if (!header_done_) return Error{"StreamReader::next() before read_header()"};
  if (in_section_) return Error{fmt::format("section '{}' body not closed by end_section() {}", current_.idstr, where())};
  if (eof_seen_) return Error{"StreamReader::next() after EOF"};
  Record rec;
  rec.offset = src_.offset();
  LS_TRY_ASSIGN(std::uint8_t type, src_.u8());
  switch (type) {
    case kEof:
      rec.kind = Record::kEof;
      eof_seen_ = true;
      return rec;
    case kCommand: {
      rec.kind = Record::kCommand;
      rec.command.offset = rec.offset;
      LS_TRY_ASSIGN(rec.command.cmd, src_.be16());
      LS_TRY_ASSIGN(std::uint16_t len, src_.be16());
      if (len > limits_.max_command_bytes) return at(rec.offset, fmt::format("command {} length {} over the limit", rec.command.cmd, len));
      rec.command.data.resize(len);
      LS_TRY(src_.read(rec.command.data.data(), len));
      return rec;
    }
    case kStart:
    case kFull: {
      SectionHeader& s = rec.section;
      s.type = type;
      s.offset = rec.offset;
      LS_TRY_ASSIGN(s.section_id, src_.be32());
      LS_TRY_ASSIGN(s.idstr, src_.counted_string());
      LS_TRY_ASSIGN(s.instance_id, src_.be32());
      LS_TRY_ASSIGN(s.version_id, src_.be32());
      if (type == kStart) started_[s.section_id] = Known{s.idstr, s.instance_id, s.version_id};
      break;
    }
    case kPart:
    case kEnd: {
      SectionHeader& s = rec.section;
      s.type = type;
      s.offset = rec.offset;
      LS_TRY_ASSIGN(s.section_id, src_.be32());
      auto it = started_.find(s.section_id);
      if (it == started_.end())
        return at(rec.offset, fmt::format("Unknown savevm section {} in {} record: no START section had this id",
                                          s.section_id, section_type_name(type)));
      s.idstr = it->second.idstr;
      s.instance_id = it->second.instance_id;
      s.version_id = it->second.version_id;
      break;
    }
    default:
      return at(rec.offset, fmt::format("Unknown savevm section type {}", type));
  }
  rec.kind = Record::kSection;
  rec.section.body_offset = src_.offset();
  current_ = rec.section;
  in_section_ = true;
  return rec;
}

Status StreamReader::end_section() {
  if (!in_section_) return Error{"StreamReader::end_section() outside a section"};
  std::uint64_t off = src_.offset();
  auto b = src_.u8();
  if (!b) return Error{fmt::format("Missing section footer for {}: {}", current_.idstr, b.error().message)};
  if (b.value() != kFooter)
    return Error{fmt::format("Missing section footer for {}: byte 0x{:02x} at offset {} (expected 0x7e); section "
                             "{} id {} instance {} version {} started at offset {}, body from offset {}",
                             current_.idstr, b.value(), off, section_type_name(current_.type), current_.section_id,
                             current_.instance_id, current_.version_id, current_.offset, current_.body_offset)};
  auto id = src_.be32();
  if (!id) return Error{fmt::format("Missing section footer for {}: {}", current_.idstr, id.error().message)};
  if (id.value() != current_.section_id)
    return Error{fmt::format("Mismatched section id in footer for {} -- read 0x{:x} expected 0x{:x} (footer at offset {})",
                             current_.idstr, id.value(), current_.section_id, off)};
  in_section_ = false;
  return Ok{};
}

namespace {
// A string as JSON text. Plain printable ASCII (every name a description holds) is copied as is;
// anything else goes through nlohmann's escaping (and its invalid-UTF-8 replacement).
void append_json_string(const std::string& s, std::string& out) {
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out += json_text(Json(s));
      return;
    }
  }
  out += '"';
  out += s;
  out += '"';
}

void qemu_json(const Json& j, std::string& out) {
  if (j.is_object()) {
    out += '{';
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!first) out += ", ";
      first = false;
      append_json_string(it.key(), out);
      out += ": ";
      qemu_json(it.value(), out);
    }
    out += '}';
  } else if (j.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& v : j) {
      if (!first) out += ", ";
      first = false;
      qemu_json(v, out);
    }
    out += ']';
  } else if (j.is_string()) {
    append_json_string(j.get_ref<const std::string&>(), out);
  } else if (j.is_number_unsigned()) {
    fmt::format_to(std::back_inserter(out), "{}", j.get<std::uint64_t>());
  } else if (j.is_number_integer()) {
    fmt::format_to(std::back_inserter(out), "{}", j.get<std::int64_t>());
  } else {
    out += json_text(j);
  }
}
}  // namespace

std::string to_qemu_json(const Json& j) {
  std::string out;
  qemu_json(j, out);
  return out;
}

Result<Json> parse_vmdesc(const std::string& text, std::uint64_t offset) {
  auto parsed = parse_json(text, "VM description");
  if (!parsed) return at(offset, parsed.error().message);
  Json j = std::move(parsed.value());
  if (!j.is_object() || !j.contains("devices") || !j["devices"].is_array())
    return at(offset, "VM description: not an object with a \"devices\" array");
  return j;
}

Result<std::optional<std::string>> StreamReader::read_vmdesc_text(std::uint64_t& offset) {
  if (!eof_seen_) return Error{"StreamReader::read_vmdesc() before EOF"};
  LS_TRY_ASSIGN(bool end, src_.at_end());
  if (end) return std::optional<std::string>();
  std::uint64_t off = src_.offset();
  LS_TRY_ASSIGN(std::uint8_t type, src_.u8());
  if (type != kVmDescription)
    return at(off, fmt::format("expected the VM description (0x06) or the end after EOF, found byte 0x{:02x}", type));
  LS_TRY_ASSIGN(std::uint32_t len, src_.be32());
  if (len > limits_.max_vmdesc_bytes)
    return at(off, fmt::format("VM description length {} over the limit of {} bytes", len, limits_.max_vmdesc_bytes));
  std::string text;
  // Read in chunks so a lying length on a short stream fails before allocating it all.
  while (text.size() < len) {
    std::size_t k = std::min<std::size_t>(len - text.size(), ByteSource::kBufferSize);
    std::size_t old = text.size();
    text.resize(old + k);
    auto st = src_.read(text.data() + old, k);
    if (!st) return Error{fmt::format("VM description of {} bytes at offset {}: {}", len, off, st.error().message)};
  }
  if (!src_.live()) {
    LS_TRY_ASSIGN(bool done, src_.at_end());
    if (!done) return at(src_.offset(), "bytes after the VM description");
  }
  offset = off + 5;
  return std::optional<std::string>(std::move(text));
}

Result<Json> StreamReader::read_vmdesc() {
  std::uint64_t off = 0;
  LS_TRY_ASSIGN(std::optional<std::string> text, read_vmdesc_text(off));
  if (!text) return Json(nullptr);
  return parse_vmdesc(*text, off);
}

Status StreamReader::check_vmdesc() {
  std::uint64_t off = 0;
  LS_TRY_ASSIGN(std::optional<std::string> text, read_vmdesc_text(off));
  // Like QEMU's destination, the loader does not interpret the description (the snapshot tools do,
  // and a load error parses it for its diagnosis): a full JSON check cost more than all of a small
  // guest's device sections. What is checked is that it is there whole: one object, not cut short.
  if (!text) return Ok{};
  std::string_view t = *text;
  while (!t.empty() && (t.back() == ' ' || t.back() == '\n' || t.back() == '\r' || t.back() == '\t')) t.remove_suffix(1);
  if (t.empty() || t.front() != '{' || t.back() != '}') return at(off, "VM description: not a JSON object");
  return Ok{};
}

namespace {
// The last position p in buf where byte p is 0x06, the be32 at p+1 equals the number of bytes after it
// and byte p+5 is '{'. base is the stream offset of buf[0].
std::optional<Result<Json>> vmdesc_in_tail(const std::string& buf, std::uint64_t base) {
  for (std::size_t i = buf.size(); i-- > 0;) {
    if (static_cast<std::uint8_t>(buf[i]) != kVmDescription || i + 5 >= buf.size()) continue;
    const auto* p = reinterpret_cast<const std::uint8_t*>(buf.data() + i + 1);
    std::uint64_t len = std::uint64_t{p[0]} << 24 | std::uint64_t{p[1]} << 16 | std::uint64_t{p[2]} << 8 | p[3];
    if (len != buf.size() - i - 5 || buf[i + 5] != '{') continue;
    return parse_vmdesc(buf.substr(i + 5), base + i + 5);
  }
  return std::nullopt;
}
}  // namespace

Result<Json> locate_vmdesc(ByteSource& src, std::size_t max_json) {
  if (!src.seekable())
    return Error{"reading the VM description first needs a seekable file; not supported on pipes or sockets"};
  LS_TRY_ASSIGN(std::uint64_t size, src.size());
  // Small tails first: most descriptions are tens of kilobytes, and reading (and holding) the whole
  // limit for each look would cost 64 MiB. A window that starts inside the JSON cannot match (JSON text
  // has no 0x06 byte), so growing it finds the same position the full search would.
  std::uint64_t tail = 0;
  for (std::uint64_t want : {std::uint64_t{64} << 10, std::uint64_t{1} << 20, std::uint64_t{max_json} + 5}) {
    if (want > std::uint64_t{max_json} + 5) want = std::uint64_t{max_json} + 5;
    if (want <= tail && tail != 0) continue;
    tail = std::min<std::uint64_t>(size, want);
    std::string buf(static_cast<std::size_t>(tail), '\0');
    LS_TRY(src.pread_exact(size - tail, buf.data(), buf.size()));
    if (auto found = vmdesc_in_tail(buf, size - tail)) return std::move(*found);
    if (tail == size) break;
  }
  return Error{fmt::format("no VM description found at the end of the stream (searched the last {} bytes)", tail)};
}

Result<Json> locate_vmdesc_by_reading(ByteSource& src, std::size_t max_json) {
  // Keep the last `keep` bytes seen: a window of up to 2 * keep, shifted down when full (amortised O(n)).
  const std::size_t keep = max_json + 5;
  std::string window;
  std::uint64_t window_base = 0;
  std::vector<char> chunk(ByteSource::kBufferSize);
  for (;;) {
    LS_TRY_ASSIGN(auto look, src.peek_n(chunk.size()));
    if (look.empty()) break;
    const std::size_t k = look.size();
    window.append(reinterpret_cast<const char*>(look.data()), k);
    LS_TRY(src.skip(k));
    if (window.size() > 2 * keep) {
      const std::size_t drop = window.size() - keep;
      window.erase(0, drop);
      window_base += drop;
    }
  }
  if (window.size() > keep) {
    window_base += window.size() - keep;
    window.erase(0, window.size() - keep);
  }
  if (auto found = vmdesc_in_tail(window, window_base)) return std::move(*found);
  return Error{fmt::format("no VM description found at the end of the stream (searched the last {} bytes)",
                           window.size())};
}

}  // namespace lockstep::snapshot::stream
