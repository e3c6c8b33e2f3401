// The whole stream loader (`lockstep run --incoming FILE`) into a fresh small virt machine of the
// machine version the stream names (or the newest). A stream that loads must also survive a save
// and a second load unchanged: what the loader accepts, it must be able to pass on.
// fuzz-seeds: streams
// fuzz-dict: stream.dict
// fuzz-regressions: *.mig *.mig.zst
#include <cstdint>
#include <span>
#include <string>

#include "fuzz/targets/support/memory_file.h"
#include "fuzz/targets/support/mutator_hooks.h"
#include "fuzz/targets/support/round_trip.h"
#include "fuzz/targets/support/small_machine.h"
#include "fuzz/targets/support/stream_layout.h"
#include "machines/virt/machine_versions.h"
#include "machines/virt/virt_snapshot.h"

namespace {

using namespace lockstep;

// The configuration record's machine name when it is one this build has; "virt" otherwise.
std::string machine_named_by(std::span<const std::uint8_t> s) {
  if (s.size() < 13 || s[8] != 0x07) return "virt";
  const std::uint32_t len = fuzz::read_be32(s, 9);
  if (len > 64 || 13 + len > s.size()) return "virt";
  const std::string name(s.begin() + 13, s.begin() + 13 + len);
  return machines::virt::find_machine_version(name) ? name : "virt";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz::MemoryFile file("stream_load");
  const std::span<const std::uint8_t> input(data, size);
  file.assign(input);
  auto machine = fuzz::make_small_machine(machine_named_by(input));
  if (machines::virt::load_snapshot_file(*machine, file.path())) fuzz::require_round_trip(*machine, "a successful load");
  return 0;
}

LOCKSTEP_FUZZ_MUTATOR(lockstep::fuzz::mutate_stream)
