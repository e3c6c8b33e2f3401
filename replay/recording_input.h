#pragma once
// Record's input layer: passes the live source's input through to the guest and logs every byte
// the console receiver takes, every frame a NIC takes, every wake of an idle guest and every quit,
// with its feed point (icount, pass).
#include <vector>

#include "machines/console/input_source.h"
#include "replay/trace_format.h"

namespace lockstep::replay {

class RecordingInput final : public machines::InputSource {
 public:
  // `live` may be null (a run whose only inputs are scripted): then nothing is logged but the quit-free run.
  explicit RecordingInput(machines::InputSource* live) : live_(live) {}

  Action feed(const machines::InputPoint& at, const machines::InputReceivers& to) override;
  std::optional<std::uint64_t> next_feed_icount(std::uint64_t icount) override {
    return live_ ? live_->next_feed_icount(icount) : std::nullopt;
  }
  bool wait_for_input() override { return live_ && live_->wait_for_input(); }
  bool idle_wait(std::uint64_t guest_ns, const machines::InputReceivers& to) override;

  // Events logged since the last take (the recorder moves them into the trace).
  std::vector<TraceEvent> take_events() { return std::exchange(events_, {}); }
  std::uint64_t input_events() const { return input_events_; }

 private:
  machines::InputSource* live_;
  std::vector<TraceEvent> events_;
  std::uint64_t input_events_ = 0;
  machines::InputPoint last_{};  // the last feed point: a wake is stamped with it
};

}  // namespace lockstep::replay
