// virtio-mmio transport: registers, access sizes, feature negotiation, queue setup, reset,
// interrupts. Expected values were read from QEMU 7.2 (-M virt, -global
// virtio-mmio.force-legacy=false) with a bare-metal probe.
#include "tests/unit/virtio/rig.h"

using namespace vt;
using namespace lockstep::devices::virtio;

TEST_CASE("virtio-mmio: an empty slot answers magic, version 2 and vendor; DeviceID 0") {
  core::AddressSpace bus;
  IrqRecorder irq;
  M slot(bus, IrqLine{&irq, 1}, nullptr);
  u64 v = 0;
  CHECK(slot.read(M::kMagicValue, 4, v));
  CHECK(v == 0x74726976);
  CHECK(slot.read(M::kVersionReg, 4, v));
  CHECK(v == 2);
  CHECK(slot.read(M::kDeviceId, 4, v));
  CHECK(v == 0);
  CHECK(slot.read(M::kVendorId, 4, v));
  CHECK(v == 0x554d4551);
  CHECK(slot.read(M::kDeviceFeatures, 4, v));
  CHECK(v == 0);
  CHECK(slot.read(M::kConfig, 4, v));
  CHECK(v == 0);
  CHECK(slot.read(M::kMagicValue, 1, v));  // QEMU checks the offset before the size here
  CHECK(v == 0x76);
  CHECK(slot.write(M::kStatus, 4, 0xff));
  CHECK(slot.read(M::kStatus, 4, v));
  CHECK(v == 0);
  CHECK_FALSE(slot.read(0x200, 4, v));  // the 0x200-byte region ends there
  CHECK_FALSE(slot.write(0xffc, 4, 0));
  CHECK_FALSE(irq.level);
}

TEST_CASE("virtio-mmio: access sizes as QEMU's memory core gives them") {
  TempImage img(1 << 20);
  Blk r(open_disk(img.path));
  u64 v = 0;
  CHECK(r.mmio->read(M::kMagicValue, 1, v));  // a byte read of a register reads 0
  CHECK(v == 0);
  CHECK(r.mmio->read(M::kMagicValue, 2, v));
  CHECK(v == 0);
  CHECK(r.mmio->read(M::kMagicValue, 8, v));  // two 32-bit reads
  CHECK(v == 0x0000000274726976ull);
  CHECK_FALSE(r.mmio->read(M::kVersionReg + 1, 1 + 1, v));  // misaligned
  CHECK_FALSE(r.mmio->read(M::kMagicValue, 3, v));
  CHECK_FALSE(r.mmio->read(0x1fc, 8, v));
  CHECK_FALSE(r.mmio->read(0x200, 4, v));
  CHECK_FALSE(r.mmio->write(0x400, 4, 0));
  // Byte and half-word register writes are ignored.
  CHECK(r.mmio->write(M::kStatus, 1, 1));
  CHECK(r.mmio->write(M::kStatus, 2, 1));
  CHECK(r.status() == 0);
  // An 8-byte write is two 32-bit writes: QueueDescLow then QueueDescHigh.
  CHECK(r.mmio->write(M::kQueueDescLow, 8, 0x1122334455667788ull));
  CHECK(r.mmio->state().queue_desc[0] == 0x1122334455667788ull);
  // Config space: 1, 2, 4 and 8 bytes.
  CHECK(r.mmio->read(M::kConfig, 8, v));
  CHECK(v == 2048);
  CHECK(r.mmio->read(M::kConfig + 1, 1, v));
  CHECK(v == 0x08);
  CHECK(r.mmio->read(M::kConfig + 0x14, 2, v));
  CHECK(v == 512);
  CHECK(r.mmio->read(M::kConfig + 0x3c, 4, v));  // past the config: all ones
  CHECK(v == 0xffffffffu);
  CHECK(r.mmio->read(M::kConfig + 0xff, 1, v));
  CHECK(v == 0xff);
  CHECK(r.mmio->read(M::kShmLenLow, 4, v));
  CHECK(v == 0xffffffffu);
  u64 p = 0;
  CHECK(r.mmio->peek(M::kConfig, 4, p));
  CHECK(p == 2048);
}

TEST_CASE("virtio-mmio: device features and negotiation") {
  TempImage img(1 << 20);
  Blk r(open_disk(img.path));
  CHECK(r.rd(M::kDeviceId) == 2);
  r.wr(M::kDeviceFeaturesSel, 0);
  CHECK(r.rd(M::kDeviceFeatures) == 0x30006e54u);  // QEMU 7.2's virtio-blk-device on a raw file
  r.wr(M::kDeviceFeaturesSel, 1);
  CHECK(r.rd(M::kDeviceFeatures) == 0x101u);  // VERSION_1, RING_RESET
  r.wr(M::kDeviceFeaturesSel, 5);             // any non-zero value selects the high word
  CHECK(r.rd(M::kDeviceFeatures) == 0x101u);

  // Unknown bits are dropped; legacy-only bits QEMU keeps in host_features are accepted.
  const u64 want = bit(kFVersion1) | bit(VirtioBlk::kFFlush) | bit(kFNotifyOnEmpty) | bit(50) | bit(VirtioBlk::kFSizeMax);
  r.init(want);
  CHECK(r.mmio->state().guest_features == (bit(kFVersion1) | bit(VirtioBlk::kFFlush) | bit(kFNotifyOnEmpty)));
  CHECK(r.status() == 0x0f);
  // Once FEATURES_OK is set, features are frozen.
  r.wr(M::kDriverFeaturesSel, 0);
  r.wr(M::kDriverFeatures, 0);
  r.wr(M::kStatus, 0x0f);
  CHECK(r.mmio->state().guest_features == (bit(kFVersion1) | bit(VirtioBlk::kFFlush) | bit(kFNotifyOnEmpty)));
}

