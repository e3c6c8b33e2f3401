#include "fuzz/targets/support/stream_layout.h"

#include <algorithm>
#include <cstring>

namespace lockstep::fuzz {

namespace {

constexpr std::uint8_t kEof = 0x00, kStart = 0x01, kPart = 0x02, kEnd = 0x03, kFull = 0x04, kVmdesc = 0x06,
                       kConfiguration = 0x07, kCommand = 0x08, kFooter = 0x7e;

bool printable(std::span<const std::uint8_t> s) {
  return std::all_of(s.begin(), s.end(), [](std::uint8_t c) { return c >= 0x20 && c < 0x7f; });
}

bool is_section_type(std::uint8_t t) { return t == kEof || (t >= kStart && t <= kFull) || t == kCommand; }

// A START/FULL header that looks like one a real stream has (used to find the first section after
// a configuration whose subsections this code does not parse).
bool plausible_start(std::span<const std::uint8_t> s, std::size_t p) {
  if (p + 6 > s.size() || (s[p] != kStart && s[p] != kFull)) return false;
  const std::size_t len = s[p + 5];
  if (len == 0 || p + 6 + len + 8 > s.size()) return false;
  return read_be32(s, p + 1) < 0x10000 && printable(s.subspan(p + 6, len)) && read_be32(s, p + 6 + len + 4) < 0x1000;
}

std::optional<std::size_t> find_footer(std::span<const std::uint8_t> s, std::size_t from, std::uint32_t id) {
  for (std::size_t p = from; p + 5 <= s.size(); ++p) {
    p = static_cast<std::size_t>(std::find(s.begin() + static_cast<std::ptrdiff_t>(p), s.end(), kFooter) - s.begin());
    if (p + 5 > s.size()) break;
    if (read_be32(s, p + 1) == id && (p + 5 == s.size() || is_section_type(s[p + 5]))) return p;
  }
  return std::nullopt;
}

std::optional<std::size_t> find_vmdesc(std::span<const std::uint8_t> s) {
  for (std::size_t i = s.size() >= 6 ? s.size() - 6 : 0; i-- > 8;) {
    if (s[i] == kVmdesc && s[i + 5] == '{' && read_be32(s, i + 1) == s.size() - i - 5) return i;
  }
  return std::nullopt;
}

}  // namespace

std::uint32_t read_be32(std::span<const std::uint8_t> s, std::size_t at) {
  return std::uint32_t{s[at]} << 24 | std::uint32_t{s[at + 1]} << 16 | std::uint32_t{s[at + 2]} << 8 | s[at + 3];
}

void write_be32(std::span<std::uint8_t> s, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

std::optional<StreamLayout> parse_stream_layout(std::span<const std::uint8_t> s) {
  if (s.size() < 8 || std::memcmp(s.data(), kStreamMagic, 8) != 0) return std::nullopt;
  StreamLayout l;
  l.vmdesc = find_vmdesc(s);
  const std::span<const std::uint8_t> body = s.first(l.vmdesc.value_or(s.size()));
  std::size_t p = 8;
  if (p + 5 <= body.size() && body[p] == kConfiguration) {
    p += 5 + std::min<std::size_t>(read_be32(body, p + 1), body.size() - p - 5);
    while (p < body.size() && !plausible_start(body, p) && body[p] != kEof) ++p;
  }
  l.sections_begin = p;
  while (p < body.size()) {
    StreamSection sec;
    sec.begin = p;
    sec.type = body[p];
    if (sec.type == kCommand) {
      if (p + 5 > body.size()) break;
      const std::size_t len = std::size_t{body[p + 3]} << 8 | body[p + 4];
      if (p + 5 + len > body.size()) break;
      sec.header_end = sec.body_end = sec.end = p + 5 + len;
    } else if (sec.type == kStart || sec.type == kFull) {
      if (p + 6 > body.size()) break;
      sec.id = read_be32(body, p + 1);
      sec.header_end = p + 6 + body[p + 5] + 8;
      sec.has_idstr = true;
    } else if (sec.type == kPart || sec.type == kEnd) {
      if (p + 5 > body.size()) break;
      sec.id = read_be32(body, p + 1);
      sec.header_end = p + 5;
    } else {
      break;  // EOF or something this code does not recognise: the rest is opaque
    }
    if (sec.type != kCommand) {
      if (sec.header_end > body.size()) break;
      const auto footer = find_footer(body, sec.header_end, sec.id);
      if (!footer) break;
      sec.body_end = *footer;
      sec.end = *footer + 5;
    }
    l.sections.push_back(sec);
    p = sec.end;
  }
  l.sections_end = p;
  return l;
}

}  // namespace lockstep::fuzz
