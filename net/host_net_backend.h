#pragma once
// The host side of a guest NIC: something that exchanges Ethernet frames with the outside world.
// A backend knows nothing of the guest. It runs on host time (sockets, slirp's timers); what it
// receives waits in a bounded queue until the board's input layer takes it at a feed point and
// logs it (DESIGN.md rule 4), so nothing here reaches guest state except as a recorded input.
#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

namespace lockstep::net {

// Frames from outside waiting for the guest, oldest first. Bounded in frames and bytes so a
// flood from outside costs memory only up to the bound; past it the newest frame is dropped.
class RxQueue {
 public:
  static constexpr std::size_t kMaxFrames = 256;
  static constexpr std::size_t kMaxBytes = std::size_t{4} << 20;

  // False (and counted) when the frame does not fit.
  bool push(std::span<const std::uint8_t> frame);
  bool full() const { return frames_.size() >= kMaxFrames || bytes_ >= kMaxBytes; }
  bool empty() const { return frames_.empty(); }
  std::size_t size() const { return frames_.size(); }
  std::span<const std::uint8_t> front() const;
  void pop();
  void clear();
  std::uint64_t dropped() const { return dropped_; }

 private:
  std::deque<std::vector<std::uint8_t>> frames_;
  std::size_t bytes_ = 0;
  std::uint64_t dropped_ = 0;
};

class HostNetBackend {
 public:
  virtual ~HostNetBackend() = default;

  // A frame the guest sent (Ethernet, no virtio header). Never blocks; drops when the outside
  // cannot take it (a bounded send buffer, as a real wire would), counted in dropped_tx().
  virtual void transmit(std::span<const std::uint8_t> frame) = 0;

  // Event-loop integration (glib style): append the fds to wait on and lower timeout_ms (-1 =
  // infinite) to this backend's next timer; then, after poll(2), dispatch with the same vector.
  virtual void prepare_poll(std::vector<pollfd>& fds, int& timeout_ms) = 0;
  virtual void dispatch_poll(const std::vector<pollfd>& fds) = 0;

  // Frames from outside waiting for the guest, oldest first (see RxQueue for the bound). The
  // guest side pops when its NIC takes one.
  bool has_frame() const { return !rx_.empty(); }
  std::span<const std::uint8_t> front() const { return rx_.front(); }
  void pop() { rx_.pop(); }
  std::uint64_t dropped_tx() const { return dropped_tx_; }
  std::uint64_t dropped_rx() const { return rx_.dropped(); }

  // One line for `info network`-style messages ("net0: user net=10.0.2.0/24,...").
  virtual std::string describe() const = 0;

 protected:
  RxQueue& rx() { return rx_; }
  const RxQueue& rx() const { return rx_; }
  void count_dropped_tx() { ++dropped_tx_; }

 private:
  RxQueue rx_;
  std::uint64_t dropped_tx_ = 0;
};

// Where one backend's fds sit in the vector shared by prepare_poll and dispatch_poll.
struct PollSlice {
  std::size_t first = 0;
  std::size_t count = 0;
  // The slice of `fds`, empty if the vector is not the one this slice was taken from.
  std::span<const pollfd> of(const std::vector<pollfd>& fds) const;
};

// Waits up to timeout_ms (0 = just look, -1 = until something happens) on every backend plus
// `extra` fds (the terminal), then dispatches. Returns the revents of `extra` in place. Used by
// the live input source.
void poll_backends(std::span<HostNetBackend* const> backends, std::vector<pollfd>& extra, int timeout_ms);

// Lowers a poll(2) timeout (-1 = infinite) to at most `bound_ms` (clamped at 0).
void lower_timeout(int& timeout_ms, std::int64_t bound_ms);

}  // namespace lockstep::net
