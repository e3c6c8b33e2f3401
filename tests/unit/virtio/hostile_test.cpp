// A hostile driver: every case must end in QEMU's reaction (virtio_error → DEVICE_NEEDS_RESET and
// a config interrupt, or a request completed with IOERR/UNSUPP), never a host out-of-bounds
// access, unbounded memory or a hang. The error messages are QEMU 7.2's.
#include "tests/unit/virtio/rig.h"

using namespace vt;
using namespace lockstep::devices::virtio;

namespace {

// A request, without waiting for it to complete (the device is broken).
void request_nowait(Rig& r) {
  r.desc(0, kBuf, 16, kDescNext, 1);
  r.desc(1, kBuf + 0x80, 1, kDescWrite);
  r.w32(kBuf, VirtioBlk::kTGetId);
  r.offer(0);
  r.kick();
}

// Expects the transport to be in QEMU's error state after a virtio_error with `message`.
void expect_broken(Blk& r, const std::string& message, u32 generation = 1) {
  CHECK(r.mmio->last_error() == message);
  CHECK(r.status() == (0x0f | kStatusNeedsReset));
  CHECK(r.rd(M::kInterruptStatus) == (kIsrQueue | kIsrConfig));
  CHECK(r.rd(M::kConfigGeneration) == generation);
  CHECK(r.irq.level);
  // Nothing more is processed until reset...
  const u16 used = r.used_idx();
  request_nowait(r);
  CHECK(r.used_idx() == used);
  // ...and a reset brings the device back.
  r.init();
  CHECK_FALSE(r.mmio->state().broken);
  CHECK(r.rd(M::kInterruptStatus) == 0);
  CHECK(r.rd(M::kConfigGeneration) == generation);  // QEMU never resets the generation
  CHECK(r.request(VirtioBlk::kTGetId, 0, 20, true).status == VirtioBlk::kSOk);
}

struct ImageHolder {
  TempImage img{1 << 20};
};
// Bases are built in order: the image exists before the device opens it.
struct Hostile : ImageHolder, Blk {
  Hostile() : Blk(open_disk(img.path)) { init(); }
};

}  // namespace

TEST_CASE("hostile: descriptor buffer outside RAM") {
  Hostile r;
  r.desc(0, kBuf, 16, kDescNext, 1);
  r.desc(1, 0x1000000000ull, 512, kDescNext | kDescWrite, 2);
  r.desc(2, kBuf + 0x80, 1, kDescWrite);
  r.offer(0);
  r.kick();
  CHECK(r.used_idx() == 0);
  expect_broken(r, "virtio: bogus descriptor or out of resources");
}

TEST_CASE("hostile: descriptor buffer straddling the end of RAM, or wrapping the address space") {
  Hostile r;
  r.desc(0, kRam + kRamSize - 8, 16, 0);
  r.offer(0);
  r.kick();
  expect_broken(r, "virtio: bogus descriptor or out of resources");
  r.desc(0, ~u64{0} - 7, 0xffffffff, 0);
  r.offer(0);
  r.kick();
  expect_broken(r, "virtio: bogus descriptor or out of resources", 2);
}

TEST_CASE("hostile: device-writable buffer in ROM") {
  Hostile r;
  r.desc(0, kBuf, 16, kDescNext, 1);
  r.desc(1, kRom, 1, kDescWrite);
  r.offer(0);
  r.kick();
  expect_broken(r, "virtio: bogus descriptor or out of resources");
}

TEST_CASE("hostile: zero-length descriptor") {
  Hostile r;
  r.desc(0, kBuf, 0, 0);
  r.offer(0);
  r.kick();
  expect_broken(r, "virtio: zero sized buffers are not allowed");
}

TEST_CASE("hostile: descriptor chain that loops") {
  Hostile r;
  r.desc(0, kBuf, 16, kDescNext, 1);
  r.desc(1, kBuf, 16, kDescNext, 0);
  r.offer(0);
  r.kick();
  expect_broken(r, "Looped descriptor");
}

TEST_CASE("hostile: a descriptor that chains to itself") {
  Hostile r;
  r.desc(0, kBuf, 16, kDescNext | kDescWrite, 0);
  r.offer(0);
  r.kick();
  expect_broken(r, "Looped descriptor");
}

TEST_CASE("hostile: chain longer than the queue size, in an indirect table") {
  Hostile r;
  // 2000 entries, each chaining to the next: more buffers than any chain may have.
  const u64 table = kRam + 0x200000;
  for (u16 i = 0; i < 2000; ++i) r.desc(i, kBuf, 16, kDescNext, static_cast<u16>(i + 1), table);
  r.desc(0, table, 2000 * 16, kDescIndirect);
  r.offer(0);
  r.kick();
  expect_broken(r, "virtio: too many write descriptors in indirect table");
}

