#include "replay/recorder.h"

#include <fmt/format.h>

#include "machines/virt/virt_snapshot.h"
#include "replay/state_digest.h"
#include "replay/version.h"
#include "snapshot/stream/byte_source.h"

namespace lockstep::replay {

Status Recorder::checkpoint(const machines::virt::VirtMachine& m) {
  std::vector<std::uint8_t> stream;
  snapshot::stream::ByteSink sink(&stream);
  LS_TRY(machines::virt::save_snapshot(m, sink));
  LS_TRY(sink.finish());
  return writer_->checkpoint(m.icount(), stream);
}

Status Recorder::started(const machines::virt::VirtMachine& m) {
  header_["format"] = kTraceFormatVersion;
  header_["lockstep"] = lockstep_version();
  header_["digest_interval"] = options_.digest_interval;
  header_["checkpoint_interval"] = options_.checkpoint_interval;
  header_["start"] = {{"from", m.icount() > 0 ? "incoming" : "reset"}, {"icount", m.icount()},
                      {"input_position", m.input_position()}};
  LS_TRY_ASSIGN(writer_, TraceWriter::create(path_, header_));
  if (m.icount() > 0) LS_TRY(checkpoint(m));
  LS_TRY_ASSIGN(TraceEvent d, digest_event(m));
  writer_->add(std::move(d));
  return writer_->flush(m.icount());
}

std::optional<std::uint64_t> Recorder::next_stop(std::uint64_t icount) const {
  auto next_multiple = [&](std::uint64_t n) { return (icount / n + 1) * n; };
  std::optional<std::uint64_t> at;
  if (options_.digest_interval) at = next_multiple(options_.digest_interval);
  if (options_.checkpoint_interval) at = std::min(at.value_or(~std::uint64_t{0}), next_multiple(options_.checkpoint_interval));
  return at;
}

void Recorder::move_events() {
  for (TraceEvent& e : input_.take_events()) writer_->add(std::move(e));
}

Status Recorder::stopped(const machines::virt::VirtMachine& m) {
  move_events();
  const std::uint64_t now = m.icount();
  if (options_.digest_interval && now % options_.digest_interval == 0) {
    LS_TRY_ASSIGN(TraceEvent d, digest_event(m));
    writer_->add(std::move(d));
  }
  // A chunk per stop: a recorder killed later loses only what came after this icount.
  LS_TRY(writer_->flush(now));
  if (options_.checkpoint_interval && now % options_.checkpoint_interval == 0) LS_TRY(checkpoint(m));
  return Ok{};
}

Status Recorder::ended(const machines::virt::VirtMachine& m, nlohmann::ordered_json end) {
  move_events();
  LS_TRY_ASSIGN(TraceEvent d, digest_event(m));
  end["icount"] = m.icount();
  end["digest"] = fmt::format("{:016x}", d.digest);
  end["input_position"] = m.input_position();
  writer_->add(std::move(d));
  return writer_->finish(m.icount(), end);
}

}  // namespace lockstep::replay
