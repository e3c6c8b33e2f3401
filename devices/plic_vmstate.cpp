// Section "riscv_sifive_plic" v1, as QEMU 7.2: VARRAY_UINT32 source_priority (num_sources = 96),
// target_priority (num_addrs), pending and claimed (bitfield_words = 3), enable (num_enables).
//
// Member coverage (Plic::State):
//   source_priority target_priority pending claimed enable   main section
//   source96_priority                 subsection riscv_sifive_plic/source96 (lockstep only; machine
//                                     versions before virt-2.0 withhold it through the save's
//                                     SaveOptions::withheld_subsections)
//   num_addrs num_enables             configuration (contexts of this board), not on the wire: QEMU
//                                     does not send its VARRAY lengths either. A source with another
//                                     hart count writes a body of another length, which the loader
//                                     reports as truncated input or unexpected trailing bytes.
//                                     (No *_equal field: it would break byte compatibility with QEMU.)
#include "devices/plic_vmstate.h"

#include <type_traits>

namespace lockstep::devices {
namespace {

namespace vm = snapshot::vm;
using P = Plic::State;

// Tripwire: a new member changes the size and stops the build until it is described above.
static_assert(std::has_unique_object_representations_v<P>);
static_assert(sizeof(P) == 4 * (Plic::kNumSources + 1 + Plic::kMaxContexts + 2 * Plic::kWords +
                                Plic::kMaxContexts * Plic::kWords + 2),
              "Plic::State changed: describe the member");

constexpr vm::Field<P> kSource96Fields[] = {vm::u32<&P::source96_priority>("source96_priority")};
constexpr vm::Subsection<P> kSource96{
    .name = kPlicSource96Subsection,
    .version = 1,
    .min_version = 1,
    // QEMU 7.2 keeps this register out of bounds and never migrates it; lockstep does, unless the
    // machine version withholds the subsection because its destinations would not know it.
    .needed = [](const P& s) { return s.source96_priority != 0; },
    .absent = [](P& s) { s.source96_priority = 0; },
    .fields = kSource96Fields,
};

constexpr vm::Field<P> kFields[] = {
    vm::u32_array<&P::source_priority>("source_priority"),
    vm::varray<&P::target_priority, &P::num_addrs>("target_priority"),
    vm::u32_array<&P::pending>("pending"),
    vm::u32_array<&P::claimed>("claimed"),
    vm::varray<&P::enable, &P::num_enables>("enable"),
};
constexpr const vm::Subsection<P>* kSubsections[] = {&kSource96};

u32 bits_outside_sources(const std::array<u32, Plic::kWords>& w) {
  // Bit 0 (source 0) is never wired; sources are 1..95, so no word has bits past source 95.
  return w[0] & 1u;
}

Status post_load(P& s, int) {
  if (s.num_addrs > Plic::kMaxContexts || s.num_enables != s.num_addrs * Plic::kWords)
    return Error{fmt::format("num_addrs {} / num_enables {} are not a valid configuration", s.num_addrs,
                             s.num_enables)};
  if (bits_outside_sources(s.pending)) return Error{"pending: source 0 is never pending"};
  if (bits_outside_sources(s.claimed)) return Error{"claimed: source 0 is never claimed"};
  if (s.source_priority[0] != 0) return Error{"source_priority[0]: source 0 has no priority register"};
  for (unsigned i = 1; i < Plic::kNumSources; ++i)
    if (s.source_priority[i] > Plic::kNumPriorities)
      return Error{fmt::format("source_priority[{}] {} exceeds {}", i, s.source_priority[i], Plic::kNumPriorities)};
  if (s.source96_priority > Plic::kNumPriorities)
    return Error{fmt::format("source96_priority {} exceeds {}", s.source96_priority, Plic::kNumPriorities)};
  for (unsigned c = 0; c < s.num_addrs; ++c)
    if (s.target_priority[c] > Plic::kNumPriorities)
      return Error{fmt::format("target_priority[{}] {} exceeds {}", c, s.target_priority[c], Plic::kNumPriorities)};
  return Ok{};
}

constexpr vm::Section<P> kPlic{
    .name = "riscv_sifive_plic",
    .version = 1,
    .min_version = 1,
    .fields = kFields,
    .subsections = kSubsections,
    .post_load = post_load,
};

}  // namespace

const snapshot::vm::Section<Plic::State>& plic_vmstate() { return kPlic; }

}  // namespace lockstep::devices
