#include "net/stream_backend.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

namespace lockstep::net {

namespace {

// How long open() waits for a TCP connect to complete before it reports failure.
constexpr int kConnectTimeoutMs = 5000;
// Reads per dispatch: a fast peer cannot keep the caller in one dispatch for ever.
constexpr int kReadsPerDispatch = 16;

std::string errno_text(int err) { return std::strerror(err); }

std::string numeric_name(const sockaddr* sa, socklen_t len) {
  char host[NI_MAXHOST], serv[NI_MAXSERV];
  if (::getnameinfo(sa, len, host, sizeof host, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return "?";
  if (sa->sa_family == AF_INET6) return fmt::format("[{}]:{}", host, serv);
  return fmt::format("{}:{}", host, serv);
}

void set_nodelay(int fd) {
  // Frames are latency-sensitive and already whole: do not let Nagle hold a small one back.
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

struct AddrInfoList {
  addrinfo* head = nullptr;
  ~AddrInfoList() {
    if (head) ::freeaddrinfo(head);
  }
};

// The addresses of host:port for a stream socket; passive: for listening (an empty host is every
// address), else for connecting (an empty host is the local one).
Status resolve(const std::string& host, std::uint16_t port, bool passive, AddrInfoList& list) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (passive) hints.ai_flags = AI_PASSIVE;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &list.head); rc != 0)
    return Error{fmt::format("can't resolve host address '{}': {}", host, ::gai_strerror(rc))};
  return Ok{};
}

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) return Error{fmt::format("UNIX socket path '{}' is too long", path)};
  std::memcpy(a.sun_path, path.data(), path.size());
  return a;
}

}  // namespace

StreamBackend::StreamBackend(std::string id, StreamNetdev options) : id_(std::move(id)), options_(std::move(options)) {}

