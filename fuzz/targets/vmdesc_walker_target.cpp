// The shared vmdesc walker (snapshot/stream/vmdesc_walker.h) with every callback the tools use:
// structured values (struct members walked one by one), flat fields, raw bodies of sections without
// a layout; then again as `snapshot info` does for a stream without a VM description.
// fuzz-seeds: streams
// fuzz-dict: stream.dict
// fuzz-regressions: *.mig *.mig.zst
#include <cstdint>

#include "fuzz/targets/support/memory_file.h"
#include "fuzz/targets/support/mutator_hooks.h"
#include "snapshot/inspect/stream_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lockstep;
  namespace st = snapshot::stream;
  static fuzz::MemoryFile file("vmdesc_walker");
  file.assign({data, size});

  st::WalkOptions structured;
  structured.on_value = [](const st::SectionHeader&, const st::FieldPath& path, const st::Json&,
                           std::span<const std::uint8_t>) -> Status {
    (void)st::path_string(path);
    return Ok{};
  };
  structured.on_page = [](const st::RamPage&) -> Status { return Ok{}; };
  const auto walked = snapshot::inspect::walk_file(file.path(), structured);
  if (!walked.status) (void)snapshot::inspect::describe_failure(walked.result, walked.status.error());

  st::WalkOptions flat;
  flat.allow_missing_vmdesc = true;
  flat.on_field = [](const st::SectionHeader&, const std::string&, const st::Json&, std::span<const std::uint8_t>) -> Status {
    return Ok{};
  };
  flat.on_raw_body = [](const st::SectionHeader&, std::span<const std::uint8_t>) -> Status { return Ok{}; };
  (void)snapshot::inspect::walk_file(file.path(), flat);
  return 0;
}

LOCKSTEP_FUZZ_MUTATOR(lockstep::fuzz::mutate_stream)
