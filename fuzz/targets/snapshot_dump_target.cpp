// `lockstep snapshot dump [--json]` on one stream (plain or zstd), without --ram-out.
// fuzz-seeds: streams
// fuzz-dict: stream.dict
// fuzz-regressions: *.mig *.mig.zst
#include <cstdint>

#include "fuzz/targets/support/memory_file.h"
#include "fuzz/targets/support/mutator_hooks.h"
#include "snapshot/inspect/dump.h"
#include "snapshot/stream/json_access.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lockstep;
  static fuzz::MemoryFile file("snapshot_dump");
  file.assign({data, size});
  const auto dump = snapshot::inspect::dump_stream(file.path());
  (void)snapshot::stream::json_text(dump.doc, 2);
  (void)snapshot::inspect::dump_text(dump.doc);
  return 0;
}

LOCKSTEP_FUZZ_MUTATOR(lockstep::fuzz::mutate_stream)
