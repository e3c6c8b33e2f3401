#pragma once
#include <cstdint>
#include <vector>

namespace lockstep::machines::virt {

// The bytes QEMU's qemu_guest_getrandom() hands out under `-seed N`: GLib's g_rand, which is the
// reference MT19937 seeded with init_by_array({N & 0xffffffff, N >> 32}), each 32-bit draw stored
// in host (little-endian) order. `skip_draws` draws are consumed first, as QEMU's earlier callers
// do. Written out because std::mt19937 cannot be seeded by init_by_array.
std::vector<uint8_t> qemu_seeded_random_bytes(uint64_t seed, unsigned skip_draws, unsigned bytes);

}  // namespace lockstep::machines::virt
