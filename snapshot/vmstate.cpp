#include "snapshot/vmstate.h"

#include <xxhash.h>

namespace lockstep::snapshot::vm {

std::uint64_t digest_bytes(std::span<const std::uint8_t> bytes, std::uint64_t seed) {
  return XXH3_64bits_withSeed(bytes.data(), bytes.size(), seed);
}

}  // namespace lockstep::snapshot::vm
