#include "replay/replay_input.h"

#include <fmt/format.h>

namespace lockstep::replay {

machines::InputSource::Action ReplayInput::feed(const machines::InputPoint& at, const machines::InputReceivers& to) {
  last_ = at;
  while (next_ < events_.size() && !divergence_) {
    const TraceEvent& e = events_[next_];
    if (e.icount > at.icount || (e.icount == at.icount && e.pass > at.pass)) break;
    if (e.icount != at.icount || e.pass != at.pass) {
      divergence_ = fmt::format("the recording delivered input at icount {} (feed point {} there); the replay went "
                                "from there to icount {} (feed point {}) without stopping at it",
                                e.icount, e.pass, at.icount, at.pass);
      break;
    }
    if (e.kind == TraceEvent::Kind::Quit) return Action::Quit;
    if (e.kind == TraceEvent::Kind::Wake) break;  // idle_wait's, right after this feed point
    if (e.kind == TraceEvent::Kind::NetFrame) {
      const auto* frame = reinterpret_cast<const std::uint8_t*>(e.bytes.data());
      if (e.nic >= to.nics.size()) {
        divergence_ = fmt::format("at icount {} the recording gave NIC {} a frame; the replayed machine has {} NICs",
                                  e.icount, e.nic, to.nics.size());
        break;
      }
      if (!to.nics[e.nic]->can_receive(e.bytes.size())) {
        divergence_ = fmt::format("at icount {} the recording gave NIC {} a frame of {} bytes; the replayed guest "
                                  "had no room for it",
                                  e.icount, e.nic, e.bytes.size());
        break;
      }
      to.nics[e.nic]->receive(std::span<const std::uint8_t>(frame, e.bytes.size()));
      ++next_;
      continue;
    }
    machines::ConsoleReceiver& console = to.console;
    for (std::size_t k = 0; k < e.bytes.size(); ++k) {
      if (!console.can_receive()) {
        divergence_ = fmt::format("at icount {} the recording gave the console {} bytes; the replayed guest could "
                                  "take only {}",
                                  e.icount, e.bytes.size(), k);
        break;
      }
      console.receive(static_cast<std::uint8_t>(e.bytes[k]));
    }
    ++next_;
  }
  return divergence_ ? Action::Quit : Action::Continue;
}

std::optional<std::uint64_t> ReplayInput::next_feed_icount(std::uint64_t) {
  if (next_ == events_.size()) return std::nullopt;
  return events_[next_].icount;
}

bool ReplayInput::idle_wait(std::uint64_t, const machines::InputReceivers&) {
  // The recording was woken here (the host had input before the timer): so is the replay.
  if (next_ < events_.size() && events_[next_].kind == TraceEvent::Kind::Wake && events_[next_].icount == last_.icount &&
      events_[next_].pass == last_.pass) {
    ++next_;
    return true;
  }
  return false;
}

bool ReplayInput::wait_for_input() {
  // The recording went on from an idle guest only because input came at this icount.
  return next_ < events_.size() && events_[next_].icount == last_.icount;
}

void ReplayInput::skip_before(std::uint64_t icount) {
  while (next_ < events_.size() && events_[next_].icount < icount) ++next_;
}

}  // namespace lockstep::replay
