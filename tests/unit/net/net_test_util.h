#pragma once
// Shared by the net/ tests: bounded pumping of backends, free ports, frame builders.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "net/host_net_backend.h"
#include "net/netdev_options.h"

namespace lockstep::net::test {

// Polls the backends (10 ms at a time) until `done` holds, at most `rounds` times (a few seconds):
// a broken backend fails the test instead of hanging it.
inline bool pump_until(std::vector<HostNetBackend*> backends, const std::function<bool()>& done, int rounds = 500) {
  for (int i = 0; i < rounds; ++i) {
    if (done()) return true;
    std::vector<pollfd> none;
    poll_backends(backends, none, 10);
  }
  return done();
}

// A TCP port nothing listens on right now (bound to 0 and released).
inline std::uint16_t free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// A frame of `size` bytes whose content depends on `seed` and the position, so reordering,
// truncation or mixing of frames is caught.
inline std::vector<std::uint8_t> pattern_frame(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> f(size);
  for (std::size_t i = 0; i < size; ++i) f[i] = static_cast<std::uint8_t>(seed * 31 + i * 7 + (i >> 8));
  return f;
}

inline std::vector<std::uint8_t> take(HostNetBackend& b) {
  auto f = b.front();
  std::vector<std::uint8_t> out(f.begin(), f.end());
  b.pop();
  return out;
}

inline NetdevOptions parse_or_die(const std::string& spec) {
  auto r = parse_netdev(spec);
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return r.value();
}

}  // namespace lockstep::net::test
