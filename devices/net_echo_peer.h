#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <type_traits>

#include "core/types.h"

namespace lockstep::devices {

using core::u16;
using core::u32;
using core::u64;
using core::u8;

// lockstep's deterministic test network (`-netdev echo,id=N[,ip=A.B.C.D][,mac=M]`): one host on the
// guest's Ethernet that answers ARP requests for its IPv4 address, ICMP echo requests (ping) and UDP
// datagrams to port 7 (the echo service), and ignores everything else. Its answers are a function of
// the frames the guest sent, so they are not input from outside: they are not logged by record, and
// they are machine state. A reply waits in `State` for `delay` of virtual time (the wire; 0 by
// default) and then until the board's next feed point hands it to the NIC: a packet in flight,
// migrated with the machine (section lockstep/netdev-echo).
class NetEchoPeer {
 public:
  static constexpr unsigned kMaxFrames = 32;
  static constexpr unsigned kQueueBytes = 32 * 1536;
  static constexpr unsigned kMaxFrame = 1518;  // Ethernet with a VLAN tag, no FCS
  static constexpr std::array<u8, 6> kDefaultMac = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
  static constexpr std::array<u8, 4> kDefaultIp = {10, 0, 2, 2};

  struct Options {
    std::array<u8, 6> mac = kDefaultMac;
    std::array<u8, 4> ip = kDefaultIp;
    u64 delay_ns = 0;  // virtual time an answer spends on the wire before the NIC may take it
  };
  // Migratable: the answers not yet delivered, back to back, oldest first.
  struct State {
    std::array<u8, kQueueBytes> data{};
    std::array<u16, kMaxFrames> lengths{};
    std::array<u64, kMaxFrames> due_ns{};  // virtual time from which each may be delivered
    u32 count = 0;     // frames queued
    u32 used = 0;      // bytes of data in use: the sum of lengths[0..count)
    u64 answered = 0;  // answers queued since reset
    u64 dropped = 0;   // answers dropped because the queue was full
  };
  static_assert(std::has_unique_object_representations_v<State>);

  explicit NetEchoPeer(Options options) : options_(options) {}

  // A frame the guest sent (Ethernet, no virtio header), at virtual time now_ns.
  void from_guest(std::span<const u8> frame, u64 now_ns = 0);
  bool has_frame() const { return state_.count != 0; }
  // Whether the oldest answer has arrived at virtual time now_ns.
  bool frame_due(u64 now_ns) const { return state_.count != 0 && state_.due_ns[0] <= now_ns; }
  // When the oldest answer arrives (the board's timer deadline), ~0 if none.
  u64 next_deadline_ns() const { return state_.count ? state_.due_ns[0] : ~u64{0}; }
  std::span<const u8> front() const { return {state_.data.data(), state_.lengths[0]}; }
  void pop();
  void reset() { state_ = State{}; }

  const State& state() const { return state_; }
  void restore_state(const State& s) { state_ = s; }
  const Options& options() const { return options_; }

 private:
  void queue(std::span<const u8> frame, u64 due_ns);
  Options options_;
  State state_;
};

}  // namespace lockstep::devices
