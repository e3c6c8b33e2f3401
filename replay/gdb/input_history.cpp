#include "replay/gdb/input_history.h"

#include <algorithm>
#include <functional>

#include "replay/gdb/stop_probe.h"

namespace lockstep::replay::gdb {
namespace {

// Passes the live source's bytes to the guest and logs each with its feed point.
class LoggingReceiver final : public machines::ConsoleReceiver {
 public:
  template <typename Log>
  LoggingReceiver(machines::ConsoleReceiver& console, Log log) : console_(console), log_(std::move(log)) {}
  bool can_receive() const override { return console_.can_receive(); }
  void receive(std::uint8_t byte) override {
    console_.receive(byte);
    log_(byte);
  }

 private:
  machines::ConsoleReceiver& console_;
  std::function<void(std::uint8_t)> log_;
};

}  // namespace

InputHistory::Stamp InputHistory::next_stamp() const { return Stamp{cursor_.icount, cursor_.next_pass}; }

machines::InputSource::Action InputHistory::feed(const machines::InputPoint& at, machines::ConsoleReceiver& console) {
  if (probe_.stop_requested()) return Action::Quit;
  if (at.icount != cursor_.icount) cursor_ = Cursor{at.icount, 0};
  const Stamp s{at.icount, cursor_.next_pass++};
  if (in_past(s)) {
    auto it = std::lower_bound(log_.begin(), log_.end(), s, [](const Event& e, const Stamp& x) { return e.at < x; });
    for (; it != log_.end() && it->at == s; ++it) {
      if (it->quit) return Action::Quit;
      // The log says the guest took the byte here; it can again, or the past has diverged.
      if (!console.can_receive()) break;
      console.receive(it->byte);
    }
    return Action::Continue;
  }
  frontier_ = Stamp{s.icount, s.pass + 1};
  if (!live_) return Action::Continue;
  LoggingReceiver logging(console, [this, s](std::uint8_t b) { log_.push_back(Event{s, false, b}); });
  const Action a = live_->feed(machines::InputPoint{s.icount, s.pass}, logging);
  if (a == Action::Quit) {
    log_.push_back(Event{s, true, 0});
    ended_ = true;
  }
  return a;
}

std::optional<std::uint64_t> InputHistory::next_feed_icount(std::uint64_t icount) {
  if (icount >= frontier_.icount) return live_ ? live_->next_feed_icount(icount) : std::nullopt;
  // In the past: the run must reach a feed point where the log delivers something.
  auto it = std::lower_bound(log_.begin(), log_.end(), Stamp{icount, 0},
                             [](const Event& e, const Stamp& x) { return e.at < x; });
  if (it == log_.end()) return std::nullopt;
  return it->at.icount;
}

bool InputHistory::wait_for_input() {
  const Stamp s = next_stamp();
  if (!in_past(s)) return live_ && live_->wait_for_input();
  // Every hart waited here before, and input came at a later pass of this icount.
  auto it = std::lower_bound(log_.begin(), log_.end(), s, [](const Event& e, const Stamp& x) { return e.at < x; });
  return it != log_.end() && it->at.icount == s.icount;
}

void InputHistory::reached(std::uint64_t icount) { frontier_ = std::max(frontier_, Stamp{icount, 0}); }

void InputHistory::rewound() { cursor_ = Cursor{}; }

void InputHistory::restore(Cursor c) { cursor_ = c; }

void InputHistory::truncate(std::uint64_t icount) {
  const Stamp now{icount, cursor_.icount == icount ? cursor_.next_pass : 0};
  log_.erase(std::lower_bound(log_.begin(), log_.end(), now, [](const Event& e, const Stamp& x) { return e.at < x; }),
             log_.end());
  frontier_ = now;
  ended_ = false;
}

}  // namespace lockstep::replay::gdb
