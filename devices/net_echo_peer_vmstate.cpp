// Section "lockstep/netdev-echo" v1: the echo peer's answers in flight.
//
// Member coverage (NetEchoPeer::State): count -> "count", lengths -> "lengths" and due_ns ->
// "due_ns" (count of each),
// used -> "used", data -> "data" (used bytes of it), answered, dropped -> themselves. Not migrated:
// the options (ip, mac: configuration, from the command line on both sides).
#include "devices/net_echo_peer_vmstate.h"

#include <fmt/format.h>

namespace lockstep::devices {
namespace {

namespace vm = snapshot::vm;
using S = NetEchoPeer::State;

static_assert(sizeof(S) == NetEchoPeer::kQueueBytes + 2 * NetEchoPeer::kMaxFrames + 8 * NetEchoPeer::kMaxFrames + 4 + 4 +
                                8 + 8,
              "NetEchoPeer::State changed: describe the member");

Status post_load(S& s, int) {
  u64 sum = 0;
  for (u32 k = 0; k < s.count; ++k) {
    if (s.lengths[k] == 0 || s.lengths[k] > NetEchoPeer::kMaxFrame)
      return Error{fmt::format("lengths[{}] is {}: a frame is 1 to {} bytes", k, s.lengths[k], NetEchoPeer::kMaxFrame)};
    sum += s.lengths[k];
    if (k > 0 && s.due_ns[k] < s.due_ns[k - 1])
      return Error{fmt::format("due_ns[{}] is before due_ns[{}]: answers arrive in order", k, k - 1)};
  }
  if (sum != s.used) return Error{fmt::format("used is {} but the {} frames hold {} bytes", s.used, s.count, sum)};
  return Ok{};
}

constexpr vm::Field<S> kFields[] = {
    vm::u32<&S::count>("count"),
    vm::varray<&S::lengths, &S::count>("lengths"),
    vm::varray<&S::due_ns, &S::count>("due_ns"),
    vm::u32<&S::used>("used"),
    vm::varray<&S::data, &S::used>("data"),
    vm::u64<&S::answered>("answered"),
    vm::u64<&S::dropped>("dropped"),
};
constexpr vm::Section<S> kSection{
    .name = "lockstep/netdev-echo", .version = 1, .min_version = 1, .fields = kFields, .post_load = post_load};

}  // namespace

const snapshot::vm::Section<NetEchoPeer::State>& net_echo_peer_vmstate() { return kSection; }

}  // namespace lockstep::devices
