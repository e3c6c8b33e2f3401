#include "devices/virtio_rng.h"

#include <algorithm>
#include <bit>
#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace lockstep::devices {

using namespace virtio;

VirtioRng::VirtioRng(u64 seed) {
  state_.seed = seed;
  elem_.in.reserve(4);
}

void VirtioRng::generate(u64 seed, u64 position, u8* out, u64 len) {
  static_assert(std::endian::native == std::endian::little);
  while (len > 0) {
    const u64 index = position / 8;
    const u64 within = position % 8;
    const u64 block = XXH3_64bits_withSeed(&index, sizeof(index), seed);
    const u64 n = std::min<u64>(8 - within, len);
    std::memcpy(out, reinterpret_cast<const u8*>(&block) + within, n);
    out += n;
    position += n;
    len -= n;
  }
}

// QEMU's virtio_rng_process + chr_read, completed at once.
void VirtioRng::process(VirtioTransport& t) {
  if (!(t.status() & kStatusDriverOk)) return;
  Virtqueue q = t.queue(0);
  if (q.state().avail == 0) return;  // virtio_queue_ready
  const unsigned n = q.pending();    // at most the ring size
  if (t.broken()) return;
  unsigned popped = 0;
  u8 buf[4096];
  for (unsigned i = 0; i < n; ++i) {
    if (q.pop(elem_) != Virtqueue::Pop::Ok) break;
    ++popped;
    const u64 total = std::min<u64>(elem_.in_bytes(), kMaxBytesPerBuffer);
    for (u64 done = 0; done < total;) {
      const u64 chunk = std::min<u64>(sizeof(buf), total - done);
      generate(state_.seed, state_.position, buf, chunk);
      copy_to_segments(t.bus(), elem_.in, done, buf, chunk);
      state_.position += chunk;
      done += chunk;
    }
    q.push(elem_, static_cast<u32>(total));
  }
  if (popped) t.notify(0);
}

}  // namespace lockstep::devices
