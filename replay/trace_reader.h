#pragma once
// Reads a trace written by TraceWriter: the header, every event, where the checkpoints are, the
// end, and whether (and how) the file is damaged. Checkpoint streams are read on demand.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "replay/trace_format.h"

namespace lockstep::replay {

struct TraceCheckpoint {
  std::uint64_t icount = 0;
  std::uint64_t offset = 0;  // of the chunk's frame header in the file
};

// Where reading stopped before the end chunk.
struct TraceDamage {
  // Cut: the file ends inside a chunk or before the end chunk (a recorder killed mid-run); what
  // came before replays. Corrupt: a complete chunk fails its checksum, magic or sequence number.
  enum class Kind { Cut, Corrupt } kind = Kind::Cut;
  std::uint64_t chunk = 0;   // sequence number of the first chunk not read
  std::uint64_t offset = 0;  // its file offset
  std::string reason;
};

struct Trace {
  nlohmann::ordered_json header;
  std::vector<TraceEvent> events;    // every event read, in stamp order
  std::uint64_t complete_until = 0;  // the events are complete up to this icount
  std::vector<TraceCheckpoint> checkpoints;
  std::optional<nlohmann::ordered_json> end;  // null when the recording did not finish
  std::optional<TraceDamage> damage;
  std::uint64_t chunks = 0;  // read whole
  std::uint64_t file_size = 0;
};

// Fails only when the file is not a trace at all or its header chunk is unreadable.
Result<Trace> read_trace(const std::string& path);
// The snapshot stream of a checkpoint chunk (checksum checked again).
Result<std::vector<std::uint8_t>> read_checkpoint(const std::string& path, const TraceCheckpoint& at);

}  // namespace lockstep::replay