TEST_CASE("virtio-mmio: queue registers") {
  TempImage img(1 << 20);
  Blk r(open_disk(img.path));
  r.wr(M::kQueueSel, 0);
  CHECK(r.rd(M::kQueueNumMax) == 1024);
  CHECK(r.rd(M::kQueueReady) == 0);
  CHECK(r.mmio->state().vq[0].num == 256);  // the default size until the driver writes QueueNum
  r.wr(M::kQueueNum, 2000);                 // more than QueueNumMax: ignored
  CHECK(r.mmio->state().vq[0].num == 256);
  r.wr(M::kQueueNum, 0);  // a queue cannot be made to vanish
  CHECK(r.mmio->state().vq[0].num == 256);
  r.wr(M::kQueueNum, 0x80000004u);  // negative as QEMU's int: ignored
  CHECK(r.mmio->state().vq[0].num == 256);
  r.wr(M::kQueueNum, 16);
  CHECK(r.mmio->state().vq[0].num == 16);
  r.wr(M::kQueueSel, 1);
  CHECK(r.rd(M::kQueueNumMax) == 0);  // no such queue
  r.wr(M::kQueueSel, 3);
  r.wr(M::kQueueReady, 1);            // QEMU keeps QueueReady even for queues the device lacks
  CHECK(r.rd(M::kQueueReady) == 1);
  r.wr(M::kQueueSel, 5000);           // out of range: QueueSel unchanged
  CHECK(r.mmio->state().queue_sel == 3);
  r.wr(M::kQueueSel, 0);
  r.wr(M::kQueueDescLow, 0x1000);
  r.wr(M::kQueueAvailLow, 0x2000);
  r.wr(M::kQueueUsedLow, 0x3000);
  CHECK(r.mmio->state().vq[0].desc == 0);  // latched only at QueueReady
  r.wr(M::kQueueReady, 1);
  CHECK(r.mmio->state().vq[0].desc == 0x1000);
  CHECK(r.mmio->state().vq[0].avail == 0x2000);
  CHECK(r.mmio->state().vq[0].used == 0x3000);
  CHECK(r.rd(M::kQueueReady) == 1);
  // Status 0 resets the device and un-readies every queue; the latches stay.
  r.wr(M::kStatus, 0);
  CHECK(r.rd(M::kQueueReady) == 0);
  r.wr(M::kQueueSel, 3);
  CHECK(r.rd(M::kQueueReady) == 0);
  CHECK(r.mmio->state().vq[0].desc == 0);
  CHECK(r.mmio->state().vq[0].num == 256);
  CHECK(r.mmio->state().queue_desc[0] == 0x1000);
  r.mmio->reset();
  CHECK(r.mmio->state().queue_desc[0] == 0);
}

TEST_CASE("virtio-mmio: interrupt status, acknowledge and the IRQ line") {
  TempImage img(1 << 20);
  Blk r(open_disk(img.path));
  r.init();
  CHECK_FALSE(r.irq.level);
  auto d = r.request(VirtioBlk::kTFlush, 0, 0, false);
  CHECK(d.status == VirtioBlk::kSOk);
  CHECK(r.rd(M::kInterruptStatus) == kIsrQueue);
  CHECK(r.irq.level);
  CHECK(r.irq.irq == 5);
  r.wr(M::kInterruptAck, 2);  // acknowledging another bit changes nothing
  CHECK(r.irq.level);
  r.wr(M::kInterruptAck, 1);
  CHECK(r.rd(M::kInterruptStatus) == 0);
  CHECK_FALSE(r.irq.level);

  SUBCASE("VRING_AVAIL_F_NO_INTERRUPT suppresses the interrupt") {
    r.w16(kAvail, kAvailNoInterrupt);
    r.request(VirtioBlk::kTFlush, 0, 0, false);
    CHECK(r.rd(M::kInterruptStatus) == 0);
    CHECK_FALSE(r.irq.level);
  }
  SUBCASE("reset lowers the line") {
    r.request(VirtioBlk::kTFlush, 0, 0, false);
    CHECK(r.irq.level);
    r.wr(M::kStatus, 0);
    CHECK_FALSE(r.irq.level);
  }
}

