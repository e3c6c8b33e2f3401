#include "fuzz/targets/support/stream_mutator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>
#include <vector>

#include "fuzz/targets/support/stream_layout.h"
#include "snapshot/stream/json_access.h"

namespace lockstep::fuzz {

namespace {

namespace st = snapshot::stream;
using Bytes = std::vector<std::uint8_t>;
using Rng = std::minstd_rand;

std::size_t pick(Rng& rng, std::size_t n) { return n ? std::uniform_int_distribution<std::size_t>(0, n - 1)(rng) : 0; }

std::uint32_t interesting_u32(Rng& rng, std::uint32_t was) {
  const std::uint32_t choices[] = {was + 1, was - 1, 0, 1, 2, 3, 4, 0x7fffffff, 0xffffffff, static_cast<std::uint32_t>(rng())};
  return choices[pick(rng, std::size(choices))];
}

// libFuzzer's mutator on a slice, which may grow by a little.
Bytes mutate_slice(std::span<const std::uint8_t> slice, Rng& rng, ByteMutator bytes) {
  Bytes b(slice.begin(), slice.end());
  const std::size_t room = b.size() + 64 + pick(rng, 256);
  b.resize(room);
  b.resize(bytes(b.data(), slice.size(), room));
  return b;
}

void replace_range(Bytes& s, std::size_t begin, std::size_t end, std::span<const std::uint8_t> with) {
  s.erase(s.begin() + static_cast<std::ptrdiff_t>(begin), s.begin() + static_cast<std::ptrdiff_t>(end));
  s.insert(s.begin() + static_cast<std::ptrdiff_t>(begin), with.begin(), with.end());
}

// Counted strings inside [begin, end) that look like names ("riscv_virt_board.ram",
// "serial/recv_fifo"): offsets of their length bytes.
std::vector<std::size_t> counted_names(const Bytes& s, std::size_t begin, std::size_t end, char must_contain) {
  std::vector<std::size_t> out;
  for (std::size_t p = begin; p + 1 < end; ++p) {
    const std::size_t len = s[p];
    if (len < 3 || p + 1 + len > end) continue;
    const auto* name = s.data() + p + 1;
    if (!std::all_of(name, name + len, [](std::uint8_t c) { return c >= 0x21 && c < 0x7f; })) continue;
    if (must_contain && std::memchr(name, must_contain, len) == nullptr) continue;
    out.push_back(p);
  }
  return out;
}

const char* const kRamBlockNames[] = {"virt.ram", "riscv_virt_board.ram", "virt.flash0", "virt.flash1",
                                      "riscv_virt_board.mrom", "virt.mrom", "pc.ram", "x"};

// Inserts or removes whole elements in a body: what an array that changed length looks like.
void resize_body(Bytes& s, const StreamSection& sec, Rng& rng) {
  const std::size_t body = sec.body_end - sec.header_end;
  const std::size_t unit = std::size_t{1} << pick(rng, 4);  // 1, 2, 4, 8
  const std::size_t count = 1 + pick(rng, 4);
  const std::size_t at = sec.header_end + pick(rng, body + 1);
  if (rng() % 2 && at + unit * count <= sec.body_end) {
    s.erase(s.begin() + static_cast<std::ptrdiff_t>(at), s.begin() + static_cast<std::ptrdiff_t>(at + unit * count));
  } else {
    Bytes element(unit);
    if (at + unit <= sec.body_end) std::copy_n(s.begin() + static_cast<std::ptrdiff_t>(at), unit, element.begin());
    for (std::size_t i = 0; i < count; ++i) s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), element.begin(), element.end());
  }
}

// A subsection inside a FULL body: 0x05, counted name containing '/', be32 version.
bool edit_subsection(Bytes& s, const StreamSection& sec, Rng& rng) {
  std::vector<std::size_t> subs;
  for (std::size_t p : counted_names(s, sec.header_end + 1, sec.body_end, '/'))
    if (s[p - 1] == 0x05 && p + 1 + s[p] + 4 <= sec.body_end) subs.push_back(p - 1);
  if (subs.empty()) return false;
  const std::size_t k = pick(rng, subs.size());
  const std::size_t at = subs[k];
  const std::size_t version_at = at + 2 + s[at + 1];
  switch (rng() % 4) {
    case 0: {  // drop it: up to the next subsection or the end of the body
      const std::size_t end = k + 1 < subs.size() ? subs[k + 1] : sec.body_end;
      s.erase(s.begin() + static_cast<std::ptrdiff_t>(at), s.begin() + static_cast<std::ptrdiff_t>(end));
      break;
    }
    case 1:
      write_be32(s, version_at, interesting_u32(rng, read_be32(s, version_at)));
      break;
    case 2:  // rename: one character
      s[at + 2 + pick(rng, s[at + 1])] ^= static_cast<std::uint8_t>(1 + pick(rng, 0x1f));
      break;
    default: {  // duplicate it
      const std::size_t end = k + 1 < subs.size() ? subs[k + 1] : sec.body_end;
      Bytes copy(s.begin() + static_cast<std::ptrdiff_t>(at), s.begin() + static_cast<std::ptrdiff_t>(end));
      s.insert(s.begin() + static_cast<std::ptrdiff_t>(end), copy.begin(), copy.end());
    }
  }
  return true;
}

