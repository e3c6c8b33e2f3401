// -netdev user through libslirp: ARP, UDP out and back through a host socket, hostfwd to the guest.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <poll.h>

#include <optional>

#include "net/slirp_backend.h"
#include "net_test_util.h"

namespace {

using namespace lockstep::net;
using namespace lockstep::net::test;
using Bytes = std::vector<std::uint8_t>;

const MacAddress kGuestMac{0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
const MacAddress kSlirpMac{0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};  // slirp's 52:55 + the host's IPv4
constexpr std::uint32_t kGuestIp = 0x0a00020f;  // 10.0.2.15
constexpr std::uint32_t kHostIp = 0x0a000202;   // 10.0.2.2

void put16(Bytes& b, std::uint16_t v) { b.insert(b.end(), {std::uint8_t(v >> 8), std::uint8_t(v)}); }
void put32(Bytes& b, std::uint32_t v) { put16(b, std::uint16_t(v >> 16)); put16(b, std::uint16_t(v)); }
std::uint16_t get16(const Bytes& b, std::size_t at) { return std::uint16_t(b[at] << 8 | b[at + 1]); }
std::uint32_t get32(const Bytes& b, std::size_t at) { return std::uint32_t(get16(b, at)) << 16 | get16(b, at + 2); }
MacAddress mac_at(const Bytes& b, std::size_t at) {
  MacAddress m;
  std::copy(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + 6), m.begin());
  return m;
}

Bytes ethernet(const MacAddress& dst, const MacAddress& src, std::uint16_t type) {
  Bytes b(dst.begin(), dst.end());
  b.insert(b.end(), src.begin(), src.end());
  put16(b, type);
  return b;
}

Bytes arp_request(std::uint32_t sender_ip, std::uint32_t target_ip) {
  Bytes b = ethernet({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, kGuestMac, 0x0806);
  put16(b, 1);       // Ethernet
  put16(b, 0x0800);  // IPv4
  b.push_back(6);
  b.push_back(4);
  put16(b, 1);  // request
  b.insert(b.end(), kGuestMac.begin(), kGuestMac.end());
  put32(b, sender_ip);
  b.insert(b.end(), 6, 0);
  put32(b, target_ip);
  b.resize(60, 0);
  return b;
}

std::uint16_t ip_checksum(const std::uint8_t* p, std::size_t len) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < len; i += 2) sum += std::uint32_t(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return std::uint16_t(~sum);
}

// IPv4/UDP from the guest, UDP checksum 0 (none), as slirp accepts.
Bytes udp_frame(std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport, const Bytes& payload) {
  Bytes b = ethernet(kSlirpMac, kGuestMac, 0x0800);
  std::size_t ip_at = b.size();
  b.push_back(0x45);
  b.push_back(0);
  put16(b, std::uint16_t(20 + 8 + payload.size()));
  put16(b, 0x1234);  // id
  put16(b, 0x4000);  // DF
  b.push_back(64);
  b.push_back(17);
  put16(b, 0);
  put32(b, src);
  put32(b, dst);
  std::uint16_t sum = ip_checksum(b.data() + ip_at, 20);
  b[ip_at + 10] = std::uint8_t(sum >> 8);
  b[ip_at + 11] = std::uint8_t(sum);
  put16(b, sport);
  put16(b, dport);
  put16(b, std::uint16_t(8 + payload.size()));
  put16(b, 0);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

struct Ipv4Packet {
  std::uint8_t protocol = 0;
  std::uint32_t src = 0, dst = 0;
  std::size_t l4 = 0;  // offset of the transport header in the frame
};
std::optional<Ipv4Packet> as_ipv4(const Bytes& f) {
  if (f.size() < 34 || get16(f, 12) != 0x0800 || (f[14] >> 4) != 4) return std::nullopt;
  return Ipv4Packet{f[23], get32(f, 26), get32(f, 30), 14 + std::size_t(f[14] & 0xf) * 4};
}

std::unique_ptr<SlirpBackend> open_user(const std::string& spec) {
  auto opts = parse_or_die(spec);
  auto r = SlirpBackend::open(opts.id, opts.user);
  INFO(spec);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  return std::move(r.value());
}

// Pumps until a frame from slirp satisfies `want`; other frames (IPv6 router advertisements,
// neighbour solicitations) are skipped.
std::optional<Bytes> wait_for_frame(SlirpBackend& b, const std::function<bool(const Bytes&)>& want) {
  std::optional<Bytes> found;
  pump_until({&b}, [&] {
    while (!found && b.has_frame()) {
      Bytes f = take(b);
      if (want(f)) found = std::move(f);
    }
    return found.has_value();
  });
  return found;
}

bool is_arp_reply_from_host(const Bytes& f) {
  return f.size() >= 42 && get16(f, 12) == 0x0806 && get16(f, 20) == 2 && get32(f, 28) == kHostIp &&
         get32(f, 38) == kGuestIp;
}

// The guest asks who 10.0.2.2 is; slirp answers and, as a side effect, learns the guest's MAC,
// which it needs before it can send the guest anything else.
void introduce_guest(SlirpBackend& b) {
  b.transmit(arp_request(kGuestIp, kHostIp));
  auto reply = wait_for_frame(b, is_arp_reply_from_host);
  REQUIRE(reply);
}

}  // namespace

TEST_CASE("slirp: an ARP request for 10.0.2.2 gets slirp's ARP reply") {
  auto b = open_user("user,id=net0");
  CHECK(b->describe() == "net0: user net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,dhcpstart=10.0.2.15,restrict=off,ipv6=on");
  b->transmit(arp_request(kGuestIp, kHostIp));
  auto reply = wait_for_frame(*b, [](const Bytes& f) { return f.size() >= 14 && get16(f, 12) == 0x0806; });
  REQUIRE(reply);
  const Bytes& f = *reply;
  CHECK(mac_at(f, 0) == kGuestMac);   // to the guest
  CHECK(mac_at(f, 6) == kSlirpMac);   // from slirp
  CHECK(get16(f, 20) == 2);           // reply
  CHECK(mac_at(f, 22) == kSlirpMac);  // 10.0.2.2 is at 52:55:0a:00:02:02
  CHECK(get32(f, 28) == kHostIp);
  CHECK(mac_at(f, 32) == kGuestMac);
  CHECK(get32(f, 38) == kGuestIp);
}

TEST_CASE("slirp: UDP to 10.0.2.2:PORT reaches 127.0.0.1:PORT and the reply comes back as a frame") {
  auto b = open_user("user,id=net0");
  introduce_guest(*b);

  int sock = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(sock, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
  socklen_t len = sizeof local;
  ::getsockname(sock, reinterpret_cast<sockaddr*>(&local), &len);
  std::uint16_t port = ntohs(local.sin_port);

  const Bytes ping{'p', 'i', 'n', 'g', 0, 1, 2, 3};
  b->transmit(udp_frame(kGuestIp, 5000, kHostIp, port, ping));

  // slirp sends from its own host socket; the test's socket sees the payload.
  Bytes got(2048);
  sockaddr_in from{};
  socklen_t from_len = sizeof from;
  ssize_t n = -1;
  REQUIRE(pump_until({b.get()}, [&] {
    pollfd p{sock, POLLIN, 0};
    if (::poll(&p, 1, 0) != 1) return false;
    n = ::recvfrom(sock, got.data(), got.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    return true;
  }));
  REQUIRE(n == static_cast<ssize_t>(ping.size()));
  got.resize(static_cast<std::size_t>(n));
  CHECK(got == ping);

  const Bytes pong{'p', 'o', 'n', 'g', 9, 8, 7};
  REQUIRE(::sendto(sock, pong.data(), pong.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len) ==
          static_cast<ssize_t>(pong.size()));
  auto reply = wait_for_frame(*b, [&](const Bytes& f) {
    auto ip = as_ipv4(f);
    return ip && ip->protocol == 17 && ip->dst == kGuestIp;
  });
  REQUIRE(reply);
  const Bytes& f = *reply;
  auto ip = *as_ipv4(f);
  CHECK(mac_at(f, 0) == kGuestMac);
  CHECK(ip.src == kHostIp);
  CHECK(get16(f, ip.l4) == port);      // from 10.0.2.2:PORT
  CHECK(get16(f, ip.l4 + 2) == 5000);  // to the guest's port
  CHECK(Bytes(f.begin() + static_cast<std::ptrdiff_t>(ip.l4 + 8), f.end()) == pong);
  ::close(sock);
}

TEST_CASE("slirp: hostfwd=tcp::HOSTPORT-:22 turns a host connect() into a SYN to 10.0.2.15:22") {
  std::uint16_t port = free_tcp_port();
  auto b = open_user("user,id=net0,hostfwd=tcp::" + std::to_string(port) + "-:22");
  CHECK(b->describe().find(",hostfwd=tcp::" + std::to_string(port) + "-:22") != std::string::npos);
  introduce_guest(*b);

  int sock = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(port);
  int rc = ::connect(sock, reinterpret_cast<sockaddr*>(&to), sizeof to);
  REQUIRE((rc == 0 || errno == EINPROGRESS));

  auto syn = wait_for_frame(*b, [](const Bytes& f) {
    auto ip = as_ipv4(f);
    return ip && ip->protocol == 6 && ip->dst == kGuestIp;
  });
  REQUIRE(syn);
  const Bytes& f = *syn;
  auto ip = *as_ipv4(f);
  CHECK(mac_at(f, 0) == kGuestMac);
  CHECK(get16(f, ip.l4 + 2) == 22);
  std::uint8_t flags = f[ip.l4 + 13];
  CHECK((flags & 0x02) != 0);  // SYN
  CHECK((flags & 0x10) == 0);  // not ACK: a new connection
  ::close(sock);
}

TEST_CASE("slirp: a hostfwd port already taken is an error naming the rule") {
  int taken = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  REQUIRE(::bind(taken, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(taken, 1) == 0);
  socklen_t len = sizeof a;
  ::getsockname(taken, reinterpret_cast<sockaddr*>(&a), &len);
  std::string rule = "tcp::" + std::to_string(ntohs(a.sin_port)) + "-:22";
  auto r = open_netdev(parse_or_die("user,id=u,hostfwd=" + rule));
  REQUIRE(!r.ok());
  CHECK(r.error().message.rfind("Could not set up host forwarding rule '" + rule + "'", 0) == 0);
  ::close(taken);
}

TEST_CASE("slirp: hostile frames from the guest do not crash it") {
  auto b = open_user("user,id=net0");
  for (std::size_t n : {0, 1, 13, 14, 20, 41, 60}) b->transmit(Bytes(n, 0xff));
  Bytes truncated_ip = udp_frame(kGuestIp, 1, kHostIp, 9, {});
  truncated_ip[16] = 0xff;  // total length far beyond the frame
  truncated_ip[17] = 0xff;
  b->transmit(truncated_ip);
  pump_until({b.get()}, [] { return false; }, 3);
  CHECK(b->dropped_tx() == 0);
}

TEST_CASE("slirp: an infinite poll timeout is lowered (slirp's timers need a look at least every second)") {
  auto b = open_user("user,id=a");
  std::vector<pollfd> fds;
  int timeout = -1;
  b->prepare_poll(fds, timeout);
  CHECK(timeout > 0);
  CHECK(timeout <= 1000);
  b->dispatch_poll(fds);
  timeout = 5;  // a shorter caller deadline stays
  fds.clear();
  b->prepare_poll(fds, timeout);
  CHECK(timeout <= 5);
  b->dispatch_poll(fds);
}
