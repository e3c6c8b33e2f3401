#pragma once
// Replay's input layer: delivers the recorded console bytes and network frames at exactly their
// feed points, wakes an idle guest where the recording was woken, and ends
// the run where the recording was ended. A recorded input whose feed point the replay passes
// without reaching it, or that the guest cannot take there, is a divergence: the run stops and
// divergence() says where.
#include <optional>
#include <string>
#include <vector>

#include "machines/console/input_source.h"
#include "replay/trace_format.h"

namespace lockstep::replay {

class ReplayInput final : public machines::InputSource {
 public:
  // `events`: the trace's input and quit events (digest events are the driver's), in stamp order.
  explicit ReplayInput(std::vector<TraceEvent> events) : events_(std::move(events)) {}

  Action feed(const machines::InputPoint& at, const machines::InputReceivers& to) override;
  std::optional<std::uint64_t> next_feed_icount(std::uint64_t icount) override;
  bool wait_for_input() override;
  bool idle_wait(std::uint64_t guest_ns, const machines::InputReceivers& to) override;

  const std::optional<std::string>& divergence() const { return divergence_; }
  std::size_t delivered_events() const { return next_; }
  // Events before `icount` are skipped (a replay that starts from a checkpoint).
  void skip_before(std::uint64_t icount);

 private:
  std::vector<TraceEvent> events_;
  std::size_t next_ = 0;
  std::optional<std::string> divergence_;
  machines::InputPoint last_{};
};

}  // namespace lockstep::replay
