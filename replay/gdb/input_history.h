#pragma once
// The debugger's input source (machines/console/input_source.h), between the board and the real
// one (a terminal, a replayed trace, or none). Two jobs:
//
// - History. Reverse execution re-runs the past from checkpoints, and the past's input must arrive
//   again, at the same feed points, whatever the real source could give now. Every byte and frame the
//   real source delivers (and its quit, and every wake of an idle guest) is logged with its feed
//   point (icount, pass); a feed point
//   before the frontier (the furthest the machine has been) is served from the log, one at or past
//   it from the real source.
// - Stopping. The stop probe ends a run by asking for it (stop_probe.h); the next feed point
//   returns Quit without counting as a pass, so the passes the real source and the log see are
//   those of a run that never stopped. Passes are numbered here, per icount, for the same reason
//   (and because the board's own count is not restored with a checkpoint).
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "machines/console/input_source.h"

namespace lockstep::replay::gdb {

class StopProbe;

class InputHistory final : public machines::InputSource {
 public:
  InputHistory(machines::InputSource* live, const StopProbe& probe) : live_(live), probe_(probe) {}

  Action feed(const machines::InputPoint& at, const machines::InputReceivers& to) override;
  std::optional<std::uint64_t> next_feed_icount(std::uint64_t icount) override;
  bool wait_for_input() override;
  bool idle_wait(std::uint64_t guest_ns, const machines::InputReceivers& to) override;

  // The machine reached `icount` (after a run): feed points before it are history from now on.
  void reached(std::uint64_t icount);
  // The machine was put back to a checkpoint (taken where no feed point of its icount had passed):
  // pass numbering starts again.
  void rewound();
  // Where the pass count stands: saved with an exact copy of the machine and put back with it.
  struct Cursor {
    std::uint64_t icount = ~std::uint64_t{0};
    std::uint32_t next_pass = 0;
  };
  Cursor cursor() const { return cursor_; }
  void restore(Cursor c);
  // The debugger changed the guest at `icount`: what the log holds from there on happened in a
  // future that is no longer this machine's; the real source is asked again from here.
  void truncate(std::uint64_t icount);
  // Whether the real source ended the input (a quit was logged).
  bool ended() const { return ended_; }
  std::uint64_t logged_bytes() const { return log_.size(); }

 private:
  struct Stamp {
    std::uint64_t icount;
    std::uint32_t pass;
    auto operator<=>(const Stamp&) const = default;
  };
  struct Event {
    enum Kind : std::uint8_t { Byte, Frame, Quit, Wake };
    Stamp at;
    Kind kind;
    std::uint8_t byte = 0;          // Byte
    std::uint32_t nic = 0;          // Frame
    std::vector<std::uint8_t> frame;  // Frame
  };
  bool in_past(Stamp s) const { return s < frontier_; }
  Stamp next_stamp() const;

  machines::InputSource* live_;
  const StopProbe& probe_;
  std::vector<Event> log_;  // in stamp order
  Cursor cursor_;
  Stamp frontier_{0, 0};  // the first feed point not yet seen live
  bool ended_ = false;
};

}  // namespace lockstep::replay::gdb
