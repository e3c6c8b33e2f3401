#include "replay/recording_input.h"

namespace lockstep::replay {

machines::InputSource::Action RecordingInput::feed(const machines::InputPoint& at, machines::ConsoleReceiver& console) {
  if (!live_) return Action::Continue;
  // The receiver the live source sees: the real one, noting each byte it takes.
  struct Logging final : machines::ConsoleReceiver {
    machines::ConsoleReceiver& inner;
    std::string taken;
    explicit Logging(machines::ConsoleReceiver& r) : inner(r) {}
    bool can_receive() const override { return inner.can_receive(); }
    void receive(std::uint8_t b) override {
      inner.receive(b);
      taken.push_back(static_cast<char>(b));
    }
  } logging{console};
  const Action action = live_->feed(at, logging);
  if (!logging.taken.empty()) {
    events_.push_back(TraceEvent::input(at.icount, at.pass, std::move(logging.taken)));
    ++input_events_;
  }
  if (action == Action::Quit) events_.push_back(TraceEvent::quit(at.icount, at.pass));
  return action;
}

}  // namespace lockstep::replay
