#pragma once
// lockstep/run: a FULL section (instance 0, version 1) written last before EOF. What replay and
// the loader's final check need: where the run was cut and the state digest at that moment.
#include <array>
#include <cstdint>

#include "snapshot/vmstate.h"

namespace lockstep::snapshot {

inline constexpr const char* kRunRecordIdstr = "lockstep/run";

struct RunRecord {
  std::uint64_t icount = 0;          // instructions retired by all harts together
  std::uint64_t virtual_ns = 0;      // the virtual clock between instructions
  std::uint64_t input_position = 0;  // console input bytes delivered so far (the input log's cursor)
  std::uint64_t digest = 0;          // the machine digest at the cut; the loader recomputes and compares
  // XXH3-64 of each device section's full state (every field of the newest description, in stream
  // section order), so a loader can name the section whose state did not survive the wire format.
  std::uint32_t section_count = 0;
  std::uint32_t reserved = 0;
  std::array<std::uint64_t, 64> section_digests{};
};

const vm::Section<RunRecord>& run_record_vmstate();

}  // namespace lockstep::snapshot
