#include "snapshot/stream/vmdesc_walker.h"

#include <algorithm>

#include <fmt/format.h>

#include "snapshot/stream/json_access.h"

namespace lockstep::snapshot::stream {

std::string path_string(const FieldPath& path) {
  std::string out;
  for (const auto& step : path) {
    if (step.kind == PathStep::kIndex) {
      out += fmt::format("[{}]", step.index);
      continue;
    }
    if (!out.empty()) out += '.';
    out += step.name;
  }
  return out;
}

namespace {

constexpr std::uint64_t kMaxFieldCallback = 1u << 20;

Result<std::uint64_t> vmdesc_u64(const Json& j, const char* key, const std::string& ctx) {
  auto n = json_u64(j, key, {});
  if (!n) return Error{fmt::format("VM description: {} has no non-negative integer \"{}\"", ctx, key)};
  return n;
}

Status walk_fields(StreamReader& r, const SectionHeader& s, const Json& vmsd, FieldPath& path,
                   const WalkOptions& opts, int depth);

Status walk_vmsd(StreamReader& r, const SectionHeader& s, const Json& vmsd, FieldPath& path,
                 const WalkOptions& opts, int depth) {
  if (depth > 64) return Error{fmt::format("VM description nests deeper than 64 levels in '{}'", s.idstr)};
  LS_TRY(walk_fields(r, s, vmsd, path, opts, depth));
  auto subs = vmsd.find("subsections");
  if (subs == vmsd.end()) return Ok{};
  if (!subs->is_array()) return Error{fmt::format("VM description: '{}' subsections is not an array", s.idstr)};
  ByteSource& in = r.body();
  for (const auto& sub : *subs) {
    if (!sub.is_object() || !sub.contains("vmsd_name") || !sub["vmsd_name"].is_string())
      return Error{fmt::format("VM description: a subsection of '{}' has no vmsd_name", s.idstr)};
    const std::string name = sub["vmsd_name"].get<std::string>();
    std::uint64_t off = in.offset();
    LS_TRY_ASSIGN(std::uint8_t b, in.u8());
    if (b != kSubsection)
      return Error{fmt::format("expected subsection '{}' of '{}' (byte 0x05) at offset {}, found 0x{:02x}", name,
                               s.idstr, off, b)};
    LS_TRY_ASSIGN(std::string wire_name, in.counted_string());
    if (wire_name != name)
      return Error{fmt::format("subsection at offset {} in '{}' is '{}' on the wire but '{}' in the VM description",
                               off, s.idstr, wire_name, name)};
    LS_TRY_ASSIGN(std::uint32_t ver, in.be32());
    LS_TRY_ASSIGN(std::uint64_t dver, vmdesc_u64(sub, "version", "subsection " + name));
    if (ver != dver)
      return Error{fmt::format("subsection '{}' at offset {}: version {} on the wire, {} in the VM description", name,
                               off, ver, dver)};
    path.push_back(PathStep{PathStep::kSubsection, name, 0});
    auto st = walk_vmsd(r, s, sub, path, opts, depth + 1);
    path.pop_back();
    LS_TRY(st);
  }
  return Ok{};
}

Status walk_fields(StreamReader& r, const SectionHeader& s, const Json& vmsd, FieldPath& path,
                   const WalkOptions& opts, int depth) {
  auto fields = vmsd.find("fields");
  if (fields == vmsd.end()) return Ok{};
  if (!fields->is_array()) return Error{fmt::format("VM description: '{}' fields is not an array", s.idstr)};
  ByteSource& in = r.body();
  std::vector<std::uint8_t> buf;
  const bool descend = static_cast<bool>(opts.on_value);
  for (const auto& f : *fields) {
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string())
      return Error{fmt::format("VM description: a field of '{}' has no name", s.idstr)};
    const std::string name = f["name"].get<std::string>();
    LS_TRY_ASSIGN(std::uint64_t size, vmdesc_u64(f, "size", "field " + path_string(path) + name));
    std::uint64_t n = 1;
    if (f.contains("array_len")) {
      LS_TRY_ASSIGN(n, vmdesc_u64(f, "array_len", "field " + path_string(path) + name));
      // Elements of size 0 consume no input: a huge count would spin without reading a byte.
      if (size == 0 && n > 65536)
        return Error{fmt::format("VM description: field '{}' of '{}' has {} elements of size 0", name, s.idstr, n)};
    }
    auto sub = f.find("struct");
    const bool is_struct = descend && sub != f.end() && sub->is_object();
    for (std::uint64_t i = 0; i < n; ++i) {
      path.push_back(PathStep{PathStep::kField, name, 0});
      if (f.contains("array_len")) path.push_back(PathStep{PathStep::kIndex, {}, i});
      else if (f.contains("index") && f["index"].is_number_unsigned())
        path.push_back(PathStep{PathStep::kIndex, {}, f["index"].get<std::uint64_t>()});
      const std::uint64_t off = in.offset();
      Status st = Ok{};
      if (is_struct) {
        st = walk_vmsd(r, s, *sub, path, opts, depth + 1);
        if (st && in.offset() - off != size)
          st = Error{fmt::format("struct '{}' took {} bytes on the wire, the VM description says {}",
                                 json_string_or(*sub, "vmsd_name"), in.offset() - off, size)};
      } else if ((opts.on_field || opts.on_value) && size <= kMaxFieldCallback) {
        buf.resize(static_cast<std::size_t>(size));
        st = in.read(buf.data(), buf.size());
        if (st && opts.on_field) st = opts.on_field(s, path_string(path), f, std::span<const std::uint8_t>(buf));
        if (st && opts.on_value) st = opts.on_value(s, path, f, std::span<const std::uint8_t>(buf));
      } else {
        st = in.skip(size);
        // on_value hears of every leaf, an oversized one with no bytes (it was skipped, not read).
        if (st && opts.on_value && !is_struct) st = opts.on_value(s, path, f, {});
      }
      const std::string where = path_string(path);
      path.resize(path.size() - (path.back().kind == PathStep::kIndex ? 2 : 1));
      if (!st) {
        // Nested failures already name the field; only the innermost one adds the location.
        if (st.error().message.rfind("section '", 0) == 0) return st;
        return Error{fmt::format("section '{}' instance {} field '{}' ({} bytes from offset {}): {}", s.idstr,
                                 s.instance_id, where, size, off, st.error().message)};
      }
    }
  }
  return Ok{};
}

// Old-style section: its body ends where 0x7e + be32 section_id is followed by a section type byte.
Status scan_to_footer(ByteSource& in, const SectionHeader& s, std::uint64_t limit,
                      std::vector<std::uint8_t>* body) {
  const std::uint8_t want[5] = {kFooter, std::uint8_t(s.section_id >> 24), std::uint8_t(s.section_id >> 16),
                                std::uint8_t(s.section_id >> 8), std::uint8_t(s.section_id)};
  std::uint64_t start = in.offset();
  for (;;) {
    if (in.offset() - start > limit)
      return Error{fmt::format("section '{}' (no layout in the VM description): no footer within {} bytes of offset {}",
                               s.idstr, limit, start)};
    LS_TRY_ASSIGN(auto look, in.peek_n(6));
    if (look.size() < 6)
      return Error{fmt::format("truncated stream at offset {}: section '{}' (no layout in the VM description) has "
                               "no footer before the end", in.offset() + look.size(), s.idstr)};
    if (std::equal(want, want + 5, look.begin())) {
      std::uint8_t t = look[5];
      if (t == kEof || t == kStart || t == kPart || t == kEnd || t == kFull || t == kCommand) return Ok{};
    }
    LS_TRY_ASSIGN(std::uint8_t b, in.u8());
    if (body) body->push_back(b);
  }
}

}  // namespace

