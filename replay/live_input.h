#pragma once
// The live input: bytes typed at the terminal (or arriving on a piped stdin) as QEMU's `-nographic`
// takes them, and frames from the host network backends (-netdev user|socket|stream). A terminal
// is put in raw mode (no echo, no line editing, Ctrl-C goes to the guest) and restored when this
// object goes (or at exit). QEMU's mux escapes are understood: Ctrl-A x quits, Ctrl-A h prints
// help, Ctrl-A Ctrl-A types one Ctrl-A.
//
// The host is only looked at from feed points (machines/console/input_source.h), at most every
// kPollInstructions guest instructions and whenever the guest idles: what arrives in between is
// delivered at the next feed point, which is the stamp a recording keeps. With a network backend an
// idle guest waits in host time for the next timer (QEMU's sleep=on), so a peer's answer can arrive
// before the guest's own timeouts; without one the clock jumps at once (sleep=off).
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <vector>

#include "core/result.h"
#include "machines/console/input_source.h"
#include "net/host_net_backend.h"

namespace lockstep::replay {

class LiveInput final : public machines::InputSource {
 public:
  // A look at the host every 64 Ki instructions: a few tenths of a millisecond of guest time at
  // interpreter speed, and one poll(2) per look costs well under 0.1 % of that.
  static constexpr std::uint64_t kPollInstructions = 1 << 16;
  static constexpr std::size_t kMaxQueued = 1 << 20;  // bytes read but not yet taken by the guest

  // `fd` is read (not owned); -1: no console input (a network only). `messages` gets the Ctrl-A
  // help and the quit line.
  static Result<std::unique_ptr<LiveInput>> open(int fd, std::FILE* messages);
  ~LiveInput() override;
  // Frames from `backend` go to NIC `nic` (InputReceivers::nics).
  void add_network(unsigned nic, std::unique_ptr<net::HostNetBackend> backend) {
    networks_.push_back({nic, std::move(backend)});
  }
  template <typename Fn>
  void for_each_network(Fn fn) {
    for (Network& n : networks_) fn(n.nic, *n.backend);
  }

  Action feed(const machines::InputPoint& at, const machines::InputReceivers& to) override;
  std::optional<std::uint64_t> next_feed_icount(std::uint64_t icount) override;
  bool wait_for_input() override;
  bool idle_wait(std::uint64_t guest_ns, const machines::InputReceivers& to) override;
  bool is_terminal() const { return terminal_; }

 private:
  struct Network {
    unsigned nic;
    std::unique_ptr<net::HostNetBackend> backend;
  };
  LiveInput(int fd, std::FILE* messages, bool terminal) : fd_(fd), messages_(messages), terminal_(terminal) {}
  // One look at the terminal and the backends, waiting up to timeout_ms (-1: until something
  // happens). False when nothing can ever come again (the terminal ended, no network).
  bool look(int timeout_ms);
  bool read_terminal();
  void take(std::uint8_t byte);
  // Whether a receiver can take something that is queued (or the user asked to quit).
  bool deliverable(const machines::InputReceivers& to) const;
  int fd_;
  std::FILE* messages_;
  bool terminal_;
  bool at_end_ = false;
  bool escape_ = false;  // the previous byte was Ctrl-A
  bool quit_ = false;
  std::deque<std::uint8_t> queued_;
  std::vector<Network> networks_;
  std::uint64_t next_poll_ = 0;
};

}  // namespace lockstep::replay
