#pragma once
// The state digests a trace carries every N instructions, and what a replay says when its own
// differ: which sections and RAM blocks.
#include <string>

#include "machines/virt/virt_machine.h"
#include "replay/trace_format.h"

namespace lockstep::replay {

// A Digest event of the machine as it is (icount = its icount, pass 0: taken before any feed there).
Result<TraceEvent> digest_event(const machines::virt::VirtMachine& m);

// "" when `now` matches `recorded`; else one line per difference: "section 'cpu' instance 0",
// "RAM block 'riscv_virt_board.ram'".
std::string digest_differences(const machines::virt::VirtMachine& m, const TraceEvent& recorded, const TraceEvent& now);

// A file's identity as a trace keeps it: {"path", "size", "xxh3"} (xxh3 as 16 hex digits).
struct ImageIdentity {
  std::string path;
  std::uint64_t size = 0;
  std::uint64_t xxh3 = 0;
};
Result<ImageIdentity> image_identity(const std::string& path);

}  // namespace lockstep::replay
