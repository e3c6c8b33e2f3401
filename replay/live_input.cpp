#include "replay/live_input.h"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>

#include <fmt/format.h>

namespace lockstep::replay {
namespace {

constexpr std::uint8_t kCtrlA = 0x01;

// The terminal as it was, restored by the destructor or, if the process ends another way
// (std::exit from a command), by atexit.
struct SavedTerminal {
  bool saved = false;
  int fd = -1;
  termios mode{};
};
SavedTerminal g_saved;

void restore_terminal() {
  if (g_saved.saved) {
    ::tcsetattr(g_saved.fd, TCSANOW, &g_saved.mode);
    g_saved.saved = false;
  }
}

// QEMU's qemu_chr_set_echo_stdio(false): raw input, output post-processing kept (so "\n" still
// returns the carriage), ISIG off so Ctrl-C reaches the guest.
bool make_raw(int fd) {
  termios t{};
  if (::tcgetattr(fd, &t) != 0) return false;
  g_saved = {true, fd, t};
  static bool registered = false;
  if (!registered) {
    std::atexit(restore_terminal);
    registered = true;
  }
  t.c_iflag &= ~static_cast<tcflag_t>(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  t.c_oflag |= OPOST;
  t.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
  t.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB);
  t.c_cflag |= CS8;
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  return ::tcsetattr(fd, TCSANOW, &t) == 0;
}

}  // namespace

Result<std::unique_ptr<LiveInput>> LiveInput::open(int fd, std::FILE* messages) {
  const bool terminal = fd >= 0 && ::isatty(fd) == 1;
  if (terminal && !make_raw(fd)) return Error{"cannot put the terminal in raw mode"};
  auto live = std::unique_ptr<LiveInput>(new LiveInput(fd, messages, terminal));
  live->at_end_ = fd < 0;
  return live;
}

LiveInput::~LiveInput() {
  if (terminal_) restore_terminal();
}

void LiveInput::take(std::uint8_t byte) {
  if (escape_) {
    escape_ = false;
    switch (byte) {
      case 'x':
        // QEMU prints this too; "\r\n" because the terminal is raw.
        fmt::print(messages_, "lockstep: terminated (C-a x)\r\n");
        quit_ = true;
        return;
      case 'h':
      case '?':
        fmt::print(messages_,
                   "\r\nC-a h    print this help\r\n"
                   "C-a x    exit emulator\r\n"
                   "C-a C-a  sends C-a\r\n"
                   "(QEMU's C-a s, b, c and t are not offered: lockstep has no monitor)\r\n");
        std::fflush(messages_);
        return;
      case kCtrlA: break;  // one Ctrl-A for the guest
      default: return;     // QEMU drops an unknown escape too
    }
  } else if (byte == kCtrlA) {
    escape_ = true;
    return;
  }
  if (queued_.size() < kMaxQueued) queued_.push_back(byte);
}

bool LiveInput::read_terminal() {
  std::uint8_t buf[4096];
  const ssize_t got = ::read(fd_, buf, sizeof buf);
  if (got < 0) return errno == EINTR || errno == EAGAIN;
  if (got == 0) {
    at_end_ = true;
    return false;
  }
  for (ssize_t k = 0; k < got; ++k) take(buf[k]);
  return true;
}

bool LiveInput::look(int timeout_ms) {
  if (at_end_ && networks_.empty()) return false;
  std::vector<pollfd> extra;
  if (!at_end_) extra.push_back(pollfd{fd_, POLLIN, 0});
  if (networks_.empty()) {
    const int n = ::poll(extra.data(), extra.size(), timeout_ms);
    if (n < 0) return errno == EINTR;
  } else {
    std::vector<net::HostNetBackend*> backends;
    for (const Network& n : networks_) backends.push_back(n.backend.get());
    net::poll_backends(backends, extra, timeout_ms);
  }
  if (!extra.empty() && (extra[0].revents & (POLLIN | POLLHUP | POLLERR))) return read_terminal() || !networks_.empty();
  return true;
}

bool LiveInput::deliverable(const machines::InputReceivers& to) const {
  if (quit_ || (!queued_.empty() && to.console.can_receive())) return true;
  for (const Network& n : networks_)
    if (n.nic < to.nics.size() && n.backend->has_frame() && to.nics[n.nic]->can_receive(n.backend->front().size()))
      return true;
  return false;
}

machines::InputSource::Action LiveInput::feed(const machines::InputPoint& at, const machines::InputReceivers& to) {
  if (at.icount >= next_poll_) {
    (void)look(0);
    next_poll_ = at.icount + kPollInstructions;
  }
  while (!queued_.empty() && to.console.can_receive()) {
    to.console.receive(queued_.front());
    queued_.pop_front();
  }
  for (const Network& n : networks_) {
    if (n.nic >= to.nics.size()) continue;
    machines::PacketReceiver& nic = *to.nics[n.nic];
    while (n.backend->has_frame() && nic.can_receive(n.backend->front().size())) {
      nic.receive(n.backend->front());
      n.backend->pop();
    }
  }
  return quit_ ? Action::Quit : Action::Continue;
}

std::optional<std::uint64_t> LiveInput::next_feed_icount(std::uint64_t icount) {
  if (at_end_ && queued_.empty() && networks_.empty()) return std::nullopt;
  return std::max(next_poll_, icount + 1);
}

bool LiveInput::wait_for_input() {
  // The guest waits for nothing but input: block until the host sends some. What is already
  // queued does not count: the last feed point offered it and the guest could not take it.
  if (quit_) return true;
  const std::size_t before = queued_.size();
  std::vector<bool> had_frame;
  for (const Network& n : networks_) had_frame.push_back(n.backend->has_frame());
  auto arrived = [&] {
    if (quit_ || queued_.size() != before) return true;
    for (std::size_t k = 0; k < networks_.size(); ++k)
      if (!had_frame[k] && networks_[k].backend->has_frame()) return true;
    return false;
  };
  while (!arrived() && look(-1)) {
  }
  next_poll_ = 0;
  return arrived();
}

bool LiveInput::idle_wait(std::uint64_t guest_ns, const machines::InputReceivers& to) {
  if (networks_.empty()) return false;
  // Host time is the outside world's: it decides only when input arrives, and a recording logs that.
  using Clock = std::chrono::steady_clock;
  const std::uint64_t capped = std::min<std::uint64_t>(guest_ns, std::uint64_t{3600} * 1000000000);
  const Clock::time_point until = Clock::now() + std::chrono::nanoseconds(capped);
  next_poll_ = 0;
  for (;;) {
    if (deliverable(to)) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) {
      (void)look(0);
      return deliverable(to);
    }
    (void)look(static_cast<int>(std::min<std::int64_t>(left, 1000)));
  }
}

}  // namespace lockstep::replay
