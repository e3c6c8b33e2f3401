#include "replay/replay_input.h"

#include <fmt/format.h>

namespace lockstep::replay {

machines::InputSource::Action ReplayInput::feed(const machines::InputPoint& at, machines::ConsoleReceiver& console) {
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

bool ReplayInput::wait_for_input() {
  // The recording went on from an idle guest only because input came at this icount.
  return next_ < events_.size() && events_[next_].icount == last_.icount;
}

void ReplayInput::skip_before(std::uint64_t icount) {
  while (next_ < events_.size() && events_[next_].icount < icount) ++next_;
}

}  // namespace lockstep::replay
