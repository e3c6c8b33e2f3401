// Register accesses against every device of the virt board (mmio_program.h decodes them), each
// followed by an instruction-count advance, with the migration property checked after every step
// section by section (each section saved, loaded into a second machine, saved again: the same
// bytes) and after the last step for the whole machine (saved to memory, loaded into a fresh one:
// the same digest and the same stream; round_trip.h). A device state that a save drops or a load
// does not restore is a trap here.
// fuzz-seeds: mmio
// fuzz-regressions: *.mmio
#include <cstdint>
#include <span>

#include "fuzz/targets/support/mmio_program.h"
#include "fuzz/targets/support/round_trip.h"
#include "fuzz/targets/support/small_machine.h"

namespace {
// Enough steps to reach deep device states; each costs a save and a load of every section.
constexpr std::size_t kMaxSteps = 24;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lockstep;
  const std::span<const std::uint8_t> input(data, size);
  const std::string machine = size > 0 && (data[0] & 1) ? "virt-1.0" : "virt";
  auto m = fuzz::make_small_machine(machine);
  fuzz::park_harts(*m);
  const auto& windows = fuzz::virt_mmio_windows();
  fuzz::SectionRoundTrip sections(machine);
  for (std::size_t at = 1, step = 0; at + fuzz::kMmioAccessBytes <= size && step < kMaxSteps;
       at += fuzz::kMmioAccessBytes, ++step) {
    const fuzz::MmioAccess a = fuzz::decode_mmio_access(input.subspan(at, fuzz::kMmioAccessBytes), windows);
    fuzz::perform_mmio_access(*m, a);
    sections.require(*m, "step " + std::to_string(step) + " (" + a.describe() + ")");
  }
  fuzz::require_round_trip(*m, "the last step");
  return 0;
}
