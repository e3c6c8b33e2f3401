// `lockstep snapshot diff A B [--json]`. The input is two streams back to back: B starts at the
// second "QEVM" header; an input with one stream (a regression file) is diffed against itself.
// fuzz-seeds: stream-pairs
// fuzz-dict: stream.dict
// fuzz-regressions: *.mig *.mig.zst
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <span>

#include "fuzz/targets/support/memory_file.h"
#include "fuzz/targets/support/mutator_hooks.h"
#include "fuzz/targets/support/stream_layout.h"
#include "snapshot/inspect/diff.h"
#include "snapshot/stream/json_access.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lockstep;
  static fuzz::MemoryFile a("snapshot_diff_a"), b("snapshot_diff_b");
  const std::span<const std::uint8_t> input(data, size);
  const auto second = size < 16 ? input.end()
                                : std::search(input.begin() + 8, input.end(), std::begin(fuzz::kStreamMagic),
                                              std::end(fuzz::kStreamMagic));
  const auto split = static_cast<std::size_t>(second - input.begin());
  a.assign(input.first(split));
  b.assign(split == size ? input : input.subspan(split));
  const auto diff = snapshot::inspect::diff_streams(a.path(), b.path());
  (void)snapshot::stream::json_text(snapshot::inspect::diff_json(diff), 2);
  (void)snapshot::inspect::diff_text(diff, true);
  return 0;
}

LOCKSTEP_FUZZ_MUTATOR(lockstep::fuzz::mutate_stream_pair)
