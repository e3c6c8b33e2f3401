#pragma once
// Where a migration stream goes or comes from, QEMU's spelling: a file, unix:PATH, tcp:HOST:PORT.
// `lockstep run --incoming` listens (one connection), `--migrate-at` connects to a waiting destination.
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace lockstep::tools {

struct MigrationEndpoint {
  enum Kind { File, Unix, Tcp } kind = File;
  std::string path;  // File, Unix
  std::string host;  // Tcp
  std::uint16_t port = 0;
  std::string text;  // as given, for messages
};

Result<MigrationEndpoint> parse_endpoint(const std::string& text, bool allow_file);

// "ICOUNT=TARGET" (--save-at, --migrate-at).
struct CutPoint {
  std::uint64_t icount = 0;
  MigrationEndpoint target;
};
Result<CutPoint> parse_cut_point(const std::string& text, const char* option, bool allow_file);

// An fd to read one incoming stream from (a file, or the one accepted connection). For sockets,
// `on_listening` runs once the socket accepts connections (a message for the user). timeout_s > 0
// bounds the wait for the connection and every wait for data on it (--incoming-timeout).
class IncomingChannel {
 public:
  static Result<IncomingChannel> open(const MigrationEndpoint& e, void (*on_listening)(const std::string&),
                                      unsigned timeout_s = 0);
  IncomingChannel(IncomingChannel&& o) noexcept : fd_(o.fd_), unlink_(std::move(o.unlink_)) { o.fd_ = -1; }
  ~IncomingChannel();
  int fd() const { return fd_; }

 private:
  IncomingChannel(int fd, std::string unlink_path) : fd_(fd), unlink_(std::move(unlink_path)) {}
  int fd_ = -1;
  std::string unlink_;  // the listening unix socket's path, removed when done
};

// Connects to a waiting destination; the fd is the caller's to close.
Result<int> connect_endpoint(const MigrationEndpoint& e);

}  // namespace lockstep::tools
