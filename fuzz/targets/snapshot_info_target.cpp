// `lockstep snapshot info [--json]` on one stream (plain or zstd).
// fuzz-seeds: streams
// fuzz-dict: stream.dict
// fuzz-regressions: *.mig *.mig.zst
#include <cstdint>

#include "fuzz/targets/support/memory_file.h"
#include "fuzz/targets/support/mutator_hooks.h"
#include "snapshot/inspect/info.h"
#include "snapshot/stream/json_access.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lockstep;
  static fuzz::MemoryFile file("snapshot_info");
  file.assign({data, size});
  const auto info = snapshot::inspect::read_info(file.path());
  (void)snapshot::stream::json_text(snapshot::inspect::info_json(info), 2);
  (void)snapshot::inspect::info_text(info);
  return 0;
}

LOCKSTEP_FUZZ_MUTATOR(lockstep::fuzz::mutate_stream)
