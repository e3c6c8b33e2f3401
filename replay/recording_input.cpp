#include "replay/recording_input.h"

#include "replay/tapped_receivers.h"

namespace lockstep::replay {

machines::InputSource::Action RecordingInput::feed(const machines::InputPoint& at, const machines::InputReceivers& to) {
  if (!live_) return Action::Continue;
  // Console bytes of one feed point go in one event; a frame is an event of its own. Events at one
  // stamp replay in the order they are logged, which is the order the guest got them.
  std::string console;
  auto flush_console = [&] {
    if (console.empty()) return;
    events_.push_back(TraceEvent::input(at.icount, at.pass, std::move(console)));
    console.clear();
    ++input_events_;
  };
  TappedReceivers tapped(to, [&](int nic, std::span<const std::uint8_t> bytes) {
    if (nic < 0) {
      console.append(bytes.begin(), bytes.end());
      return;
    }
    flush_console();
    events_.push_back(TraceEvent::frame(at.icount, at.pass, static_cast<std::uint32_t>(nic),
                                        std::string(bytes.begin(), bytes.end())));
    ++input_events_;
  });
  const Action action = live_->feed(at, tapped.receivers());
  flush_console();
  if (action == Action::Quit) events_.push_back(TraceEvent::quit(at.icount, at.pass));
  last_ = at;
  return action;
}

bool RecordingInput::idle_wait(std::uint64_t guest_ns, const machines::InputReceivers& to) {
  if (!live_ || !live_->idle_wait(guest_ns, to)) return false;
  // The replay cannot know the host woke the guest here rather than letting the clock jump: say so.
  events_.push_back(TraceEvent::wake(last_.icount, last_.pass));
  return true;
}

}  // namespace lockstep::replay
