#pragma once
// A randomised full-state round trip driven by a vmstate description. Every member the description
// names (vm::for_each_storage: fields of every version, subsection fields, nested structs element
// by element) is set directly in memory to random values the destination accepts; the state is
// saved, loaded into a fresh device the way the board loads, and compared member by member, and a
// second save must give the same bytes. The values are written in memory, not through the loader,
// so a load that reads a field but does not store it (QEMU's classic lost-state bug) shows as a
// member that differs. A member added to a description is covered without touching this file.
//
// "Within its invariants" is the destination's own definition: a candidate value is kept only if
// the state still saves and a fresh destination loads it (*_equal configuration, post_load checks,
// lengths within capacity). Members that no candidate ever moves from reset must be listed by the
// caller (`pinned`), and a listed member that moves fails too, so the list stays true.
#include <doctest/doctest.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "snapshot/vmstate.h"

namespace lockstep::test::roundtrip {

namespace vm = snapshot::vm;
using Bytes = std::vector<std::uint8_t>;
using Rng = std::mt19937_64;

static_assert(std::endian::native == std::endian::little, "candidates are written as the low bytes of a u64");

// One described member's bytes in memory (a variable array: its live elements only).
struct Member {
  std::string path;
  Bytes bytes;
  std::size_t elem_size = 0;
  bool equal = false;
};

template <class S>
std::vector<Member> members(const vm::Section<S>& d, S s) {  // by value: the walk hands out S&
  std::vector<Member> out;
  vm::for_each_storage(d, s, [&](const vm::Storage& m) {
    const auto* p = static_cast<const std::uint8_t*>(m.data);
    out.push_back({m.path, Bytes(p, p + m.elem_size * m.elems), m.elem_size, m.equal});
  });
  return out;
}

// "vdev.vq[3].vring.num" -> "vdev.vq[].vring.num": coverage is per member, not per element.
inline std::string without_indices(const std::string& path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    out += path[i];
    if (path[i] == '[')
      while (i + 1 < path.size() && path[i + 1] != ']') ++i;
  }
  return out;
}

inline std::string hex(const Bytes& b, std::size_t from, std::size_t n) {
  std::string s;
  for (std::size_t i = from + n; i-- > from;) s += fmt::format("{:02x}", b[i]);  // little-endian value
  return "0x" + s;
}

// The first element that differs, as "path[i]: source 0x.., destination 0x..".
inline std::string first_difference(const Member& a, const Member& b) {
  if (a.bytes.size() != b.bytes.size())
    return fmt::format("{}: source has {} bytes, destination {}", a.path, a.bytes.size(), b.bytes.size());
  const std::size_t es = a.elem_size ? a.elem_size : 1;
  for (std::size_t at = 0; at < a.bytes.size(); at += es)
    if (std::memcmp(a.bytes.data() + at, b.bytes.data() + at, es) != 0)
      return fmt::format("{}{}: source {}, destination {}", a.path,
                         a.bytes.size() > es ? fmt::format("[{}]", at / es) : std::string(), hex(a.bytes, at, es),
                         hex(b.bytes, at, es));
  return {};
}

template <class S>
Bytes saved(const vm::Section<S>& d, const S& s, int version) {
  auto b = vm::save_bytes(d, s, {.version = version});
  REQUIRE_MESSAGE(b.ok(), (b.ok() ? "" : b.error().message));
  return b.value();
}

// The destination's verdict on s: it saves, and a fresh state loads every byte of it.
template <class S>
bool accepted(const vm::Section<S>& d, const S& s, const S& fresh, int version) {
  auto b = vm::save_bytes(d, s, {.version = version});
  if (!b) return false;
  S dst = fresh;
  snapshot::Reader r(b.value());
  return vm::load(d, dst, r, version).ok() && r.remaining() == 0;
}

// Candidate values: any bits, small numbers, one bit, all ones, 0/1 (flags and enums live there).
inline std::uint64_t candidate(Rng& rng, std::size_t elem_size) {
  switch (rng() % 5) {
    case 0: return rng();
    case 1: return rng() % 8;
    case 2: return std::uint64_t{1} << (rng() % (8 * elem_size));
    case 3: return ~std::uint64_t{0};
    default: return rng() & 1;
  }
}

// One element of a described member, in memory.
struct Slot {
  std::uint8_t* at = nullptr;
  std::size_t size = 0;
  vm::Kind kind = vm::Kind::U8;
};

// Writes a candidate into one element: false when the destination refuses the state with it (the
// element is then back to its previous value, which was accepted).
template <class S>
bool try_candidate(const vm::Section<S>& d, S& s, const S& fresh, int version, Rng& rng, const Slot& e) {
  Bytes old(e.at, e.at + e.size);
  std::uint64_t v = candidate(rng, e.size);
  if (e.kind == vm::Kind::Bool) v &= 1;  // a bool's object representation is 0 or 1
  std::memcpy(e.at, &v, e.size);
  if (accepted(d, s, fresh, version)) return true;
  std::memcpy(e.at, old.data(), e.size);
  return false;
}