TEST_CASE("hostile: indirect table that loops") {
  Hostile r;
  const u64 table = kRam + 0x200000;
  r.desc(0, kBuf, 16, kDescNext, 1, table);
  r.desc(1, kBuf, 16, kDescNext, 0, table);
  r.desc(0, table, 32, kDescIndirect);
  r.offer(0);
  r.kick();
  expect_broken(r, "Looped descriptor");
}

TEST_CASE("hostile: next index out of range") {
  Hostile r;
  r.desc(0, kBuf, 16, kDescNext, 200);
  r.offer(0);
  r.kick();
  expect_broken(r, "Desc next is 200");
}

TEST_CASE("hostile: next index out of range of an indirect table") {
  Hostile r;
  const u64 table = kRam + 0x200000;
  r.desc(0, kBuf, 16, kDescNext, 2, table);
  r.desc(1, kBuf + 0x80, 1, kDescWrite, 0, table);
  r.desc(0, table, 32, kDescIndirect);
  r.offer(0);
  r.kick();
  expect_broken(r, "Desc next is 2");
}

TEST_CASE("hostile: head index out of range") {
  Hostile r;
  r.offer(9);
  r.kick();
  expect_broken(r, "Guest says index 9 is available");
}

TEST_CASE("hostile: avail idx moved by more than the queue size") {
  Hostile r;
  r.desc(0, kBuf, 16, kDescNext, 1);
  r.desc(1, kBuf + 0x80, 1, kDescWrite);
  r.w32(kBuf, VirtioBlk::kTGetId);
  r.offer(0, 20);
  r.kick();
  CHECK(r.used_idx() == 0);
  expect_broken(r, "Guest moved used index from 0 to 20");
}

TEST_CASE("hostile: avail idx moved by exactly the queue size is fine") {
  Hostile r;
  r.desc(0, kBuf, 16, kDescNext, 1);
  r.desc(1, kBuf + 0x80, 1, kDescWrite);
  r.w32(kBuf, VirtioBlk::kTGetId);
  r.offer(0, 8);  // the other seven slots of the ring hold head 0 (zeroed memory)
  r.kick();
  CHECK(r.used_idx() == 8);
  CHECK_FALSE(r.in_error());
}

TEST_CASE("hostile: indirect tables with bad lengths, or outside RAM") {
  SUBCASE("not a multiple of 16") {
    Hostile r;
    r.desc(0, kRam + 0x200000, 20, kDescIndirect);
    r.offer(0);
    r.kick();
    expect_broken(r, "Invalid size for indirect buffer table");
  }
  SUBCASE("zero") {
    Hostile r;
    r.desc(0, kRam + 0x200000, 0, kDescIndirect);
    r.offer(0);
    r.kick();
    expect_broken(r, "Invalid size for indirect buffer table");
  }
  SUBCASE("larger than RAM") {
    Hostile r;
    r.desc(0, kRam, 0xfffffff0u, kDescIndirect);
    r.offer(0);
    r.kick();
    expect_broken(r, "Cannot map indirect buffer");
  }
  SUBCASE("outside RAM") {
    Hostile r;
    r.desc(0, 0x40000000, 64, kDescIndirect);
    r.offer(0);
    r.kick();
    expect_broken(r, "Cannot map indirect buffer");
  }
}

TEST_CASE("hostile: a nested INDIRECT flag is ignored, as QEMU does") {
  Hostile r;
  const u64 table = kRam + 0x200000;
  r.w32(kBuf, VirtioBlk::kTGetId);
  r.desc(0, kBuf, 16, kDescNext, 1, table);
  r.desc(1, kBuf + 0x80, 1, kDescWrite | kDescIndirect, 0, table);
  r.desc(0, table, 32, kDescIndirect);
  r.offer(0);
  r.kick();
  CHECK(r.used_idx() == 1);
  CHECK_FALSE(r.in_error());
}

TEST_CASE("hostile: device-readable buffer after a device-writable one") {
  Hostile r;
  r.desc(0, kBuf + 0x80, 1, kDescWrite | kDescNext, 1);
  r.desc(1, kBuf, 16, 0);
  r.offer(0);
  r.kick();
  expect_broken(r, "Incorrect order for descriptors");
}

TEST_CASE("hostile: buffers too small for the virtio-blk header or status") {
  SUBCASE("no device-writable buffer (no status byte)") {
    Hostile r;
    r.desc(0, kBuf, 16, 0);
    r.offer(0);
    r.kick();
    expect_broken(r, "virtio-blk missing headers");
  }
  SUBCASE("no device-readable buffer (no header)") {
    Hostile r;
    r.desc(0, kBuf + 0x80, 1, kDescWrite);
    r.offer(0);
    r.kick();
    expect_broken(r, "virtio-blk missing headers");
  }
  SUBCASE("an 8-byte header") {
    Hostile r;
    r.desc(0, kBuf, 8, kDescNext, 1);
    r.desc(1, kBuf + 0x80, 1, kDescWrite);
    r.offer(0);
    r.kick();
    expect_broken(r, "virtio-blk request outhdr too short");
  }
  SUBCASE("a discard without its segment") {
    Hostile r;
    r.w32(kBuf, VirtioBlk::kTDiscard);
    r.desc(0, kBuf, 16, kDescNext, 1);
    r.desc(1, kData, 8, kDescNext, 2);
    r.desc(2, kBuf + 0x80, 1, kDescWrite);
    r.offer(0);
    r.kick();
    expect_broken(r, "virtio-blk discard/write_zeroes header too short");
  }
}

