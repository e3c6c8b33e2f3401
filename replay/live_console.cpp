#include "replay/live_console.h"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
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

Result<std::unique_ptr<LiveConsole>> LiveConsole::open(int fd, std::FILE* messages) {
  const bool terminal = ::isatty(fd) == 1;
  if (terminal && !make_raw(fd)) return Error{"cannot put the terminal in raw mode"};
  return std::unique_ptr<LiveConsole>(new LiveConsole(fd, messages, terminal));
}

LiveConsole::~LiveConsole() {
  if (terminal_) restore_terminal();
}

void LiveConsole::take(std::uint8_t byte) {
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

bool LiveConsole::read_host(int timeout_ms) {
  if (at_end_) return false;
  pollfd p{fd_, POLLIN, 0};
  const int n = ::poll(&p, 1, timeout_ms);
  if (n <= 0) return n == 0 || errno == EINTR;
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

machines::InputSource::Action LiveConsole::feed(const machines::InputPoint& at, machines::ConsoleReceiver& console) {
  if (at.icount >= next_poll_) {
    (void)read_host(0);
    next_poll_ = at.icount + kPollInstructions;
  }
  while (!queued_.empty() && console.can_receive()) {
    console.receive(queued_.front());
    queued_.pop_front();
  }
  return quit_ ? Action::Quit : Action::Continue;
}

std::optional<std::uint64_t> LiveConsole::next_feed_icount(std::uint64_t icount) {
  if (at_end_ && queued_.empty()) return std::nullopt;
  return std::max(next_poll_, icount + 1);
}

bool LiveConsole::wait_for_input() {
  // The guest waits for nothing but input: block until the host sends some. Bytes already queued
  // do not count: the last feed point offered them and the guest could not take them.
  if (quit_) return true;
  const std::size_t before = queued_.size();
  while (read_host(-1)) {
    if (quit_ || queued_.size() != before) break;
  }
  next_poll_ = 0;
  return quit_ || queued_.size() != before;
}

}  // namespace lockstep::replay