// The RAM block list (START of the iterable section): rename a block or change its length.
bool edit_ram_block(Bytes& s, const StreamSection& sec, Rng& rng) {
  if (sec.type != 0x01) return false;
  const auto names = counted_names(s, sec.header_end + 8, sec.body_end, '.');
  if (names.empty()) return false;
  const std::size_t at = names[pick(rng, names.size())];
  const std::size_t len = s[at];
  if (rng() % 2 && at + 1 + len + 8 <= sec.body_end) {
    const std::size_t length_at = at + 1 + len + 4;  // low half of the be64 used_length
    write_be32(s, length_at, interesting_u32(rng, read_be32(s, length_at)));
    return true;
  }
  const std::string name = kRamBlockNames[pick(rng, std::size(kRamBlockNames))];
  Bytes counted{static_cast<std::uint8_t>(name.size())};
  counted.insert(counted.end(), name.begin(), name.end());
  replace_range(s, at, at + 1 + len, counted);
  return true;
}

bool edit_vmdesc(Bytes& s, std::size_t at, Rng& rng, ByteMutator bytes, std::size_t max_size) {
  const std::string text(s.begin() + static_cast<std::ptrdiff_t>(at + 5), s.end());
  const std::string edited = mutate_json_text(text, rng, bytes, max_size > at + 5 ? max_size - at - 5 : 0);
  s.resize(at + 5);
  write_be32(s, at + 1, static_cast<std::uint32_t>(edited.size()));
  s.insert(s.end(), edited.begin(), edited.end());
  return true;
}

bool mutate_structure(Bytes& s, const StreamLayout& l, Rng& rng, ByteMutator bytes, std::size_t max_size) {
  const auto& secs = l.sections;
  const bool have = !secs.empty();
  const StreamSection* sec = have ? &secs[pick(rng, secs.size())] : nullptr;
  auto slice = [&](const StreamSection& x) { return Bytes(s.begin() + static_cast<std::ptrdiff_t>(x.begin), s.begin() + static_cast<std::ptrdiff_t>(x.end)); };
  switch (rng() % 14) {
    case 0:  // drop a section
      if (!have) return false;
      s.erase(s.begin() + static_cast<std::ptrdiff_t>(sec->begin), s.begin() + static_cast<std::ptrdiff_t>(sec->end));
      return true;
    case 1: {  // duplicate a section somewhere
      if (!have) return false;
      const Bytes copy = slice(*sec);
      const std::size_t to = secs[pick(rng, secs.size())].begin;
      s.insert(s.begin() + static_cast<std::ptrdiff_t>(to), copy.begin(), copy.end());
      return true;
    }
    case 2: {  // swap two sections
      if (secs.size() < 2) return false;
      std::size_t i = pick(rng, secs.size()), j = pick(rng, secs.size());
      if (i == j) return false;
      if (i > j) std::swap(i, j);
      const Bytes a = slice(secs[i]), b = slice(secs[j]);
      replace_range(s, secs[j].begin, secs[j].end, a);
      replace_range(s, secs[i].begin, secs[i].end, b);
      return true;
    }
    case 3: {  // version_id or instance_id
      if (!have || !sec->has_idstr) return false;
      const std::size_t field = sec->header_end - (rng() % 3 ? 4 : 8);
      write_be32(s, field, interesting_u32(rng, read_be32(s, field)));
      return true;
    }
    case 4:  // break the footer
      if (!have || sec->body_end == sec->end) return false;
      s[sec->body_end + pick(rng, 5)] ^= static_cast<std::uint8_t>(1 + pick(rng, 255));
      return true;
    case 5:
    case 6:
    case 7: {  // libFuzzer's mutation inside one body, framing intact
      if (!have || sec->body_end <= sec->header_end) return false;
      const Bytes body = mutate_slice({s.data() + sec->header_end, sec->body_end - sec->header_end}, rng, bytes);
      replace_range(s, sec->header_end, sec->body_end, body);
      return true;
    }
    case 8:
      if (!have || sec->body_end <= sec->header_end) return false;
      resize_body(s, *sec, rng);
      return true;
    case 9:
      return have && edit_subsection(s, *sec, rng);
    case 10:
      return have && edit_ram_block(s, *sec, rng);
    case 11:
    case 12:
      return l.vmdesc && edit_vmdesc(s, *l.vmdesc, rng, bytes, max_size);
    default: {  // section id, in the header and (or only) the footer
      if (!have || sec->type == 0x08) return false;
      const std::uint32_t id = interesting_u32(rng, sec->id);
      write_be32(s, sec->begin + 1, id);
      if (rng() % 2 && sec->body_end != sec->end) write_be32(s, sec->body_end + 1, id);
      return true;
    }
  }
}

