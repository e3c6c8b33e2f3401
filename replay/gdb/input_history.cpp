#include "replay/gdb/input_history.h"

#include <algorithm>
#include <functional>

#include "replay/gdb/stop_probe.h"
#include "replay/tapped_receivers.h"

namespace lockstep::replay::gdb {

InputHistory::Stamp InputHistory::next_stamp() const { return Stamp{cursor_.icount, cursor_.next_pass}; }

machines::InputSource::Action InputHistory::feed(const machines::InputPoint& at, const machines::InputReceivers& to) {
  if (probe_.stop_requested()) return Action::Quit;
  if (at.icount != cursor_.icount) cursor_ = Cursor{at.icount, 0};
  const Stamp s{at.icount, cursor_.next_pass++};
  if (in_past(s)) {
    auto it = std::lower_bound(log_.begin(), log_.end(), s, [](const Event& e, const Stamp& x) { return e.at < x; });
    for (; it != log_.end() && it->at == s; ++it) {
      if (it->kind == Event::Quit) return Action::Quit;
      // The log says the guest took it here; it can again, or the past has diverged.
      if (it->kind == Event::Byte) {
        if (!to.console.can_receive()) break;
        to.console.receive(it->byte);
      } else if (it->kind == Event::Frame) {
        if (it->nic >= to.nics.size() || !to.nics[it->nic]->can_receive(it->frame.size())) break;
        to.nics[it->nic]->receive(it->frame);
      }
    }
    return Action::Continue;
  }
  frontier_ = Stamp{s.icount, s.pass + 1};
  if (!live_) return Action::Continue;
  TappedReceivers tapped(to, [this, s](int nic, std::span<const std::uint8_t> bytes) {
    if (nic < 0) {
      log_.push_back(Event{s, Event::Byte, bytes[0], 0, {}});
    } else {
      log_.push_back(Event{s, Event::Frame, 0, static_cast<std::uint32_t>(nic), {bytes.begin(), bytes.end()}});
    }
  });
  const Action a = live_->feed(machines::InputPoint{s.icount, s.pass}, tapped.receivers());
  if (a == Action::Quit) {
    log_.push_back(Event{s, Event::Quit, 0, 0, {}});
    ended_ = true;
  }
  return a;
}

bool InputHistory::idle_wait(std::uint64_t guest_ns, const machines::InputReceivers& to) {
  // Right after the feed point the cursor last handed out.
  const Stamp s{cursor_.icount, cursor_.next_pass == 0 ? 0 : cursor_.next_pass - 1};
  if (in_past(s)) {
    auto it = std::lower_bound(log_.begin(), log_.end(), s, [](const Event& e, const Stamp& x) { return e.at < x; });
    for (; it != log_.end() && it->at == s; ++it)
      if (it->kind == Event::Wake) return true;
    return false;
  }
  if (!live_ || !live_->idle_wait(guest_ns, to)) return false;
  log_.push_back(Event{s, Event::Wake, 0, 0, {}});
  return true;
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
