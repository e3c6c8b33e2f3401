#include "devices/virtio_blk.h"

#include <algorithm>
#include <cstring>

namespace lockstep::devices {

using namespace virtio;

namespace {

constexpr u64 kIoChunk = 64 * 1024;  // data moves through the bounce buffer in pieces this big
constexpr u64 kIdBytes = 20;         // VIRTIO_BLK_ID_BYTES

template <typename T>
void put(u8* p, T v) {
  std::memcpy(p, &v, sizeof(v));
}

template <typename T>
T get(const u8* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// QEMU's hd_geometry_guess for a file (hw/block/hd-geometry.c): the geometry a DOS partition
// table implies (guess_disk_lchs), else 16 heads and 63 sectors per track.
VirtioBlk::Geometry guess_geometry(BlockBackend& disk) {
  const u64 total = disk.sectors();
  auto by_size = [&] {
    u64 cylinders = total / (16 * 63);
    cylinders = std::clamp<u64>(cylinders, 2, 16383);
    return VirtioBlk::Geometry{static_cast<u16>(cylinders), 16, 63};
  };
  u8 mbr[512];
  if (total == 0 || !disk.read(0, mbr, sizeof(mbr))) return by_size();
  if (mbr[510] != 0x55 || mbr[511] != 0xaa) return by_size();
  for (unsigned i = 0; i < 4; ++i) {
    const u8* p = mbr + 0x1be + 16 * i;
    const u32 nr_sects = get<u32>(p + 12);
    const u8 end_head = p[5];
    if (nr_sects == 0 || end_head == 0) continue;
    const unsigned heads = end_head + 1u;
    const unsigned sectors = p[6] & 63u;
    if (sectors == 0) continue;
    const u64 cylinders = total / (heads * sectors);
    if (cylinders < 1 || cylinders > 16383) continue;
    if (heads > 16) return by_size();  // an LBA-translated BIOS geometry: use the standard one
    return VirtioBlk::Geometry{static_cast<u16>(cylinders), static_cast<u8>(heads), static_cast<u8>(sectors)};
  }
  return by_size();
}

}  // namespace

VirtioBlk::VirtioBlk(std::unique_ptr<BlockBackend> backend, Options options)
    : backend_(std::move(backend)), options_(std::move(options)) {
  geometry_ = guess_geometry(*backend_);
  buf_.resize(kIoChunk);
  elem_.out.reserve(16);
  elem_.in.reserve(16);
}

u64 VirtioBlk::host_features() const {
  u64 f = kCommonFeatures | bit(kFSegMax) | bit(kFGeometry) | bit(kFBlkSize) | bit(kFFlush) | bit(kFTopology) |
          bit(kFConfigWce) | bit(kFDiscard) | bit(kFWriteZeroes);
  if (backend_->read_only()) f |= bit(kFRo);
  return f;
}

// struct virtio_blk_config (virtio 1.2, 5.2.4), little-endian.
void VirtioBlk::read_config(u8* c) const {
  std::memset(c, 0, kConfigSize);
  put<u64>(c + 0, backend_->sectors());               // capacity
  put<u32>(c + 8, 0);                                 // size_max (not offered)
  put<u32>(c + 12, kQueueSize - 2);                   // seg_max (QEMU's seg-max-adjust)
  put<u16>(c + 16, geometry_.cylinders);              // geometry
  c[18] = geometry_.heads;
  c[19] = geometry_.sectors;
  put<u32>(c + 20, BlockBackend::kSectorSize);        // blk_size
  c[24] = 0;                                          // physical_block_exp
  c[25] = 0;                                          // alignment_offset
  put<u16>(c + 26, 0);                                // min_io_size
  put<u32>(c + 28, 0);                                // opt_io_size
  c[32] = state_.wce;                                 // writeback
  put<u16>(c + 34, 1);                                // num_queues
  put<u32>(c + 36, kMaxDiscardSectors);               // max_discard_sectors
  put<u32>(c + 40, 1);                                // max_discard_seg
  put<u32>(c + 44, 1);                                // discard_sector_alignment
  put<u32>(c + 48, kMaxDiscardSectors);               // max_write_zeroes_sectors
  put<u32>(c + 52, 1);                                // max_write_zeroes_seg
  c[56] = 1;                                          // write_zeroes_may_unmap
}

// QEMU's virtio_blk_set_config takes only `writeback` from the guest. (QEMU applies the whole
// buffer on any config write; a write that does not touch `writeback` leaves it as it is here.)
void VirtioBlk::write_config(u32 offset, const u8* data, unsigned size) {
  constexpr u32 kWce = 32;
  if (offset <= kWce && kWce < offset + size) state_.wce = data[kWce - offset] != 0;
}

// QEMU's virtio_blk_set_status: a driver without CONFIG_WCE gets write-back iff it took FLUSH.
void VirtioBlk::status_changed(VirtioTransport& t) {
  if (!(t.status() & kStatusDriverOk)) return;
  if (!(t.features() & bit(kFConfigWce))) state_.wce = (t.features() & bit(kFFlush)) ? 1 : 0;
}

void VirtioBlk::handle_queue(VirtioTransport& t, unsigned q_index) {
  Virtqueue q = t.queue(q_index);
  // At most one ring's worth per notification: requests complete at once, so this is everything
  // the driver made available (a driver that moved avail->idx further is broken, see pending()).
  const unsigned n = q.pending();
  if (t.broken()) return;
  q.set_notification(false);
  for (unsigned i = 0; i < n; ++i) {
    if (q.pop(elem_) != Virtqueue::Pop::Ok) break;
    if (!handle_request(t, q, elem_)) {
      q.detach(elem_);  // else inuse stays 1 and the machine's own stream fails post_load (fuzz_virtio)
      break;
    }
  }
  q.set_notification(true);
}

bool VirtioBlk::sector_range_ok(u64 sector, u64 bytes) const {
  const u64 count = bytes / BlockBackend::kSectorSize;
  if (count > kMaxDiscardSectors) return false;
  if (bytes % BlockBackend::kSectorSize != 0) return false;
  const u64 total = backend_->sectors();
  return sector <= total && count <= total - sector;
}

void VirtioBlk::complete(VirtioTransport& t, Virtqueue& q, const VirtqElement& e, u8 status) {
  const VirtqSegment& last = e.in.back();
  (void)t.bus().dma_write(last.addr + last.len - 1, &status, 1);
  q.push(e, static_cast<u32>(e.in_bytes()));
  t.notify(0);
}

u8 VirtioBlk::do_read(VirtioTransport& t, const VirtqElement& e, u64 sector, u64 bytes) {
  for (u64 done = 0; done < bytes;) {
    const u64 n = std::min(kIoChunk, bytes - done);
    if (!backend_->read(sector * BlockBackend::kSectorSize + done, buf_.data(), n)) return kSIoErr;
    copy_to_segments(t.bus(), e.in, done, buf_.data(), n);
    done += n;
  }
  return kSOk;
}

u8 VirtioBlk::do_write(VirtioTransport& t, const VirtqElement& e, u64 sector, u64 bytes) {
  if (backend_->read_only()) return kSIoErr;
  for (u64 done = 0; done < bytes;) {
    const u64 n = std::min(kIoChunk, bytes - done);
    copy_from_segments(t.bus(), e.out, 16 + done, buf_.data(), n);
    if (!backend_->write(sector * BlockBackend::kSectorSize + done, buf_.data(), n)) return kSIoErr;
    done += n;
  }
  return kSOk;
}

// QEMU 7.2's virtio_blk_handle_request, for a request that completes at once.
bool VirtioBlk::handle_request(VirtioTransport& t, Virtqueue& q, VirtqElement& e) {
  if (e.out.empty() || e.in.empty()) {
    t.error("virtio-blk missing headers");
    return false;
  }
  u8 hdr[16];
  if (copy_from_segments(t.bus(), e.out, 0, hdr, sizeof(hdr)) != sizeof(hdr)) {
    t.error("virtio-blk request outhdr too short");
    return false;
  }
  // The status byte is the last byte of the last device-writable buffer; data comes before it.
  const u64 in_data = e.in_bytes() - 1;
  const u64 out_data = e.out_bytes() - sizeof(hdr);
  const u32 type = get<u32>(hdr);
  const u64 sector = get<u64>(hdr + 8);

  switch (type & ~(kTOut | kTBarrier)) {
    case kTIn: {
      const bool is_write = type & kTOut;
      const u64 bytes = is_write ? out_data : in_data;
      if (!sector_range_ok(sector, bytes)) {
        complete(t, q, e, kSIoErr);
        return true;
      }
      complete(t, q, e, is_write ? do_write(t, e, sector, bytes) : do_read(t, e, sector, bytes));
      return true;
    }
    case kTFlush:
      complete(t, q, e, backend_->flush() ? kSOk : kSIoErr);
      return true;
    case kTScsiCmd: {
      // No SCSI passthrough (QEMU's scsi=off): IOERR without the buffers the command needs,
      // otherwise UNSUPP with virtio_scsi_inhdr.errors = 255.
      if (e.out.size() < 2 || e.in.size() < 3) {
        complete(t, q, e, kSIoErr);
        return true;
      }
      const VirtqSegment& scsi = e.in[e.in.size() - 2];
      const u8 errors[4] = {255, 0, 0, 0};
      (void)t.bus().dma_write(scsi.addr, errors, std::min<u64>(scsi.len, sizeof(errors)));
      complete(t, q, e, kSUnsupp);
      return true;
    }
    case kTGetId: {
      // The serial, NUL-terminated only when shorter than the buffer.
      const u64 size = std::min<u64>(options_.serial.size() + 1, std::min(in_data, kIdBytes));
      copy_to_segments(t.bus(), e.in, 0, options_.serial.c_str(), size);
      complete(t, q, e, kSOk);
      return true;
    }
    case kTDiscard & ~kTOut:
    case kTWriteZeroes & ~kTOut: {
      const bool write_zeroes = (type & ~kTBarrier) == kTWriteZeroes;
      // One segment only, and the OUT bit must be set.
      if (!(type & kTOut) || out_data > 16) {
        complete(t, q, e, kSUnsupp);
        return true;
      }
      u8 seg[16];
      if (copy_from_segments(t.bus(), e.out, sizeof(hdr), seg, sizeof(seg)) != sizeof(seg)) {
        t.error("virtio-blk discard/write_zeroes header too short");
        return false;
      }
      const u64 first = get<u64>(seg);
      const u32 count = get<u32>(seg + 8);
      const u32 flags = get<u32>(seg + 12);
      constexpr u32 kUnmap = 1;
      u8 status = kSOk;
      if (count > kMaxDiscardSectors || !sector_range_ok(first, u64{count} * BlockBackend::kSectorSize)) {
        status = kSIoErr;
      } else if (flags & ~kUnmap) {
        status = kSUnsupp;
      } else if (write_zeroes) {
        status = backend_->write_zeroes(first * BlockBackend::kSectorSize, u64{count} * BlockBackend::kSectorSize)
                     ? kSOk
                     : kSIoErr;
      } else if (flags & kUnmap) {
        status = kSUnsupp;
      }  // else: discard, ignored (QEMU's default discard=ignore leaves the data as it is)
      complete(t, q, e, status);
      return true;
    }
    default:
      complete(t, q, e, kSUnsupp);
      return true;
  }
}

}  // namespace lockstep::devices
