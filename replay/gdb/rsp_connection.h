#pragma once
// Where gdb connects (QEMU's -gdb spelling), the listening socket, and one connection: packets out
// with acknowledgement handling, events in with a timeout, and a non-blocking look for Ctrl-C while
// the guest runs.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "replay/gdb/rsp_packet.h"

namespace lockstep::replay::gdb {

// "tcp::1234" (every local address), "tcp:HOST:1234", "unix:PATH"; QEMU's chardev options after a
// comma (",server", ",server=on", ",nowait", ",wait=off", ",ipv4") are accepted and mean nothing
// more here (the debugger always listens). Port 0 takes any free port (tests read it back).
struct GdbEndpoint {
  enum class Kind { Tcp, Unix };
  Kind kind = Kind::Tcp;
  std::string host;
  std::uint16_t port = 0;
  std::string path;
};
Result<GdbEndpoint> parse_gdb_endpoint(std::string_view spec);

class RspConnection {
 public:
  explicit RspConnection(int fd) : fd_(fd) {}
  ~RspConnection();
  RspConnection(const RspConnection&) = delete;
  RspConnection& operator=(const RspConnection&) = delete;

  // Frames and sends one packet; kept for a resend while gdb acknowledges packets.
  Status send(std::string_view payload);
  // The next packet, interrupt or unreadable packet, waiting up to timeout_ms (-1: no limit);
  // nullopt on timeout. Acknowledgements are handled here ('+' sent for a packet, '-' for a damaged
  // one, the last packet resent on '-'). An error once gdb has closed the connection.
  Result<std::optional<RspEvent>> next(int timeout_ms);
  // Reads whatever has arrived, without waiting: whether gdb sent Ctrl-C (anything else is kept).
  bool interrupt_requested();
  // QStartNoAckMode: from now on neither side acknowledges.
  void stop_acknowledging() { acks_ = false; }

 private:
  // Reads available bytes (waiting up to timeout_ms) into events_; false when the peer closed.
  bool pump(int timeout_ms);
  Status send_raw(std::string_view bytes);
  int fd_;
  bool acks_ = true;
  bool closed_ = false;
  PacketParser parser_;
  std::deque<RspEvent> events_;
  std::string last_sent_;
};

class RspListener {
 public:
  static Result<std::unique_ptr<RspListener>> open(const GdbEndpoint& at);
  ~RspListener();
  RspListener(const RspListener&) = delete;
  RspListener& operator=(const RspListener&) = delete;

  // What to type after gdb's `target remote`: "localhost:PORT" or the unix socket's path.
  const std::string& address() const { return address_; }
  std::uint16_t port() const { return port_; }
  // Waits up to timeout_ms (-1: no limit) for gdb; nullptr when none came.
  Result<std::unique_ptr<RspConnection>> accept(int timeout_ms);

 private:
  RspListener(int fd, std::string address, std::uint16_t port, std::string unlink_path)
      : fd_(fd), address_(std::move(address)), port_(port), unlink_path_(std::move(unlink_path)) {}
  int fd_;
  std::string address_;
  std::uint16_t port_;
  std::string unlink_path_;
};

}  // namespace lockstep::replay::gdb