TEST_CASE("virtio-mmio: event index") {
  TempImage img(1 << 20);
  Blk r(open_disk(img.path));
  r.init(bit(kFVersion1) | bit(kFEventIdx));
  const u64 used_event = kAvail + 4 + 2 * 8;
  const u64 avail_event = kUsed + 4 + 8 * 8;
  // The first completion always interrupts (nothing signalled yet).
  r.request(VirtioBlk::kTFlush, 0, 0, false);
  CHECK(r.rd(M::kInterruptStatus) == 1);
  CHECK(r.r16(avail_event) == 1);  // the device asks to be notified at the next index
  r.wr(M::kInterruptAck, 1);
  // The driver wants an interrupt only after used index 3 (used_event = 2).
  r.w16(used_event, 2);
  r.request(VirtioBlk::kTFlush, 0, 0, false);  // used idx 2: 2-2-1 = 0xffff, not < 1
  CHECK(r.rd(M::kInterruptStatus) == 0);
  r.request(VirtioBlk::kTFlush, 0, 0, false);  // used idx 3: crosses used_event
  CHECK(r.rd(M::kInterruptStatus) == 1);
  CHECK(r.r16(avail_event) == 3);
}

TEST_CASE("virtio-mmio: indirect descriptors") {
  TempImage img(1 << 20);
  Blk r(open_disk(img.path));
  r.init(bit(kFVersion1) | bit(kFIndirectDesc));
  const u64 table = kRam + 0x8000;
  r.w32(kBuf, VirtioBlk::kTIn);
  r.w64(kBuf + 8, 1);
  r.desc(0, kBuf, 16, kDescNext, 1, table);
  r.desc(1, kData, 512, kDescNext | kDescWrite, 2, table);
  r.desc(2, kBuf + 0x80, 1, kDescWrite, 0, table);
  r.desc(0, table, 48, kDescIndirect);
  r.offer(0);
  r.kick();
  CHECK(r.used_idx() == 1);
  CHECK(r.used_len(0) == 513);
  CHECK(r.r8(kBuf + 0x80) == 0);
  const auto disk = img.contents();
  CHECK(r.mem(kData, 512) == std::vector<u8>(disk.begin() + 512, disk.begin() + 1024));
}

TEST_CASE("virtio-mmio: a header split over two descriptors, data and status in one") {
  TempImage img(1 << 20);
  Blk r(open_disk(img.path));
  r.init();
  r.w32(kBuf, VirtioBlk::kTIn);
  r.w32(kBuf + 4, 0);
  r.w64(kBuf + 8, 2);
  r.desc(0, kBuf, 8, kDescNext, 1);
  r.desc(1, kBuf + 8, 8, kDescNext, 2);
  r.desc(2, kData, 513, kDescWrite);
  r.w8(kData + 512, 0x77);
  r.offer(0);
  r.kick();
  CHECK(r.used_idx() == 1);
  CHECK(r.used_len(0) == 513);
  CHECK(r.r8(kData + 512) == 0);
  const auto disk = img.contents();
  CHECK(r.mem(kData, 512) == std::vector<u8>(disk.begin() + 1024, disk.begin() + 1536));
}

TEST_CASE("virtio-mmio: a ring of a size that is not a power of two, at odd addresses, wraps") {
  TempImage img(1 << 20);
  Blk r(open_disk(img.path));
  r.init(bit(kFVersion1), 3, kDesc + 2, kAvail + 1, kUsed + 3);  // QEMU accepts all of this
  CHECK(r.mmio->state().vq[0].num == 3);
  for (unsigned i = 0; i < 7; ++i) {
    const u64 hdr = kBuf + 0x100 * i;
    r.w32(hdr, VirtioBlk::kTGetId);
    r.desc(0, hdr, 16, kDescNext, 1, kDesc + 2);
    r.desc(1, hdr + 0x40, 21, kDescWrite, 0, kDesc + 2);
    r.w16(kAvail + 1 + 4 + 2 * (i % 3), 0);
    r.w16(kAvail + 1 + 2, static_cast<u16>(i + 1));
    r.kick();
    CHECK(r.r16(kUsed + 3 + 2) == i + 1);
    CHECK(r.r32(kUsed + 3 + 4 + 8 * (i % 3) + 4) == 21);
  }
  CHECK_FALSE(r.in_error());
}

TEST_CASE("virtio-mmio: notifications before the ring is set up, for other queues, are ignored") {
  TempImage img(1 << 20);
  Blk r(open_disk(img.path));
  r.kick(0);
  r.kick(1);
  r.kick(1023);
  r.kick(0xffffffff);
  CHECK(r.mmio->error_count() == 0);
  CHECK(r.status() == 0);
}

TEST_CASE("virtio-mmio: rings outside RAM read as zero and are never an error") {
  TempImage img(1 << 20);
  Blk r(open_disk(img.path));
  r.init(bit(kFVersion1), 8, 0x40000000, 0x40001000, 0x40002000);
  r.kick();
  r.init(bit(kFVersion1), 8, kDesc, kRam + kRamSize - 2, kUsed);  // avail ring straddles the end of RAM
  r.kick();
  CHECK(r.mmio->error_count() == 0);
  CHECK_FALSE(r.in_error());
}
