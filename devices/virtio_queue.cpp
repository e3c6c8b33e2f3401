#include "devices/virtio_queue.h"

#include <bit>
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace lockstep::devices {

static_assert(std::endian::native == std::endian::little, "guest memory is accessed as little-endian host words");

using namespace virtio;

u64 VirtqElement::out_bytes() const {
  u64 n = 0;
  for (const VirtqSegment& s : out) n += s.len;
  return n;
}

u64 VirtqElement::in_bytes() const {
  u64 n = 0;
  for (const VirtqSegment& s : in) n += s.len;
  return n;
}

namespace {
// Visits the [offset, offset + len) byte range of a descriptor chain segment by segment; stops at the
// first piece `dma` refuses. Returns the bytes done.
template <class Dma>
u64 for_each_piece(const std::vector<VirtqSegment>& segs, u64 offset, u64 len, Dma dma) {
  u64 done = 0;
  for (const VirtqSegment& s : segs) {
    if (done == len) break;
    if (offset >= s.len) {
      offset -= s.len;
      continue;
    }
    const u64 n = std::min<u64>(s.len - offset, len - done);
    if (!dma(s.addr + offset, done, n)) break;
    done += n;
    offset = 0;
  }
  return done;
}
}  // namespace

u64 copy_from_segments(const core::AddressSpace& bus, const std::vector<VirtqSegment>& segs, u64 offset, void* dst,
                       u64 len) {
  u8* out = static_cast<u8*>(dst);
  return for_each_piece(segs, offset, len, [&](u64 addr, u64 at, u64 n) { return bus.dma_read(addr, out + at, n); });
}

u64 copy_to_segments(core::AddressSpace& bus, const std::vector<VirtqSegment>& segs, u64 offset, const void* src,
                     u64 len) {
  const u8* in = static_cast<const u8*>(src);
  return for_each_piece(segs, offset, len, [&](u64 addr, u64 at, u64 n) { return bus.dma_write(addr, in + at, n); });
}

Virtqueue::Virtqueue(VirtioTransport& transport, VirtqState& state) : t_(transport), s_(state) {}

bool Virtqueue::has(unsigned feature) const { return (t_.features() >> feature) & 1; }

u16 Virtqueue::read16(u64 pa) const {
  u16 v = 0;
  if (!t_.bus().dma_read(pa, &v, sizeof(v))) return 0;
  return v;
}

void Virtqueue::write16(u64 pa, u16 v) { (void)t_.bus().dma_write(pa, &v, sizeof(v)); }
void Virtqueue::write32(u64 pa, u32 v) { (void)t_.bus().dma_write(pa, &v, sizeof(v)); }

u16 Virtqueue::avail_flags() const { return read16(s_.avail); }
u16 Virtqueue::avail_idx() const { return read16(s_.avail + 2); }
u16 Virtqueue::used_event() const { return read16(s_.avail + 4 + 2 * u64{s_.num}); }

void Virtqueue::set_avail_event(u16 v) {
  if (!s_.notification) return;
  write16(s_.used + 4 + 8 * u64{s_.num}, v);
}

Virtqueue::Desc Virtqueue::read_desc(u64 table, unsigned i) const {
  u8 raw[16] = {};
  Desc d{};
  if (!t_.bus().dma_read(table + 16 * u64{i}, raw, sizeof(raw))) return d;
  std::memcpy(&d.addr, raw, 8);
  std::memcpy(&d.len, raw + 8, 4);
  std::memcpy(&d.flags, raw + 12, 2);
  std::memcpy(&d.next, raw + 14, 2);
  return d;
}

bool Virtqueue::empty() {
  if (t_.broken() || s_.avail == 0 || s_.num == 0) return true;
  return avail_idx() == s_.last_avail_idx;
}

unsigned Virtqueue::pending() {
  if (t_.broken() || s_.avail == 0 || s_.num == 0) return 0;
  const u16 idx = avail_idx();
  const u16 n = static_cast<u16>(idx - s_.last_avail_idx);
  if (n > s_.num) {
    t_.error(fmt::format("Guest moved used index from {} to {}", s_.last_avail_idx, idx));
    return 0;
  }
  return n;
}

bool Virtqueue::map(VirtqElement& elem, const Desc& d) {
  if (d.len == 0) {
    t_.error("virtio: zero sized buffers are not allowed");
    return false;
  }
  if (elem.out.size() + elem.in.size() >= kMaxSegments) {
    t_.error("virtio: too many write descriptors in indirect table");
    return false;
  }
  const bool device_writes = d.flags & kDescWrite;
  const core::RamBlock* b = t_.bus().find_ram(d.addr, d.len);
  if (!b || (device_writes && b->read_only)) {
    t_.error("virtio: bogus descriptor or out of resources");
    return false;
  }
  (device_writes ? elem.in : elem.out).push_back(VirtqSegment{d.addr, d.len});
  return true;
}

Virtqueue::Pop Virtqueue::pop(VirtqElement& elem) {
  elem.out.clear();
  elem.in.clear();
  if (empty()) return Pop::Empty;
  if (s_.inuse >= s_.num) {
    t_.error("Virtqueue size exceeded");
    return Pop::Error;
  }
  const u16 head = read16(s_.avail + 4 + 2 * u64{static_cast<u16>(s_.last_avail_idx % s_.num)});
  ++s_.last_avail_idx;
  if (head >= s_.num) {
    t_.error(fmt::format("Guest says index {} is available", head));
    return Pop::Error;
  }
  if (has(kFEventIdx)) set_avail_event(s_.last_avail_idx);

  u64 table = s_.desc;
  u64 max = s_.num;
  Desc d = read_desc(table, head);
  if (d.flags & kDescIndirect) {
    if (d.len == 0 || d.len % 16 != 0) {
      t_.error("Invalid size for indirect buffer table");
      return Pop::Error;
    }
    if (!t_.bus().find_ram(d.addr, d.len)) {
      t_.error("Cannot map indirect buffer");
      return Pop::Error;
    }
    table = d.addr;
    max = d.len / 16;
    d = read_desc(table, 0);
  }
  // Each pass maps one non-empty buffer, so map() ends the walk after kMaxSegments passes at most;
  // the entry count catches loops in shorter tables. A nested INDIRECT flag is ignored, as in QEMU.
  u64 entries = 0;
  for (;;) {
    if (!(d.flags & kDescWrite) && !elem.in.empty()) {
      t_.error("Incorrect order for descriptors");
      return Pop::Error;
    }
    if (!map(elem, d)) return Pop::Error;
    if (++entries > max) {
      t_.error("Looped descriptor");
      return Pop::Error;
    }
    if (!(d.flags & kDescNext)) break;
    if (d.next >= max) {
      t_.error(fmt::format("Desc next is {}", d.next));
      return Pop::Error;
    }
    d = read_desc(table, d.next);
  }
  elem.head = head;
  ++s_.inuse;
  return Pop::Ok;
}

void Virtqueue::detach(const VirtqElement&) {
  if (s_.inuse) --s_.inuse;
}

void Virtqueue::unpop(const VirtqElement& elem) {
  --s_.last_avail_idx;
  detach(elem);
}

// QEMU's virtqueue_split_get_avail_bytes, stopping as soon as both amounts are reached.
bool Virtqueue::avail_bytes(u64 in_bytes, u64 out_bytes, bool quiet) {
  // Quiet: a malformed ring is only "no room"; the device's own pop will report it.
  auto fail = [&](std::string message) {
    if (!quiet) t_.error(std::move(message));
    return false;
  };
  if (t_.broken() || s_.desc == 0 || s_.avail == 0 || s_.num == 0) return in_bytes == 0 && out_bytes == 0;
  u64 in_total = 0;
  u64 out_total = 0;
  const u16 idx_now = avail_idx();
  const u16 heads = static_cast<u16>(idx_now - s_.last_avail_idx);
  if (heads > s_.num) {
    return fail(fmt::format("Guest moved used index from {} to {}", s_.last_avail_idx, idx_now));
  }
  // Descriptors of the direct table count across chains: more than the ring holds is a loop.
  u64 total_bufs = 0;
  for (u16 k = 0; k < heads; ++k) {
    const u16 head = read16(s_.avail + 4 + 2 * u64{static_cast<u16>((s_.last_avail_idx + k) % s_.num)});
    if (head >= s_.num) {
      return fail(fmt::format("Guest says index {} is available", head));
    }
    u64 table = s_.desc;
    u64 max = s_.num;
    u64 num_bufs = total_bufs;
    bool indirect = false;
    Desc d = read_desc(table, head);
    if (d.flags & kDescIndirect) {
      if (d.len == 0 || d.len % 16 != 0) {
        return fail("Invalid size for indirect buffer table");
      }
      if (num_bufs >= max) {
        return fail("Looped descriptor");
      }
      if (!t_.bus().find_ram(d.addr, d.len)) {
        return fail("Cannot map indirect buffer");
      }
      table = d.addr;
      max = d.len / 16;
      num_bufs = 0;
      indirect = true;
      d = read_desc(table, 0);
    }
    for (u64 in_chain = 1;; ++in_chain) {
      if (++num_bufs > max) {
        return fail("Looped descriptor");
      }
      if (in_chain > kMaxSegments) {  // pop would refuse this chain with the same message
        return fail("virtio: too many write descriptors in indirect table");
      }
      (d.flags & kDescWrite ? in_total : out_total) += d.len;
      if (in_total >= in_bytes && out_total >= out_bytes) return true;
      if (!(d.flags & kDescNext)) break;
      if (d.next >= max) {
        return fail(fmt::format("Desc next is {}", d.next));
      }
      d = read_desc(table, d.next);
    }
    total_bufs = indirect ? total_bufs + 1 : num_bufs;
  }
  return in_total >= in_bytes && out_total >= out_bytes;
}

void Virtqueue::push(const VirtqElement& elem, u32 len) {
  if (t_.broken() || s_.used == 0 || s_.num == 0) {
    if (s_.inuse) --s_.inuse;
    return;
  }
  const u64 slot = s_.used + 4 + 8 * u64{static_cast<u16>(s_.used_idx % s_.num)};
  write32(slot, elem.head);
  write32(slot + 4, len);
  const u16 old = s_.used_idx;
  const u16 now = static_cast<u16>(old + 1);
  write16(s_.used + 2, now);
  s_.used_idx = now;
  if (s_.inuse) --s_.inuse;
  if (static_cast<int16_t>(static_cast<u16>(now - s_.signalled_used)) < static_cast<u16>(now - old)) {
    s_.signalled_used_valid = 0;
  }
}

void Virtqueue::set_notification(bool enable) {
  s_.notification = enable;
  if (s_.desc == 0) return;
  if (has(kFEventIdx)) {
    set_avail_event(avail_idx());
  } else {
    const u16 flags = read16(s_.used);
    write16(s_.used, enable ? static_cast<u16>(flags & ~kUsedNoNotify) : static_cast<u16>(flags | kUsedNoNotify));
  }
}

bool Virtqueue::should_notify() {
  if (has(kFNotifyOnEmpty) && s_.inuse == 0 && empty()) return true;
  if (!has(kFEventIdx)) return !(avail_flags() & kAvailNoInterrupt);
  const bool valid = s_.signalled_used_valid;
  s_.signalled_used_valid = 1;
  const u16 old = s_.signalled_used;
  const u16 now = s_.signalled_used = s_.used_idx;
  // vring_need_event (virtio 1.2, 2.7.7.2)
  return !valid || static_cast<u16>(now - used_event() - 1) < static_cast<u16>(now - old);
}

}  // namespace lockstep::devices
