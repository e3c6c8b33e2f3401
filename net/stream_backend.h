#pragma once
// -netdev socket (listen=/connect=) and -netdev stream (inet or unix): Ethernet frames over a
// byte stream with QEMU's framing (net/socket.c, net/stream.c): a 4-byte big-endian length,
// then the frame. Non-blocking throughout; a listener serves one peer at a time.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "net/host_net_backend.h"
#include "net/netdev_options.h"

namespace lockstep::net {

class StreamBackend final : public HostNetBackend {
 public:
  // QEMU's NET_BUFSIZE (4096 + 65536): the largest frame a peer may announce. A larger length
  // means the peer does not speak this framing: the connection is closed, as QEMU does.
  static constexpr std::size_t kMaxFrame = 4096 + 65536;
  // Bytes waiting to be written to the peer; a frame that does not fit is dropped.
  static constexpr std::size_t kMaxSendBuffer = std::size_t{1} << 20;

  // Listens (binds now) or connects (now, waiting at most a few seconds).
  static Result<std::unique_ptr<StreamBackend>> open(const std::string& id, const StreamNetdev& options);
  ~StreamBackend() override;
  StreamBackend(const StreamBackend&) = delete;
  StreamBackend& operator=(const StreamBackend&) = delete;

  void transmit(std::span<const std::uint8_t> frame) override;
  void prepare_poll(std::vector<pollfd>& fds, int& timeout_ms) override;
  void dispatch_poll(const std::vector<pollfd>& fds) override;
  std::string describe() const override;

  bool connected() const { return peer_fd_ >= 0; }
  // The port a TCP listener is bound to (useful with port 0); 0 otherwise.
  std::uint16_t listen_port() const { return listen_port_; }

 private:
  StreamBackend(std::string id, StreamNetdev options);
  Status start_listening();
  Status connect_now();
  void accept_peer();
  void read_from_peer();
  void write_to_peer();
  // Consumes received bytes into frames; false if the peer broke the framing.
  bool parse_frames(const std::uint8_t* data, std::size_t len);
  void close_peer(const std::string& why);
  std::string endpoint() const;

  std::string id_;
  StreamNetdev options_;
  int listen_fd_ = -1;
  int peer_fd_ = -1;
  std::uint16_t listen_port_ = 0;
  std::string peer_name_;    // "127.0.0.1:40000" once a listener accepted someone
  bool peer_lost_ = false;   // a connector whose peer went away: frames are dropped from now on
  bool unlink_on_close_ = false;

  // Receive: the length header being assembled, then the frame body.
  std::uint8_t header_[4] = {};
  std::size_t header_have_ = 0;
  std::vector<std::uint8_t> body_;
  std::size_t body_want_ = 0;
  bool in_body_ = false;

  // Send: bytes not yet written; `send_pos_` is how far the kernel has taken them.
  std::vector<std::uint8_t> send_buf_;
  std::size_t send_pos_ = 0;

  PollSlice slice_;
  int listen_index_ = -1;  // in slice_, or -1 when not polled this round
  int peer_index_ = -1;
};

}  // namespace lockstep::net
