#pragma once
// The -netdev argument in QEMU 7.2's spelling, parsed into plain values, and the backend it opens.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "net/host_net_backend.h"

namespace lockstep::net {

using MacAddress = std::array<std::uint8_t, 6>;

// An IPv4 address in host byte order (10.0.2.2 = 0x0a000202).
struct Ipv4 {
  std::uint32_t value = 0;
  friend bool operator==(Ipv4, Ipv4) = default;
};
std::string to_string(Ipv4 a);
std::string to_string(const MacAddress& m);
// Dotted quad only ("10.0.2.2"), as QEMU's inet_aton is used in practice; nullopt-like Error otherwise.
Result<Ipv4> parse_ipv4(std::string_view text);
// Six pairs of hex digits separated by ':' or '-', as QEMU's qdev "mac" property takes them.
Result<MacAddress> parse_mac(std::string_view text);

// hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT
struct HostForward {
  bool udp = false;
  Ipv4 host_addr;   // 0 = every host address (INADDR_ANY)
  std::uint16_t host_port = 0;
  Ipv4 guest_addr;  // 0 = the first DHCP address (slirp's rule)
  std::uint16_t guest_port = 0;
  std::string rule;  // as written, for messages
};

struct UserNetdev {
  Ipv4 network{0x0a000200};  // 10.0.2.0
  Ipv4 netmask{0xffffff00};  // /24
  Ipv4 host{0x0a000202};     // 10.0.2.2
  Ipv4 dns{0x0a000203};      // 10.0.2.3
  Ipv4 dhcp_start{0x0a00020f};  // 10.0.2.15
  bool restricted = false;
  bool ipv4 = true;
  bool ipv6 = true;
  std::string hostname;  // empty: none (slirp offers none by DHCP)
  std::vector<HostForward> hostfwd;
  int prefix_length() const;
};

// socket (listen=/connect=) and stream: both TCP or unix with QEMU's 4-byte length framing.
struct StreamNetdev {
  enum class Transport { Inet, Unix };
  bool server = false;
  Transport transport = Transport::Inet;
  std::string host;  // inet; empty = every address (listen) / localhost (connect)
  std::uint16_t port = 0;
  std::string path;  // unix
  bool from_socket = false;  // spelt "-netdev socket" (for messages)
};

// lockstep's deterministic test peer, implemented inside the machine (devices/net_echo_peer).
struct EchoNetdev {
  Ipv4 ip{0x0a000202};  // 10.0.2.2
  std::uint32_t delay_us = 0;  // virtual time an answer spends on the wire
  MacAddress mac{0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
};

enum class NetdevKind { User, Socket, Stream, Echo };

struct NetdevOptions {
  NetdevKind kind = NetdevKind::User;
  std::string id;
  UserNetdev user;      // kind == User
  StreamNetdev stream;  // kind == Socket or Stream
  EchoNetdev echo;      // kind == Echo
};

// Parses "user,id=net0,hostfwd=tcp::5555-:22" and the like. Errors use QEMU's words where QEMU
// has them ("Parameter 'id' is missing", "Invalid parameter 'x'").
Result<NetdevOptions> parse_netdev(std::string_view spec);

// Opens the host side of a user, socket or stream netdev (binds, listens or connects now).
// An echo netdev is the machine's own: asking for its host backend is an error.
Result<std::unique_ptr<HostNetBackend>> open_netdev(const NetdevOptions& options);

}  // namespace lockstep::net
