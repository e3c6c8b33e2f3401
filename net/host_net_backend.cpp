#include "net/host_net_backend.h"

#include <cerrno>

namespace lockstep::net {

bool RxQueue::push(std::span<const std::uint8_t> frame) {
  if (frames_.size() >= kMaxFrames || bytes_ + frame.size() > kMaxBytes) {
    ++dropped_;
    return false;
  }
  frames_.emplace_back(frame.begin(), frame.end());
  bytes_ += frame.size();
  return true;
}

std::span<const std::uint8_t> RxQueue::front() const {
  if (frames_.empty()) return {};
  return frames_.front();
}

void RxQueue::pop() {
  if (frames_.empty()) return;
  bytes_ -= frames_.front().size();
  frames_.pop_front();
}

void RxQueue::clear() {
  frames_.clear();
  bytes_ = 0;
}

std::span<const pollfd> PollSlice::of(const std::vector<pollfd>& fds) const {
  if (first > fds.size() || count > fds.size() - first) return {};
  return std::span<const pollfd>(fds).subspan(first, count);
}

void lower_timeout(int& timeout_ms, std::int64_t bound_ms) {
  if (bound_ms < 0) bound_ms = 0;
  if (timeout_ms < 0 || bound_ms < timeout_ms) timeout_ms = static_cast<int>(bound_ms);
}

void poll_backends(std::span<HostNetBackend* const> backends, std::vector<pollfd>& extra, int timeout_ms) {
  std::vector<pollfd> fds(extra.begin(), extra.end());
  for (auto& f : fds) f.revents = 0;
  for (HostNetBackend* b : backends) b->prepare_poll(fds, timeout_ms);
  int n = ::poll(fds.data(), fds.size(), timeout_ms);
  if (n < 0) {
    // EINTR (a signal) or a transient failure: nothing is ready, but timers may be due, so
    // dispatch anyway with every revents cleared.
    for (auto& f : fds) f.revents = 0;
  }
  for (std::size_t i = 0; i < extra.size(); ++i) extra[i].revents = fds[i].revents;
  for (HostNetBackend* b : backends) b->dispatch_poll(fds);
}

}  // namespace lockstep::net