std::size_t finish(const Bytes& s, std::uint8_t* data, std::size_t size, std::size_t max_size, ByteMutator bytes) {
  if (s.size() > max_size) return bytes(data, size, max_size);
  std::copy(s.begin(), s.end(), data);
  return s.size();
}

std::size_t find_second_stream(std::span<const std::uint8_t> s) {
  if (s.size() < 16) return s.size();
  const auto at = std::search(s.begin() + 8, s.end(), std::begin(kStreamMagic), std::end(kStreamMagic));
  return static_cast<std::size_t>(at - s.begin());
}

// A JSON node picked uniformly among all of them, walked without recursion.
st::Json* pick_node(st::Json& root, Rng& rng) {
  std::vector<st::Json*> all{&root};
  for (std::size_t i = 0; i < all.size() && all.size() < 100000; ++i) {
    if (all[i]->is_structured())
      for (auto& child : *all[i]) all.push_back(&child);
  }
  return all[pick(rng, all.size())];
}

void edit_node(st::Json& n, Rng& rng) {
  const int choice = static_cast<int>(rng() % 8);
  if (n.is_number() && choice < 4) {
    const double was = n.get<double>();
    // Only doubles well inside int64_t's range convert without undefined behaviour.
    const std::int64_t base = std::fabs(was) < 1e18 ? static_cast<std::int64_t>(was) : 0;
    const st::Json values[] = {0, 1, -1, base + 1, base * 2,
                               std::uint64_t{1} << 32, std::uint64_t{1} << 63, 1e300, 0.5};
    n = values[pick(rng, std::size(values))];
  } else if (n.is_string() && choice < 4) {
    std::string v = n.get<std::string>();
    const std::string names[] = {"", "uint8", "uint32", "struct", "buffer", "timer", "serial", "cpu", "virt-1.0",
                                 "env.pc", "ram"};
    if (!v.empty() && rng() % 2)
      v[pick(rng, v.size())] ^= static_cast<char>(1 + pick(rng, 0x1f));
    else
      v = names[pick(rng, std::size(names))];
    n = v;
  } else if (n.is_object() && !n.empty() && choice < 5) {
    auto it = n.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(pick(rng, n.size())));
    n.erase(it.key());
  } else if (n.is_array() && !n.empty() && choice < 5) {
    const std::size_t i = pick(rng, n.size());
    if (rng() % 2)
      n.erase(i);
    else
      n.insert(n.begin() + static_cast<std::ptrdiff_t>(i), n[i]);
  } else {
    const st::Json values[] = {nullptr, true, 7, "x", st::Json::object(), st::Json::array()};
    n = values[pick(rng, std::size(values))];
  }
}

}  // namespace

std::string mutate_json_text(const std::string& text, Rng& rng, ByteMutator bytes, std::size_t max_size) {
  auto parsed = st::parse_json(text, "mutant");
  if (!parsed || rng() % 8 == 0) {
    std::string b = text;
    b.resize(std::max(max_size, b.size()));
    b.resize(bytes(reinterpret_cast<std::uint8_t*>(b.data()), text.size(), std::max(max_size, text.size())));
    return b;
  }
  st::Json j = std::move(parsed.value());
  for (unsigned n = 1 + rng() % 3; n > 0; --n) edit_node(*pick_node(j, rng), rng);
  return st::json_text(j);
}

std::size_t mutate_stream(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned seed,
                          ByteMutator bytes) {
  Rng rng(seed);
  const auto layout = parse_stream_layout({data, size});
  if (!layout || rng() % 5 == 0) return bytes(data, size, max_size);
  Bytes s(data, data + size);
  if (rng() % 16 == 0) {  // truncate at a section boundary
    if (layout->sections.empty()) return bytes(data, size, max_size);
    s.resize(layout->sections[pick(rng, layout->sections.size())].end);
    return finish(s, data, size, max_size, bytes);
  }
  for (int attempt = 0; attempt < 4; ++attempt)
    if (mutate_structure(s, *layout, rng, bytes, max_size)) return finish(s, data, size, max_size, bytes);
  return bytes(data, size, max_size);
}

std::size_t mutate_stream_pair(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned seed,
                               ByteMutator bytes) {
  Rng rng(seed);
  const std::size_t split = find_second_stream({data, size});
  Bytes a(data, data + split), b(data + split, data + size);
  if (rng() % 8 == 0) {
    b = a;
  } else {
    Bytes& which = (b.empty() || rng() % 2) ? a : b;
    const std::size_t room = max_size > size ? max_size - size : 0;
    const std::size_t was = which.size();
    which.resize(was + room);
    which.resize(mutate_stream(which.data(), was, was + room, static_cast<unsigned>(rng()), bytes));
  }
  // Keep the second stream recognisable: a first stream that lost its magic would swallow it.
  Bytes joined = a;
  joined.insert(joined.end(), b.begin(), b.end());
  return finish(joined, data, size, max_size, bytes);
}

}  // namespace lockstep::fuzz
