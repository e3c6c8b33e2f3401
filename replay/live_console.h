#pragma once
// The console's live input: bytes typed at the terminal (or arriving on a piped stdin) as QEMU's
// `-nographic` takes them. A terminal is put in raw mode (no echo, no line editing, Ctrl-C goes to
// the guest) and restored when this object goes (or at exit). QEMU's mux escapes are understood:
// Ctrl-A x quits, Ctrl-A h prints help, Ctrl-A Ctrl-A types one Ctrl-A.
//
// The host is only looked at from feed points (machines/console/input_source.h), at most every
// kPollInstructions guest instructions and whenever the guest idles: what arrives in between is
// delivered at the next feed point, which is the stamp a recording keeps.
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>

#include "core/result.h"
#include "machines/console/input_source.h"

namespace lockstep::replay {

class LiveConsole final : public machines::InputSource {
 public:
  // A look at the host every 64 Ki instructions: a few tenths of a millisecond of guest time at
  // interpreter speed, and one poll(2) per look costs well under 0.1 % of that.
  static constexpr std::uint64_t kPollInstructions = 1 << 16;
  static constexpr std::size_t kMaxQueued = 1 << 20;  // bytes read but not yet taken by the guest

  // `fd` is read (not owned); `messages` gets the Ctrl-A help and the quit line.
  static Result<std::unique_ptr<LiveConsole>> open(int fd, std::FILE* messages);
  ~LiveConsole() override;

  Action feed(const machines::InputPoint& at, machines::ConsoleReceiver& console) override;
  std::optional<std::uint64_t> next_feed_icount(std::uint64_t icount) override;
  bool wait_for_input() override;
  bool is_terminal() const { return terminal_; }

 private:
  LiveConsole(int fd, std::FILE* messages, bool terminal) : fd_(fd), messages_(messages), terminal_(terminal) {}
  // Reads what is there (timeout_ms 0) or waits for something (-1). False at end of input.
  bool read_host(int timeout_ms);
  void take(std::uint8_t byte);
  int fd_;
  std::FILE* messages_;
  bool terminal_;
  bool at_end_ = false;
  bool escape_ = false;  // the previous byte was Ctrl-A
  bool quit_ = false;
  std::deque<std::uint8_t> queued_;
  std::uint64_t next_poll_ = 0;
};

}  // namespace lockstep::replay
