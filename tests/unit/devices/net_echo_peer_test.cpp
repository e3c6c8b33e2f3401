// The echo host of -netdev echo: what it answers, what it ignores, the bound on what it holds, and
// its migrated state.
#include <doctest/doctest.h>

#include <vector>

#include "devices/net_echo_peer.h"
#include "devices/net_echo_peer_vmstate.h"
#include "tests/unit/devices/vmstate_checks.h"

namespace {

using lockstep::devices::NetEchoPeer;
using Bytes = std::vector<std::uint8_t>;

const Bytes kGuestMac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
const Bytes kPeerMac = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

std::uint16_t checksum(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<std::uint32_t>(p[n - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

Bytes ethernet(const Bytes& dst, std::uint16_t type, const Bytes& payload) {
  Bytes f = dst;
  f.insert(f.end(), kGuestMac.begin(), kGuestMac.end());
  f.push_back(static_cast<std::uint8_t>(type >> 8));
  f.push_back(static_cast<std::uint8_t>(type));
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

Bytes arp_request(std::uint8_t last_octet) {
  Bytes a = {0, 1, 8, 0, 6, 4, 0, 1};
  a.insert(a.end(), kGuestMac.begin(), kGuestMac.end());
  a.insert(a.end(), {10, 0, 2, 15, 0, 0, 0, 0, 0, 0, 10, 0, 2, last_octet});
  return ethernet(Bytes(6, 0xff), 0x0806, a);
}

// An IPv4 packet from 10.0.2.15 to 10.0.2.2 with a correct header checksum.
Bytes ipv4(std::uint8_t protocol, const Bytes& payload) {
  Bytes ip = {0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, protocol, 0, 0, 10, 0, 2, 15, 10, 0, 2, 2};
  const std::size_t total = ip.size() + payload.size();
  ip[2] = static_cast<std::uint8_t>(total >> 8), ip[3] = static_cast<std::uint8_t>(total);
  const std::uint16_t c = checksum(ip.data(), 20);
  ip[10] = static_cast<std::uint8_t>(c >> 8), ip[11] = static_cast<std::uint8_t>(c);
  ip.insert(ip.end(), payload.begin(), payload.end());
  return ethernet(kPeerMac, 0x0800, ip);
}

Bytes ping(std::size_t data_len) {
  Bytes icmp = {8, 0, 0, 0, 0xab, 0xcd, 0, 1};
  for (std::size_t k = 0; k < data_len; ++k) icmp.push_back(static_cast<std::uint8_t>(k));
  const std::uint16_t c = checksum(icmp.data(), icmp.size());
  icmp[2] = static_cast<std::uint8_t>(c >> 8), icmp[3] = static_cast<std::uint8_t>(c);
  return ipv4(1, icmp);
}

Bytes front(const NetEchoPeer& p) { return Bytes(p.front().begin(), p.front().end()); }

}  // namespace

TEST_CASE("echo host: ARP for its address, ping and UDP echo are answered; nothing else") {
  NetEchoPeer peer({});
  peer.from_guest(arp_request(2));
  REQUIRE(peer.has_frame());
  Bytes r = front(peer);
  CHECK(Bytes(r.begin(), r.begin() + 6) == kGuestMac);
  CHECK(Bytes(r.begin() + 6, r.begin() + 12) == kPeerMac);
  CHECK(r[21] == 2);                                         // ARP reply
  CHECK(Bytes(r.begin() + 22, r.begin() + 28) == kPeerMac);  // sender hardware address
  CHECK(Bytes(r.begin() + 28, r.begin() + 32) == Bytes{10, 0, 2, 2});
  CHECK(Bytes(r.begin() + 38, r.begin() + 42) == Bytes{10, 0, 2, 15});
  peer.pop();
  CHECK_FALSE(peer.has_frame());

  peer.from_guest(arp_request(3));  // someone else's address
  CHECK_FALSE(peer.has_frame());

  for (std::size_t len : {56u, 1400u}) {
    peer.from_guest(ping(len));
    REQUIRE(peer.has_frame());
    r = front(peer);
    peer.pop();
    REQUIRE(r.size() == 14 + 20 + 8 + len);
    CHECK(r[14 + 20] == 0);  // echo reply
    CHECK(checksum(r.data() + 14, 20) == 0);
    CHECK(checksum(r.data() + 34, 8 + len) == 0);
    CHECK(Bytes(r.begin() + 26, r.begin() + 30) == Bytes{10, 0, 2, 2});
    CHECK(Bytes(r.begin() + 30, r.begin() + 34) == Bytes{10, 0, 2, 15});
  }

  // UDP to port 7 comes back with the ports swapped and a valid checksum; port 9 is ignored.
  Bytes udp = {0x30, 0x39, 0, 7, 0, 13, 0, 0, 'h', 'e', 'l', 'l', 'o'};
  peer.from_guest(ipv4(17, udp));
  REQUIRE(peer.has_frame());
  r = front(peer);
  peer.pop();
  CHECK(Bytes(r.begin() + 34, r.begin() + 38) == Bytes{0, 7, 0x30, 0x39});
  std::uint32_t pseudo = (10 << 8) + 0 + (2 << 8) + 2 + (10 << 8) + 0 + (2 << 8) + 15 + 17 + 13;
  CHECK(checksum(r.data() + 34, 13, pseudo) == 0);
  udp[3] = 9;
  peer.from_guest(ipv4(17, udp));
  CHECK_FALSE(peer.has_frame());

  // A bad IP checksum, a runt, an oversized frame, an IPv6 frame: no answer, no crash.
  Bytes bad = ping(8);
  bad[24] ^= 1;
  peer.from_guest(bad);
  peer.from_guest(Bytes(10, 0));
  peer.from_guest(Bytes(2000, 0));
  peer.from_guest(ethernet(kPeerMac, 0x86dd, Bytes(40, 0)));
  CHECK_FALSE(peer.has_frame());
  CHECK(peer.state().answered == 4);
}

TEST_CASE("echo host: answers queue up to the bound, in order, and migrate") {
  NetEchoPeer peer({});
  for (unsigned k = 0; k < NetEchoPeer::kMaxFrames + 5; ++k) peer.from_guest(ping(1000));
  CHECK(peer.state().count == 32);  // 32 answers of 1042 bytes fit in the 48 KiB
  CHECK(peer.state().dropped == 5);
  peer.pop();
  peer.pop();
  NetEchoPeer dst({});
  lockstep::test::round_trip(lockstep::devices::net_echo_peer_vmstate(), peer.state(), dst);
  CHECK(front(dst) == front(peer));
  // A length that disagrees with the bytes is refused on load, naming what is wrong.
  NetEchoPeer::State s = peer.state();
  s.lengths[0] = 7;
  auto bytes = lockstep::snapshot::vm::save_bytes(lockstep::devices::net_echo_peer_vmstate(), s);
  REQUIRE(bytes);
  NetEchoPeer::State into{};
  auto st = lockstep::snapshot::vm::load_bytes(lockstep::devices::net_echo_peer_vmstate(), into, bytes.value(), 1);
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find("used is") != std::string::npos);
}

TEST_CASE("echo host: an answer spends the delay on the wire, in order") {
  NetEchoPeer::Options o;
  o.delay_ns = 5000;
  NetEchoPeer peer(o);
  peer.from_guest(ping(8), 100);
  peer.from_guest(ping(16), 300);
  REQUIRE(peer.has_frame());
  CHECK_FALSE(peer.frame_due(5099));
  CHECK(peer.next_deadline_ns() == 5100);
  CHECK(peer.frame_due(5100));
  peer.pop();
  CHECK(peer.next_deadline_ns() == 5300);
  peer.pop();
  CHECK(peer.next_deadline_ns() == ~std::uint64_t{0});
  // Arrival times migrate with the answers; out-of-order ones are refused.
  peer.from_guest(ping(8), 1000);
  peer.from_guest(ping(8), 2000);
  NetEchoPeer dst(o);
  lockstep::test::round_trip(lockstep::devices::net_echo_peer_vmstate(), peer.state(), dst);
  CHECK(dst.next_deadline_ns() == 6000);
  NetEchoPeer::State s = peer.state();
  std::swap(s.due_ns[0], s.due_ns[1]);
  auto bytes = lockstep::snapshot::vm::save_bytes(lockstep::devices::net_echo_peer_vmstate(), s);
  REQUIRE(bytes);
  NetEchoPeer::State into{};
  auto st = lockstep::snapshot::vm::load_bytes(lockstep::devices::net_echo_peer_vmstate(), into, bytes.value(), 1);
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find("due_ns[1] is before due_ns[0]") != std::string::npos);
}
