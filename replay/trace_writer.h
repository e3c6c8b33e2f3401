#pragma once
// Appends a trace as the run goes (replay/trace_format.h). The file is written in place, not
// atomically: its point is to survive a recorder that is killed, so every chunk is on its way to
// the file once written (a reader stops before an incomplete last chunk), and finish() fsyncs.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "replay/trace_format.h"

namespace lockstep::replay {

class TraceWriter {
 public:
  static Result<std::unique_ptr<TraceWriter>> create(const std::string& path, const nlohmann::ordered_json& header);
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  void add(TraceEvent e) { pending_.events.push_back(std::move(e)); }
  std::size_t pending() const { return pending_.events.size(); }
  // The events so far as one chunk, complete up to icount `until`.
  Status flush(std::uint64_t until);
  // A snapshot stream of the machine at `icount`.
  Status checkpoint(std::uint64_t icount, const std::vector<std::uint8_t>& stream);
  // Flushes, writes the End chunk, fsyncs and closes.
  Status finish(std::uint64_t until, const nlohmann::ordered_json& end);
  std::uint64_t bytes_written() const { return offset_; }
  std::uint64_t chunks_written() const { return sequence_; }

 private:
  TraceWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Status write_chunk(ChunkType type, std::vector<std::uint8_t> payload);
  int fd_;
  std::string path_;
  std::uint64_t sequence_ = 0, offset_ = 0;
  EventBatch pending_;
};

}  // namespace lockstep::replay