Status walk_device_body(StreamReader& r, const SectionHeader& s, const Json& desc, const WalkOptions& opts) {
  FieldPath path;
  return walk_vmsd(r, s, desc, path, opts, 0);
}

Status walk_stream_into(ByteSource& src, WalkResult& out, const WalkOptions& opts) {
  StreamReader r(src, opts.limits);
  LS_TRY_ASSIGN(out.header, r.read_header());
  if (opts.vmdesc) {
    out.vmdesc = *opts.vmdesc;
  } else {
    auto located = locate_vmdesc(src, opts.limits.max_vmdesc_bytes);
    if (located) {
      out.vmdesc = std::move(located.value());
    } else if (opts.allow_missing_vmdesc) {
      out.has_vmdesc = false;
      out.no_vmdesc_reason = located.error().message;
      out.vmdesc = Json::object({{"devices", Json::array()}});
    } else {
      return located.error();
    }
  }
  out.page_size = 4096;
  if (out.header.target_page_bits) out.page_size = std::uint64_t{1} << *out.header.target_page_bits;
  else if (const Json* ps = json_member(out.vmdesc, "page_size")) {
    // The RAM reader holds one page: a size from the JSON is bounded like target-page-bits (10..24).
    const std::uint64_t n = json_u64_or(out.vmdesc, "page_size", 0);
    if (n < 512 || n > (std::uint64_t{1} << 24) || (n & (n - 1)) != 0)
      return Error{fmt::format("VM description: page_size {} is not a power of two from 512 to 16 MiB", json_text(*ps))};
    out.page_size = n;
  }
  RamSectionReader ram(out.page_size);
  const auto& devices = out.vmdesc["devices"];
  std::vector<std::uint8_t> raw_body;
  for (;;) {
    const std::uint64_t record_offset = src.offset();
    auto next = r.next();
    if (!next)
      return Error{fmt::format("{} (reading the record that starts at offset {}, after {} complete sections)",
                               next.error().message, record_offset, out.sections.size())};
    Record rec = std::move(next.value());
    if (rec.kind == Record::kEof) {
      out.eof_offset = rec.offset;
      break;
    }
    if (rec.kind == Record::kCommand) continue;
    SectionInfo info;
    info.header = rec.section;
    const SectionHeader& s = rec.section;
    out.in_section = true;
    out.current = s;
    if (s.idstr == "ram" && s.instance_id == 0) {
      auto st = ram.read_body(r, s, opts.on_page);
      out.ram_blocks = ram.blocks();
      if (!st) return Error{fmt::format("section 'ram' ({} at offset {}): {}", section_type_name(s.type), s.offset, st.error().message)};
    } else if (s.type != kFull) {
      return Error{fmt::format("iterable section '{}' ({} at offset {}) is not supported: only RAM is", s.idstr,
                               section_type_name(s.type), s.offset)};
    } else {
      const Json* d = nullptr;
      for (const auto& dev : devices)
        if (json_member(dev, "name") && json_string_or(dev, "name") == s.idstr &&
            json_u64_or(dev, "instance_id", ~std::uint64_t{0}) == s.instance_id)
          d = &dev;
      if (!d && out.has_vmdesc)
        return Error{fmt::format("section '{}' instance {} (FULL at offset {}) is not in the VM description", s.idstr,
                                 s.instance_id, s.offset)};
      info.desc = d;
      if (!d || (!d->contains("vmsd_name") && !d->contains("fields"))) {
        info.layout_from_vmdesc = false;
        raw_body.clear();
        LS_TRY(scan_to_footer(src, s, opts.max_unknown_body, opts.on_raw_body ? &raw_body : nullptr));
        if (opts.on_raw_body) LS_TRY(opts.on_raw_body(s, raw_body));
      } else {
        const std::uint64_t described = json_u64_or(*d, "version", s.version_id);
        if (described != s.version_id)
          return Error{fmt::format("section '{}' (at offset {}): version {} in the header, {} in the VM description",
                                   s.idstr, s.offset, s.version_id, described)};
        LS_TRY(walk_device_body(r, s, *d, opts));
      }
    }
    info.body_size = src.offset() - s.body_offset;
    LS_TRY(r.end_section());
    out.in_section = false;
    out.sections.push_back(std::move(info));
    if (opts.on_section) LS_TRY(opts.on_section(out.sections.back()));
  }
  LS_TRY_ASSIGN(Json tail, r.read_vmdesc());
  if (out.has_vmdesc && tail != out.vmdesc)
    return Error{"the VM description after EOF differs from the one located at the end of the file"};
  out.end_offset = src.offset();
  return Ok{};
}

Result<WalkResult> walk_stream(const std::string& path, const WalkOptions& opts) {
  LS_TRY_ASSIGN(auto src, ByteSource::open_file(path));
  WalkResult out;
  LS_TRY(walk_stream_into(*src, out, opts));
  return out;
}

}  // namespace lockstep::snapshot::stream