// Sets every described member of s to random candidates the destination accepts: element by
// element first (up to kTries each); then each element still at its reset value is tried together
// with another random element, for invariants that tie two members (goldfish_rtc: alarm_running
// exactly while a deadline is armed), which no single change can leave.
template <class S>
void randomise(const vm::Section<S>& d, S& s, const S& fresh, int version, Rng& rng) {
  constexpr int kTries = 16, kPairTries = 64;
  vm::for_each_storage(d, s, [&](const vm::Storage& m) {
    if (m.equal) return;  // configuration: a destination accepts only its own value
    for (std::size_t i = 0; i < m.elems; ++i) {
      const Slot e{static_cast<std::uint8_t*>(m.data) + i * m.elem_size, m.elem_size, m.kind};
      for (int t = 0; t < kTries && !try_candidate(d, s, fresh, version, rng, e); ++t) {
      }
    }
  });
  std::vector<Slot> slots;  // after the first pass: variable arrays have their final lengths
  vm::for_each_storage(d, s, [&](const vm::Storage& m) {
    if (m.equal) return;
    for (std::size_t i = 0; i < m.elems; ++i)
      slots.push_back({static_cast<std::uint8_t*>(m.data) + i * m.elem_size, m.elem_size, m.kind});
  });
  const auto* base = reinterpret_cast<const std::uint8_t*>(&s);
  const auto* reset = reinterpret_cast<const std::uint8_t*>(&fresh);
  for (const Slot& e : slots) {
    if (slots.size() < 2 || std::memcmp(e.at, reset + (e.at - base), e.size) != 0) continue;
    for (int t = 0; t < kPairTries; ++t) {
      const Slot& other = slots[rng() % slots.size()];
      if (other.at == e.at) continue;
      Bytes old(other.at, other.at + other.size);
      std::uint64_t v = candidate(rng, other.size);
      if (other.kind == vm::Kind::Bool) v &= 1;
      std::memcpy(other.at, &v, other.size);
      if (try_candidate(d, s, fresh, version, rng, e)) break;
      std::memcpy(other.at, old.data(), other.size);
    }
  }
  // Elements past a variable array's length are not state: as in a fresh device, which is what a
  // destination keeps there.
  vm::for_each_storage(d, s, [&](const vm::Storage& m) {
    auto* at = static_cast<std::uint8_t*>(m.data) + m.elems * m.elem_size;
    std::memcpy(at, reset + (at - base), (m.capacity - m.elems) * m.elem_size);
  });
}

template <class S>
bool same_object_bytes(const S& a, const S& b) {
  if constexpr (std::has_unique_object_representations_v<S>)
    return std::memcmp(&a, &b, sizeof(S)) == 0;
  else
    return true;  // e.g. the hart (caches, pointers): compared member by member only
}

// A state with no device around it (the hart, the board's own state): loads commit by assignment.
template <class S>
struct Plain {
  S s;
  const S& state() const { return s; }
  void restore_state(const S& n) { s = n; }
};

struct Options {
  std::vector<int> versions{};     // section versions to save/load at (empty: the description's own)
  std::set<std::string> pinned{};  // members the invariants keep at their reset value (index-free paths)
  int iterations = 100;
  std::uint64_t seed = 1;
};

// The oracle. `make` builds a fresh destination device (state(), restore_state()) as the board does.
template <class S, class Dev>
void check_round_trips(const vm::Section<S>& d, const std::function<std::unique_ptr<Dev>()>& make,
                       const Options& opt) {
  const S fresh = make()->state();
  const std::vector<Member> reset = members(d, fresh);
  std::set<std::string> described, moved;
  for (const Member& m : reset)
    if (!m.equal) described.insert(without_indices(m.path));
  Rng rng(opt.seed);
  for (int version : opt.versions.empty() ? std::vector<int>{d.version} : opt.versions) {
    CAPTURE(version);
    REQUIRE_MESSAGE(accepted(d, fresh, fresh, version), "a fresh device's own state does not round trip");
    for (int it = 0; it < opt.iterations; ++it) {
      CAPTURE(it);
      S src = fresh;
      randomise(d, src, fresh, version, rng);
      const std::vector<Member> before = members(d, src);
      for (std::size_t k = 0; k < before.size(); ++k)
        if (k < reset.size() && before[k].bytes != reset[k].bytes) moved.insert(without_indices(before[k].path));

      // Source -> bytes -> a fresh device, loaded the board's way: into a copy, then restore_state.
      const Bytes bytes = saved(d, src, version);
      auto dst = make();
      S copy = dst->state();
      Status st = vm::load_bytes(d, copy, bytes, version);
      REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.error().message));
      dst->restore_state(copy);

      const std::vector<Member> after = members(d, dst->state());
      REQUIRE(after.size() == before.size());
      std::string diff;
      for (std::size_t k = 0; k < before.size(); ++k) {
        const std::string why = first_difference(before[k], after[k]);
        if (!why.empty()) diff += (diff.empty() ? "" : "; ") + why;
      }
      INFO(d.name << " v" << version << ": members that did not survive save -> load: " << diff);
      REQUIRE(diff.empty());
      REQUIRE(same_object_bytes(src, dst->state()));
      REQUIRE(saved(d, dst->state(), version) == bytes);  // a second save: the same bytes
      if (version == d.version) REQUIRE(vm::digest(d, dst->state()).value() == vm::digest(d, src).value());
    }
  }
  // Coverage: every described member moved in some iteration, except those the invariants pin.
  std::set<std::string> never_moved;
  for (const std::string& p : described)
    if (!moved.count(p)) never_moved.insert(p);
  INFO(d.name << ": members never moved from reset: " << fmt::format("{}", fmt::join(never_moved, ", "))
              << "; listed as pinned: " << fmt::format("{}", fmt::join(opt.pinned, ", ")));
  CHECK(never_moved == opt.pinned);
}

template <class S>
void check_plain_round_trips(const vm::Section<S>& d, const S& fresh, const Options& opt) {
  check_round_trips<S, Plain<S>>(d, [&] { return std::make_unique<Plain<S>>(Plain<S>{fresh}); }, opt);
}

}  // namespace lockstep::test::roundtrip
