#pragma once
// `lockstep record`'s driver: owns the trace writer and the recording input layer, and is called
// at the run's start, at every digest/checkpoint stop and at its end (tools/run_session.h hooks).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "machines/virt/virt_machine.h"
#include "replay/recording_input.h"
#include "replay/trace_writer.h"

namespace lockstep::replay {

struct RecordOptions {
  // A state digest every N instructions: what replay checks. Each costs one pass over the RAM the
  // guest touched (measured: replay/README.md).
  std::uint64_t digest_interval = 100'000'000;
  std::uint64_t checkpoint_interval = 0;  // 0: no periodic checkpoints
};

class Recorder {
 public:
  // `header`: the caller's part (command line, machine, images); the recorder adds the rest and
  // writes it when the run starts.
  Recorder(std::string path, nlohmann::ordered_json header, const RecordOptions& options, machines::InputSource* live)
      : path_(std::move(path)), header_(std::move(header)), options_(options), input_(live) {}

  machines::InputSource& input() { return input_; }
  // Before the first instruction: creates the trace; a run that starts from a loaded stream keeps
  // it as the first checkpoint.
  Status started(const machines::virt::VirtMachine& m);
  std::optional<std::uint64_t> next_stop(std::uint64_t icount) const;
  Status stopped(const machines::virt::VirtMachine& m);
  // `end`: how the run ended ({"outcome", "exit_code", ...}); the recorder adds icount and digest.
  Status ended(const machines::virt::VirtMachine& m, nlohmann::ordered_json end);

  std::uint64_t trace_bytes() const { return writer_ ? writer_->bytes_written() : 0; }
  std::uint64_t input_events() const { return input_.input_events(); }

 private:
  Status checkpoint(const machines::virt::VirtMachine& m);
  void move_events();
  std::string path_;
  nlohmann::ordered_json header_;
  std::unique_ptr<TraceWriter> writer_;
  RecordOptions options_;
  RecordingInput input_;
};

}  // namespace lockstep::replay