TEST_CASE("hostile: requests before the error complete, the rest wait for reset") {
  Hostile r;
  r.w32(kBuf, VirtioBlk::kTGetId);
  r.desc(0, kBuf, 16, kDescNext, 1);
  r.desc(1, kBuf + 0x80, 1, kDescWrite);
  r.desc(2, kBuf, 16, kDescNext, 7);  // 7: fine; but 7 chains to 200
  r.desc(7, kBuf, 16, kDescNext, 200);
  r.offer(0);
  r.offer(2);
  r.offer(0);
  r.kick();
  CHECK(r.used_idx() == 1);
  CHECK(r.mmio->state().vq[0].last_avail_idx == 2);  // QEMU consumed the bad chain's slot
  expect_broken(r, "Desc next is 200");
}

TEST_CASE("hostile: an error before DRIVER_OK sets NEEDS_RESET without an interrupt") {
  TempImage img(1 << 20);
  Blk r(open_disk(img.path));
  r.init();
  r.wr(M::kStatus, 0x0b);  // the driver takes DRIVER_OK back (QEMU allows it)
  r.desc(0, kBuf, 0, 0);
  r.offer(0);
  r.kick();
  CHECK(r.mmio->last_error() == "virtio: zero sized buffers are not allowed");
  CHECK(r.status() == (0x0b | kStatusNeedsReset));
  CHECK(r.rd(M::kInterruptStatus) == 0);
  CHECK(r.rd(M::kConfigGeneration) == 0);
  CHECK_FALSE(r.irq.level);
}

TEST_CASE("hostile: a read whose data lands on the available ring cannot make the device loop") {
  Hostile r;
  // Every read fills the avail ring (idx included) with disk bytes; the device takes at most
  // one ring's worth of chains per notification whatever the ring then says.
  r.desc(0, kBuf, 16, kDescNext, 1);
  r.desc(1, kAvail, 512, kDescNext | kDescWrite, 2);
  r.desc(2, kBuf + 0x80, 1, kDescWrite);
  r.w32(kBuf, VirtioBlk::kTIn);
  r.w64(kBuf + 8, 0);
  r.offer(0);
  r.kick();
  CHECK(r.used_idx() == 1);
  r.kick();  // whatever avail->idx now says is bounded by the ring size
  CHECK(r.mmio->state().vq[0].last_avail_idx <= 1 + 8);
}

TEST_CASE("hostile: sector numbers beyond the end of the disk") {
  Hostile r;
  const u64 cap = 2048;
  CHECK(r.request(VirtioBlk::kTIn, cap, 512, true).status == VirtioBlk::kSIoErr);
  CHECK(r.request(VirtioBlk::kTIn, cap - 1, 1024, true).status == VirtioBlk::kSIoErr);
  CHECK(r.request(VirtioBlk::kTOut, cap, 512, false).status == VirtioBlk::kSIoErr);
  CHECK(r.request(VirtioBlk::kTIn, ~u64{0}, 512, true).status == VirtioBlk::kSIoErr);
  CHECK(r.request(VirtioBlk::kTIn, ~u64{0} / 512 + 1, 512, true).status == VirtioBlk::kSIoErr);
  CHECK(r.request(VirtioBlk::kTIn, cap, 0, true).status == VirtioBlk::kSOk);  // QEMU allows it
  CHECK(r.request(VirtioBlk::kTIn, cap + 1, 0, true).status == VirtioBlk::kSIoErr);
  CHECK(r.request(VirtioBlk::kTIn, 0, 100, true).status == VirtioBlk::kSIoErr);  // not whole sectors
  CHECK(r.request(VirtioBlk::kTIn, cap - 1, 512, true).status == VirtioBlk::kSOk);
  CHECK_FALSE(r.in_error());
}

TEST_CASE("hostile: huge requests stay bounded") {
  Hostile r;
  // 4 GiB - 1 claimed in one descriptor: outside RAM, an error before any copying.
  r.desc(0, kBuf, 16, kDescNext, 1);
  r.desc(1, kRam, 0xffffffffu, kDescNext | kDescWrite, 2);
  r.desc(2, kBuf + 0x80, 1, kDescWrite);
  r.w32(kBuf, VirtioBlk::kTIn);
  r.offer(0);
  r.kick();
  expect_broken(r, "virtio: bogus descriptor or out of resources");
}
