#include "tools/migration_channel.h"

#include <poll.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "snapshot/stream/byte_source.h"
#include "tools/option_values.h"

namespace lockstep::tools {
namespace {

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(a.sun_path))
    return Error{fmt::format("unix socket path '{}' is empty or longer than {} bytes", path, sizeof(a.sun_path) - 1)};
  std::memcpy(a.sun_path, path.data(), path.size());
  return a;
}

Result<sockaddr_in> tcp_address(const MigrationEndpoint& e) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(e.port);
  const std::string host = e.host == "localhost" ? "127.0.0.1" : e.host;
  if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1)
    return Error{fmt::format("tcp:{}:{}: the host must be an IPv4 address (e.g. 127.0.0.1)", e.host, e.port)};
  return a;
}

}  // namespace

Result<MigrationEndpoint> parse_endpoint(const std::string& text, bool allow_file) {
  MigrationEndpoint e;
  e.text = text;
  if (text.rfind("unix:", 0) == 0) {
    e.kind = MigrationEndpoint::Unix;
    e.path = text.substr(5);
    LS_TRY(unix_address(e.path));
    return e;
  }
  if (text.rfind("tcp:", 0) == 0) {
    e.kind = MigrationEndpoint::Tcp;
    const std::string rest = text.substr(4);
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0)
      return Error{fmt::format("'{}': expected tcp:HOST:PORT", text)};
    e.host = rest.substr(0, colon);
    auto port = parse_count(rest.substr(colon + 1), "port");
    if (!port || port.value() == 0 || port.value() > 65535)
      return Error{fmt::format("'{}': the port must be 1 to 65535", text)};
    e.port = static_cast<std::uint16_t>(port.value());
    LS_TRY(tcp_address(e));
    return e;
  }
  if (text.find(':') != std::string::npos && text.rfind("file:", 0) != 0 && text[0] != '/' && text[0] != '.') {
    const std::string scheme = text.substr(0, text.find(':'));
    if (scheme == "exec" || scheme == "fd" || scheme == "rdma")
      return Error{fmt::format("'{}': the {} transport is not supported (use a file, unix:PATH or tcp:HOST:PORT)",
                               text, scheme)};
  }
  if (!allow_file) return Error{fmt::format("'{}': expected unix:PATH or tcp:HOST:PORT", text)};
  e.kind = MigrationEndpoint::File;
  e.path = text.rfind("file:", 0) == 0 ? text.substr(5) : text;
  if (e.path.empty()) return Error{"empty file name"};
  return e;
}

Result<CutPoint> parse_cut_point(const std::string& text, const char* option, bool allow_file) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    return Error{fmt::format("{} '{}': expected ICOUNT={}", option, text, allow_file ? "FILE" : "unix:PATH")};
  auto n = parse_count(text.substr(0, eq), option);
  if (!n) return n.error();
  auto target = parse_endpoint(text.substr(eq + 1), allow_file);
  if (!target) return Error{fmt::format("{}: {}", option, target.error().message)};
  return CutPoint{n.value(), target.value()};
}

IncomingChannel::~IncomingChannel() {
  if (fd_ >= 0) ::close(fd_);
  if (!unlink_.empty()) ::unlink(unlink_.c_str());
}

Result<IncomingChannel> IncomingChannel::open(const MigrationEndpoint& e, void (*on_listening)(const std::string&),
                                              unsigned timeout_s) {
  if (e.kind == MigrationEndpoint::File) {
    int fd = ::open(e.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error{fmt::format("cannot open '{}': {}", e.path, std::strerror(errno))};
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      ::close(fd);
      return Error{fmt::format("'{}' is a directory", e.path)};
    }
    return IncomingChannel(fd, {});
  }
  const int domain = e.kind == MigrationEndpoint::Unix ? AF_UNIX : AF_INET;
  int ls = ::socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0) return Error{fmt::format("socket: {}", std::strerror(errno))};
  int rc;
  std::string unlink_path;
  if (e.kind == MigrationEndpoint::Unix) {
    LS_TRY_ASSIGN(sockaddr_un a, unix_address(e.path));
    struct stat st {};
    if (::lstat(e.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(e.path.c_str());  // a stale socket
    rc = ::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a);
    unlink_path = e.path;
  } else {
    LS_TRY_ASSIGN(sockaddr_in a, tcp_address(e));
    int one = 1;
    ::setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    rc = ::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  if (rc != 0 || ::listen(ls, 1) != 0) {
    const int err = errno;
    ::close(ls);
    return Error{fmt::format("cannot listen on {}: {}", e.text, std::strerror(err))};
  }
  if (on_listening) on_listening(e.text);
  if (timeout_s > 0) {
    pollfd p{ls, POLLIN, 0};
    int n;
    do n = ::poll(&p, 1, static_cast<int>(timeout_s) * 1000);
    while (n < 0 && errno == EINTR);
    if (n == 0) {
      ::close(ls);
      if (!unlink_path.empty()) ::unlink(unlink_path.c_str());
      return Error{fmt::format("no migration source connected to {} within {} s (--incoming-timeout)", e.text,
                               timeout_s)};
    }
  }
  int fd;
  do fd = ::accept4(ls, nullptr, nullptr, SOCK_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  const int err = errno;
  ::close(ls);
  if (!unlink_path.empty()) ::unlink(unlink_path.c_str());
  if (fd < 0) return Error{fmt::format("accept on {}: {}", e.text, std::strerror(err))};
  if (timeout_s > 0) {
    timeval tv{static_cast<time_t>(timeout_s), 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  return IncomingChannel(fd, {});
}

Result<int> connect_endpoint(const MigrationEndpoint& e) {
  const int domain = e.kind == MigrationEndpoint::Unix ? AF_UNIX : AF_INET;
  int fd = ::socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{fmt::format("socket: {}", std::strerror(errno))};
  int rc;
  if (e.kind == MigrationEndpoint::Unix) {
    LS_TRY_ASSIGN(sockaddr_un a, unix_address(e.path));
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    LS_TRY_ASSIGN(sockaddr_in a, tcp_address(e));
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  if (rc != 0) {
    const int err = errno;
    ::close(fd);
    return Error{fmt::format("Failed to connect to '{}': {} (is the destination running with --incoming {}?)", e.text,
                             std::strerror(err), e.text)};
  }
  return fd;
}

}  // namespace lockstep::tools
