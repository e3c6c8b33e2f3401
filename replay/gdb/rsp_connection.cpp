#include "replay/gdb/rsp_connection.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace lockstep::replay::gdb {
namespace {

// Waits for fd to become readable; false on timeout.
bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    const int r = ::poll(&p, 1, timeout_ms);
    if (r >= 0) return r > 0;
    if (errno != EINTR) return true;  // let the read report the error
  }
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

Result<GdbEndpoint> parse_gdb_endpoint(std::string_view spec) {
  const std::string_view full = spec;
  if (auto comma = spec.find(','); comma != std::string_view::npos) {
    // QEMU chardev options: the debugger is always a listening server, so they change nothing.
    std::string_view opts = spec.substr(comma + 1);
    spec = spec.substr(0, comma);
    while (!opts.empty()) {
      const auto next = opts.find(',');
      const std::string_view o = opts.substr(0, next);
      if (o != "server" && o != "server=on" && o != "nowait" && o != "wait=off" && o != "ipv4" && o != "ipv6")
        return Error{fmt::format("-gdb {}: unsupported option '{}' (the debugger always listens and does not wait "
                                 "here; -S makes the guest wait)",
                                 full, o)};
      opts = next == std::string_view::npos ? std::string_view{} : opts.substr(next + 1);
    }
  }
  GdbEndpoint e;
  if (spec.starts_with("unix:")) {
    e.kind = GdbEndpoint::Kind::Unix;
    e.path = std::string(spec.substr(5));
    if (e.path.empty()) return Error{fmt::format("-gdb {}: no socket path after 'unix:'", full)};
    if (e.path.size() >= sizeof(sockaddr_un{}.sun_path))
      return Error{fmt::format("-gdb {}: the socket path is longer than {} bytes", full, sizeof(sockaddr_un{}.sun_path) - 1)};
    return e;
  }
  if (!spec.starts_with("tcp:"))
    return Error{fmt::format("-gdb {}: expected tcp::PORT, tcp:HOST:PORT or unix:PATH", full)};
  spec = spec.substr(4);
  const auto colon = spec.rfind(':');
  if (colon == std::string_view::npos) return Error{fmt::format("-gdb {}: expected tcp:HOST:PORT (HOST may be empty)", full)};
  e.host = std::string(spec.substr(0, colon));
  const std::string_view port = spec.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535)
    return Error{fmt::format("-gdb {}: '{}' is not a port number (0 to 65535)", full, port)};
  e.port = static_cast<std::uint16_t>(value);
  return e;
}

RspConnection::~RspConnection() { ::close(fd_); }

Status RspConnection::send(std::string_view payload) {
  if (acks_) last_sent_ = std::string(payload);
  return send_raw(frame_packet(payload));
}

bool RspConnection::pump(int timeout_ms) {
  if (closed_) return false;
  if (!wait_readable(fd_, timeout_ms)) return true;
  char buf[4096];
  ssize_t n;
  do n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  std::vector<RspEvent> got;
  parser_.feed(std::string_view(buf, static_cast<std::size_t>(n)), got);
  for (auto& e : got) events_.push_back(std::move(e));
  return true;
}

Result<std::optional<RspEvent>> RspConnection::next(int timeout_ms) {
  for (;;) {
    while (!events_.empty()) {
      RspEvent e = std::move(events_.front());
      events_.pop_front();
      switch (e.kind) {
        case RspEvent::Kind::Ack: continue;
        case RspEvent::Kind::Nak:
          if (acks_ && !last_sent_.empty()) LS_TRY(send(std::string(last_sent_)));
          continue;
        case RspEvent::Kind::BadChecksum:
          if (acks_) LS_TRY(send_raw("-"));
          continue;
        case RspEvent::Kind::Packet:
        case RspEvent::Kind::TooLong:
          if (acks_) LS_TRY(send_raw("+"));
          return std::optional<RspEvent>(std::move(e));
        case RspEvent::Kind::Interrupt: return std::optional<RspEvent>(std::move(e));
      }
    }
    if (!pump(timeout_ms)) return Error{"gdb closed the connection"};
    if (events_.empty()) return std::optional<RspEvent>();
  }
}

bool RspConnection::interrupt_requested() {
  pump(0);
  for (auto it = events_.begin(); it != events_.end(); ++it) {
    if (it->kind == RspEvent::Kind::Interrupt) {
      events_.erase(it);
      return true;
    }
  }
  return closed_;  // a vanished gdb stops the run too; the next read reports it
}

Status RspConnection::send_raw(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      closed_ = true;
      return Error{fmt::format("gdb connection: send failed: {}", errno_text())};
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Ok{};
}

Result<std::unique_ptr<RspListener>> RspListener::open(const GdbEndpoint& at) {
  if (at.kind == GdbEndpoint::Kind::Unix) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Error{fmt::format("-gdb unix:{}: socket: {}", at.path, errno_text())};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, at.path.data(), at.path.size());
    ::unlink(at.path.c_str());  // a socket left by an earlier run
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 1) != 0) {
      Error e{fmt::format("-gdb unix:{}: cannot listen: {}", at.path, errno_text())};
      ::close(fd);
      return e;
    }
    return std::unique_ptr<RspListener>(new RspListener(fd, at.path, 0, at.path));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(at.port);
  // QEMU's "tcp::1234" listens on every address; an explicit host restricts it.
  const int gai = ::getaddrinfo(at.host.empty() ? nullptr : at.host.c_str(), port.c_str(), &hints, &list);
  if (gai != 0) return Error{fmt::format("-gdb tcp:{}:{}: {}", at.host, at.port, ::gai_strerror(gai))};
  std::string last_error = "no address";
  int fd = -1;
  // IPv4 first when listening everywhere: gdb's "localhost" tries it first.
  for (int family : {AF_INET, AF_INET6}) {
    for (addrinfo* a = list; a && fd < 0; a = a->ai_next) {
      if (a->ai_family != family) continue;
      const int s = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (s < 0) continue;
      const int one = 1;
      ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (::bind(s, a->ai_addr, a->ai_addrlen) == 0 && ::listen(s, 1) == 0) {
        fd = s;
      } else {
        last_error = errno_text();
        ::close(s);
      }
    }
  }
  ::freeaddrinfo(list);
  if (fd < 0) return Error{fmt::format("-gdb tcp:{}:{}: cannot listen: {}", at.host, at.port, last_error)};
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  const std::uint16_t actual = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                                 : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return std::unique_ptr<RspListener>(new RspListener(
      fd, fmt::format("{}:{}", at.host.empty() ? "localhost" : at.host, actual), actual, std::string()));
}

RspListener::~RspListener() {
  ::close(fd_);
  if (!unlink_path_.empty()) ::unlink(unlink_path_.c_str());
}

Result<std::unique_ptr<RspConnection>> RspListener::accept(int timeout_ms) {
  if (!wait_readable(fd_, timeout_ms)) return std::unique_ptr<RspConnection>();
  const int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) return std::unique_ptr<RspConnection>();
    return Error{fmt::format("gdb: accept failed: {}", errno_text())};
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails harmlessly on a unix socket
  return std::make_unique<RspConnection>(fd);
}

}  // namespace lockstep::replay::gdb
