// Section "virtio-rng" v1. Member coverage (VirtioRng::State): seed -> "seed", position ->
// "position". The seed travels with the position so the destination continues the source's
// stream byte for byte, whatever seed its own configuration has.
#include "devices/virtio_rng_vmstate.h"

#include <type_traits>

namespace lockstep::devices {
namespace {

namespace vm = snapshot::vm;
using G = VirtioRng::State;

// Tripwire: a new member changes the size and stops the build until it is described above.
static_assert(std::has_unique_object_representations_v<G>);
static_assert(sizeof(G) == 16, "VirtioRng::State changed: describe the member");

constexpr vm::Field<G> kFields[] = {vm::u64<&G::seed>("seed"), vm::u64<&G::position>("position")};
constexpr vm::Section<G> kVirtioRng{.name = "virtio-rng", .version = 1, .min_version = 1, .fields = kFields};

}  // namespace

const snapshot::vm::Section<VirtioRng::State>& virtio_rng_vmstate() { return kVirtioRng; }

}  // namespace lockstep::devices