StreamBackend::~StreamBackend() {
  if (peer_fd_ >= 0) ::close(peer_fd_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (unlink_on_close_) ::unlink(options_.path.c_str());
}

Result<std::unique_ptr<StreamBackend>> StreamBackend::open(const std::string& id, const StreamNetdev& options) {
  std::unique_ptr<StreamBackend> b(new StreamBackend(id, options));
  if (options.server) {
    LS_TRY(b->start_listening());
  } else {
    LS_TRY(b->connect_now());
  }
  return b;
}

std::string StreamBackend::endpoint() const {
  if (options_.transport == StreamNetdev::Transport::Unix) return options_.path;
  std::string host = options_.host.empty() ? (options_.server ? "0.0.0.0" : "127.0.0.1") : options_.host;
  std::uint16_t port = options_.server && listen_port_ ? listen_port_ : options_.port;
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Status StreamBackend::start_listening() {
  if (options_.transport == StreamNetdev::Transport::Unix) {
    LS_TRY_ASSIGN(sockaddr_un a, unix_address(options_.path));
    // As QEMU does, a stale socket from an earlier run is replaced; any other file is kept.
    struct stat st {};
    if (::stat(options_.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(options_.path.c_str());
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return Error{fmt::format("can't create stream socket: {}", errno_text(errno))};
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
      int err = errno;
      ::close(fd);
      return Error{fmt::format("Failed to bind socket to {}: {}", options_.path, errno_text(err))};
    }
    unlink_on_close_ = true;
    if (::listen(fd, 1) < 0) {
      int err = errno;
      ::close(fd);
      return Error{fmt::format("can't listen on socket {}: {}", options_.path, errno_text(err))};
    }
    listen_fd_ = fd;
    return Ok{};
  }
  AddrInfoList list;
  LS_TRY(resolve(options_.host, options_.port, /*passive=*/true, list));
  int last_err = 0;
  for (addrinfo* ai = list.head; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_err = errno;
      continue;
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || ::listen(fd, 1) < 0) {
      last_err = errno;
      ::close(fd);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
      if (bound.ss_family == AF_INET) listen_port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
      if (bound.ss_family == AF_INET6) listen_port_ = ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    }
    listen_fd_ = fd;
    return Ok{};
  }
  return Error{fmt::format("can't bind ip={} to socket: {}", endpoint(), errno_text(last_err))};
}

Status StreamBackend::connect_now() {
  auto try_connect = [&](int family, const sockaddr* addr, socklen_t len) -> int {
    int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    int rc;
    do rc = ::connect(fd, addr, len);
    while (rc < 0 && errno == EINTR);
    if (rc < 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int n;
      do n = ::poll(&p, 1, kConnectTimeoutMs);
      while (n < 0 && errno == EINTR);
      if (n == 0) {
        ::close(fd);
        return ETIMEDOUT;
      }
      int err = 0;
      socklen_t elen = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
      if (err != 0) {
        ::close(fd);
        return err;
      }
    } else if (rc < 0) {
      int err = errno;
      ::close(fd);
      return err;
    }
    peer_fd_ = fd;
    return 0;
  };

  if (options_.transport == StreamNetdev::Transport::Unix) {
    LS_TRY_ASSIGN(sockaddr_un a, unix_address(options_.path));
    if (int err = try_connect(AF_UNIX, reinterpret_cast<sockaddr*>(&a), sizeof a))
      return Error{fmt::format("could not connect to {}: {}", options_.path, errno_text(err))};
    peer_name_ = options_.path;
    return Ok{};
  }
  AddrInfoList list;
  LS_TRY(resolve(options_.host, options_.port, /*passive=*/false, list));
  int last_err = ECONNREFUSED;
  for (addrinfo* ai = list.head; ai; ai = ai->ai_next) {
    if (int err = try_connect(ai->ai_family, ai->ai_addr, ai->ai_addrlen)) {
      last_err = err;
      continue;
    }
    set_nodelay(peer_fd_);
    peer_name_ = numeric_name(ai->ai_addr, ai->ai_addrlen);
    return Ok{};
  }
  return Error{fmt::format("could not connect to {}: {}", endpoint(), errno_text(last_err))};
}

void StreamBackend::accept_peer() {
  sockaddr_storage from{};
  socklen_t len = sizeof from;
  int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&from), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return;  // EAGAIN (the peer gave up), EINTR, ECONNABORTED: wait for the next one
  peer_fd_ = fd;
  if (from.ss_family == AF_UNIX) {
    peer_name_ = options_.path;
  } else {
    set_nodelay(fd);
    peer_name_ = numeric_name(reinterpret_cast<sockaddr*>(&from), len);
  }
}

void StreamBackend::transmit(std::span<const std::uint8_t> frame) {
  // No peer yet (a listener: QEMU drops these too), or a connector whose peer is gone.
  if (peer_fd_ < 0 || frame.empty() || frame.size() > kMaxFrame) {
    count_dropped_tx();
    return;
  }
  std::size_t pending = send_buf_.size() - send_pos_;
  if (pending + 4 + frame.size() > kMaxSendBuffer) {
    count_dropped_tx();
    return;
  }
  if (send_pos_ == send_buf_.size()) {
    send_buf_.clear();
    send_pos_ = 0;
  } else if (send_pos_ > kMaxSendBuffer / 2) {
    send_buf_.erase(send_buf_.begin(), send_buf_.begin() + static_cast<std::ptrdiff_t>(send_pos_));
    send_pos_ = 0;
  }
  auto n = static_cast<std::uint32_t>(frame.size());
  std::uint8_t header[4] = {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                            static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  send_buf_.insert(send_buf_.end(), header, header + 4);
  send_buf_.insert(send_buf_.end(), frame.begin(), frame.end());
  write_to_peer();
}

void StreamBackend::write_to_peer() {
  while (peer_fd_ >= 0 && send_pos_ < send_buf_.size()) {
    ssize_t n = ::send(peer_fd_, send_buf_.data() + send_pos_, send_buf_.size() - send_pos_,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      send_pos_ += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;  // the rest goes when poll says POLLOUT
    } else {
      close_peer(n < 0 ? errno_text(errno) : "write returned 0");
      return;
    }
  }
}

void StreamBackend::read_from_peer() {
  std::uint8_t buf[16384];
  for (int i = 0; i < kReadsPerDispatch && peer_fd_ >= 0 && !rx().full(); ++i) {
    ssize_t n = ::recv(peer_fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      if (!parse_frames(buf, static_cast<std::size_t>(n))) {
        close_peer(fmt::format("it announced a frame of {} bytes, over the {}-byte limit",
                               (std::uint32_t{header_[0]} << 24) | (std::uint32_t{header_[1]} << 16) |
                                   (std::uint32_t{header_[2]} << 8) | header_[3],
                               kMaxFrame));
        return;
      }
    } else if (n == 0) {
      close_peer("the peer closed the connection");
      return;
    } else if (errno == EINTR) {
      continue;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return;
    } else {
      close_peer(errno_text(errno));
      return;
    }
  }
}

bool StreamBackend::parse_frames(const std::uint8_t* data, std::size_t len) {
  while (len > 0) {
    if (!in_body_) {
      std::size_t take = std::min(len, sizeof header_ - header_have_);
      std::memcpy(header_ + header_have_, data, take);
      header_have_ += take;
      data += take;
      len -= take;
      if (header_have_ < sizeof header_) break;
      std::uint32_t n = (std::uint32_t{header_[0]} << 24) | (std::uint32_t{header_[1]} << 16) |
                        (std::uint32_t{header_[2]} << 8) | header_[3];
      if (n > kMaxFrame) return false;
      header_have_ = 0;
      if (n == 0) continue;  // an empty frame carries nothing for a NIC
      body_.clear();
      body_.reserve(n);
      body_want_ = n;
      in_body_ = true;
    } else {
      std::size_t take = std::min(len, body_want_ - body_.size());
      body_.insert(body_.end(), data, data + take);
      data += take;
      len -= take;
      if (body_.size() == body_want_) {
        rx().push(body_);  // a full queue drops it, counted in dropped_rx()
        in_body_ = false;
      }
    }
  }
  return true;
}

void StreamBackend::close_peer(const std::string& why) {
  if (peer_fd_ < 0) return;
  ::close(peer_fd_);
  peer_fd_ = -1;
  header_have_ = 0;
  in_body_ = false;
  body_.clear();
  body_.shrink_to_fit();
  send_buf_.clear();
  send_pos_ = 0;
  const char* kind = options_.from_socket ? "socket" : "stream";
  if (options_.server) {
    fmt::print(stderr, "lockstep: netdev {} ({}): peer {} disconnected ({}); waiting for a new connection on {}\n",
               id_, kind, peer_name_, why, endpoint());
    peer_name_.clear();
  } else {
    peer_lost_ = true;
    fmt::print(stderr, "lockstep: netdev {} ({}): connection to {} lost ({}); frames from the guest are dropped\n",
               id_, kind, peer_name_, why);
  }
}

void StreamBackend::prepare_poll(std::vector<pollfd>& fds, int&) {
  slice_.first = fds.size();
  listen_index_ = peer_index_ = -1;
  if (peer_fd_ >= 0) {
    short events = 0;
    // A full rx queue stops reading: TCP's window pushes back on the sender instead of us
    // dropping. The queue drains when the guest takes frames, not on an fd event, so with nothing
    // to send the fd is left out (HUP and ERR would otherwise wake every poll while it is full).
    if (!rx().full()) events |= POLLIN;
    if (send_pos_ < send_buf_.size()) events |= POLLOUT;
    if (events != 0) {
      peer_index_ = static_cast<int>(fds.size() - slice_.first);
      fds.push_back(pollfd{peer_fd_, events, 0});
    }
  } else if (listen_fd_ >= 0) {
    listen_index_ = static_cast<int>(fds.size() - slice_.first);
    fds.push_back(pollfd{listen_fd_, POLLIN, 0});
  }
  slice_.count = fds.size() - slice_.first;
}

void StreamBackend::dispatch_poll(const std::vector<pollfd>& fds) {
  auto mine = slice_.of(fds);
  if (mine.size() != slice_.count) return;
  if (listen_index_ >= 0 && mine[static_cast<std::size_t>(listen_index_)].fd == listen_fd_ &&
      (mine[static_cast<std::size_t>(listen_index_)].revents & POLLIN))
    accept_peer();
  if (peer_index_ >= 0 && mine[static_cast<std::size_t>(peer_index_)].fd == peer_fd_) {
    short revents = mine[static_cast<std::size_t>(peer_index_)].revents;
    if (revents & POLLIN) read_from_peer();
    // HUP without readable data: nothing more will come. With data left, read it first (above);
    // the next round sees recv() return 0.
    if (peer_fd_ >= 0 && (revents & (POLLERR | POLLNVAL))) {
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(peer_fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      close_peer(err ? errno_text(err) : "socket error");
    } else if (peer_fd_ >= 0 && (revents & POLLHUP) && !(revents & POLLIN)) {
      close_peer("the peer closed the connection");
    }
    if (peer_fd_ >= 0 && (revents & POLLOUT)) write_to_peer();
  }
}

std::string StreamBackend::describe() const {
  const char* kind = options_.from_socket ? "socket" : "stream";
  if (options_.server) {
    if (peer_fd_ >= 0) return fmt::format("{}: {}: connection from {} (listening on {})", id_, kind, peer_name_, endpoint());
    return fmt::format("{}: {}: listening on {}", id_, kind, endpoint());
  }
  if (peer_lost_) return fmt::format("{}: {}: connection to {} lost", id_, kind, peer_name_);
  return fmt::format("{}: {}: connected to {}", id_, kind, peer_name_);
}

}  // namespace lockstep::net
