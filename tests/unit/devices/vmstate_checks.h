#pragma once
// Checks every device description gets (tests/unit/devices/vmstate_test.cpp and
// tests/unit/virtio/vmstate_test.cpp): round trip into a fresh device, digest equality,
// truncation at every byte, and the coverage tripwire (every migrated byte of State reaches the wire).
#include <doctest/doctest.h>

#include <cstddef>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

#include "snapshot/vmstate.h"

namespace lockstep::test {

namespace vm = snapshot::vm;

template <class S>
bool same_bytes(const S& a, const S& b) {
  static_assert(std::has_unique_object_representations_v<S>);
  return std::memcmp(&a, &b, sizeof(S)) == 0;
}

template <class S>
std::vector<std::uint8_t> saved(const vm::Section<S>& d, const S& s) {
  auto b = vm::save_bytes(d, s);
  REQUIRE_MESSAGE(b.ok(), (b.ok() ? "" : b.error().message));
  return b.value();
}

// The board's load: into a copy of the destination's state, committed only on success.
template <class Dev, class S>
Status board_load(const vm::Section<S>& d, Dev& dev, std::span<const std::uint8_t> body, int version) {
  S copy = dev.state();
  Status st = vm::load_bytes(d, copy, body, version);
  if (st) dev.restore_state(copy);
  return st;
}

// Source state -> bytes -> destination device: the destination ends with the same bytes of State
// and the same digest, and a truncated body is an error (or, cut exactly before a subsection, a
// shorter valid body) without a crash.
template <class Dev, class S>
void round_trip(const vm::Section<S>& d, const S& src, Dev& dst) {
  const auto bytes = saved(d, src);
  Status st = board_load(d, dst, bytes, d.version);
  REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.error().message));
  CHECK(same_bytes(dst.state(), src));
  CHECK(saved(d, dst.state()) == bytes);
  CHECK(vm::digest(d, dst.state()).value() == vm::digest(d, src).value());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    S copy = dst.state();
    Status t = vm::load_bytes(d, copy, std::span(bytes.data(), n), d.version);
    INFO("truncated to " << n << " of " << bytes.size());
    CHECK((!t.ok() || bytes[n] == vm::kSubsectionByte));
  }
}

// Flips each byte of s outside `skip` (documented as not migrated) and checks the save changes:
// a member added to State without a field fails here (and at the static_assert on its size).
template <class S>
void every_byte_reaches_the_wire(const vm::Section<S>& d, const S& s,
                                 std::vector<std::pair<std::size_t, std::size_t>> skip) {
  const auto base = saved(d, s);
  for (std::size_t i = 0; i < sizeof(S); ++i) {
    bool skipped = false;
    for (auto [off, len] : skip) skipped |= i >= off && i < off + len;
    if (skipped) continue;
    S t = s;
    reinterpret_cast<unsigned char*>(&t)[i] ^= 0x5a;
    auto b = vm::save_bytes(d, t);
    INFO("State byte " << i);
    REQUIRE(b.ok());
    CHECK(b.value() != base);
  }
}

}  // namespace lockstep::test
