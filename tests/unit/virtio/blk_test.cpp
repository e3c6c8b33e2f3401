// virtio-blk against temporary raw images: configuration, requests, read-only and snapshot modes.
// Expected statuses and used lengths are QEMU 7.2's (probed with a bare-metal guest).
#include "tests/unit/virtio/rig.h"

using namespace vt;
using namespace lockstep::devices::virtio;

TEST_CASE("virtio-blk: configuration space as QEMU 7.2 shows a 10 MiB raw image") {
  TempImage img(10 << 20);
  Blk r(open_disk(img.path));
  const u32 expect[15] = {0x00005000, 0, 0, 0xfe,       0x3f100014, 0x200,      0, 0,
                          0x00010001, 0x3fffff, 1, 1, 0x3fffff, 1, 1};
  for (unsigned i = 0; i < 15; ++i) {
    CAPTURE(i);
    CHECK(r.rd(M::kConfig + 4 * i) == expect[i]);
  }
  CHECK(r.rd(M::kConfig + 60) == 0xffffffffu);
  // Geometry from a DOS partition table (QEMU's guess_disk_lchs): end CHS head 15, sector 32.
  TempImage mbr(10 << 20);
  {
    std::fstream f(mbr.path, std::ios::in | std::ios::out | std::ios::binary);
    u8 sector[512] = {};
    sector[0x1be + 5] = 15;   // end head
    sector[0x1be + 6] = 32;   // end sector
    sector[0x1be + 12] = 1;   // nr_sects
    sector[510] = 0x55;
    sector[511] = 0xaa;
    f.write(reinterpret_cast<const char*>(sector), sizeof(sector));
  }
  Blk m(open_disk(mbr.path));
  CHECK(m.blk().geometry().heads == 16);
  CHECK(m.blk().geometry().sectors == 32);
  CHECK(m.blk().geometry().cylinders == 20480 / (16 * 32));
}

TEST_CASE("virtio-blk: writeback follows the driver's features, config writes and reset") {
  TempImage img(1 << 20);
  Blk r(open_disk(img.path));
  u64 v = 0;
  REQUIRE(r.mmio->read(M::kConfig + 32, 1, v));
  CHECK(v == 1);
  r.init();  // neither FLUSH nor CONFIG_WCE: QEMU switches to writethrough at DRIVER_OK
  REQUIRE(r.mmio->read(M::kConfig + 32, 1, v));
  CHECK(v == 0);
  r.init(bit(kFVersion1) | bit(VirtioBlk::kFFlush));
  REQUIRE(r.mmio->read(M::kConfig + 32, 1, v));
  CHECK(v == 1);
  r.init(bit(kFVersion1) | bit(VirtioBlk::kFConfigWce));
  REQUIRE(r.mmio->write(M::kConfig + 32, 1, 0));
  REQUIRE(r.mmio->read(M::kConfig + 32, 1, v));
  CHECK(v == 0);
  REQUIRE(r.mmio->write(M::kConfig, 4, 0x1234));  // capacity is not writable
  CHECK(r.rd(M::kConfig) == 2048);
  r.wr(M::kStatus, 0);
  REQUIRE(r.mmio->read(M::kConfig + 32, 1, v));
  CHECK(v == 1);
}

TEST_CASE("virtio-blk: write and read round trip against a raw image") {
  TempImage img(1 << 20);
  Blk r(open_disk(img.path));
  r.init();
  std::vector<u8> pattern(1024);
  for (unsigned i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<u8>(i * 13 + 5);
  REQUIRE(r.bus.dma_write(kData, pattern.data(), pattern.size()));
  auto w = r.request(VirtioBlk::kTOut, 3, 1024, false);
  CHECK(w.status == VirtioBlk::kSOk);
  CHECK(w.len == 1);  // only the status byte was written
  r.fill(kData, 0, 1024);
  auto rd = r.request(VirtioBlk::kTIn, 3, 1024, true);
  CHECK(rd.status == VirtioBlk::kSOk);
  CHECK(rd.len == 1025);
  CHECK(r.mem(kData, 1024) == pattern);
  const auto disk = img.contents();
  CHECK(std::vector<u8>(disk.begin() + 3 * 512, disk.begin() + 5 * 512) == pattern);
  CHECK(r.request(VirtioBlk::kTFlush, 0, 0, false).status == VirtioBlk::kSOk);
  CHECK(r.request(VirtioBlk::kTFlush | VirtioBlk::kTOut, 0, 0, false).status == VirtioBlk::kSOk);

  SUBCASE("a read over several buffers, larger than the bounce buffer") {
    const u64 big = 300 * 1024;
    r.w32(kBuf, VirtioBlk::kTIn);
    r.w64(kBuf + 8, 0);
    r.desc(0, kBuf, 16, kDescNext, 1);
    r.desc(1, kData, 1000, kDescNext | kDescWrite, 2);
    r.desc(2, kData + 0x1000, static_cast<u32>(big - 1000), kDescNext | kDescWrite, 3);
    r.desc(3, kBuf + 0x80, 1, kDescWrite);
    r.offer(0);
    r.kick();
    CHECK(r.r8(kBuf + 0x80) == VirtioBlk::kSOk);
    CHECK(r.used_len(r.used_idx() - 1) == big + 1);
    const auto now = img.contents();
    CHECK(r.mem(kData, 1000) == std::vector<u8>(now.begin(), now.begin() + 1000));
    CHECK(r.mem(kData + 0x1000, big - 1000) == std::vector<u8>(now.begin() + 1000, now.begin() + big));
  }
}

TEST_CASE("virtio-blk: snapshot mode keeps writes in memory and the file unchanged") {
  TempImage img(1 << 20);
  const auto before = img.contents();
  Blk r(open_disk(img.path, {.read_only = false, .snapshot = true}));
  r.init();
  CHECK((r.mmio->host_features() & bit(VirtioBlk::kFRo)) == 0);
  r.fill(kData, 0xab, 4096 + 512);
  CHECK(r.request(VirtioBlk::kTOut, 7, 4096 + 512, false).status == VirtioBlk::kSOk);  // spans chunks
  r.fill(kData, 0, 8192);
  CHECK(r.request(VirtioBlk::kTIn, 6, 4096 + 1536, true).status == VirtioBlk::kSOk);
  const auto got = r.mem(kData, 4096 + 1536);
  CHECK(std::vector<u8>(got.begin(), got.begin() + 512) == std::vector<u8>(before.begin() + 3072, before.begin() + 3584));
  CHECK(std::vector<u8>(got.begin() + 512, got.begin() + 512 + 4608) == std::vector<u8>(4608, 0xab));
  CHECK(std::vector<u8>(got.begin() + 5120, got.end()) ==
        std::vector<u8>(before.begin() + 16 * 512, before.begin() + 17 * 512));
  // Write zeroes goes to the overlay too.
  r.w64(kData, 100);
  r.w32(kData + 8, 2);
  r.w32(kData + 12, 0);
  CHECK(r.request(VirtioBlk::kTWriteZeroes, 0, 16, false).status == VirtioBlk::kSOk);
  CHECK(r.request(VirtioBlk::kTIn, 100, 1024, true).status == VirtioBlk::kSOk);
  CHECK(r.mem(kData, 1024) == std::vector<u8>(1024, 0));
  CHECK(r.request(VirtioBlk::kTFlush, 0, 0, false).status == VirtioBlk::kSOk);
  CHECK(img.contents() == before);
  CHECK(r.blk().backend().overlay_bytes() > 0);
}

TEST_CASE("virtio-blk: read-only disk") {
  TempImage img(1 << 20);
  const auto before = img.contents();
  Blk r(open_disk(img.path, {.read_only = true, .snapshot = false}));
  r.wr(M::kDeviceFeaturesSel, 0);
  CHECK(r.rd(M::kDeviceFeatures) == 0x30006e74u);  // + VIRTIO_BLK_F_RO
  r.init();
  r.fill(kData, 0x5a, 512);
  auto w = r.request(VirtioBlk::kTOut, 0, 512, false);
  CHECK(w.status == VirtioBlk::kSIoErr);
  CHECK(w.len == 1);
  r.w64(kData, 0);
  r.w32(kData + 8, 1);
  r.w32(kData + 12, 0);
  CHECK(r.request(VirtioBlk::kTWriteZeroes, 0, 16, false).status == VirtioBlk::kSIoErr);
  CHECK(r.request(VirtioBlk::kTDiscard, 0, 16, false).status == VirtioBlk::kSOk);  // ignored anyway
  CHECK(r.request(VirtioBlk::kTFlush, 0, 0, false).status == VirtioBlk::kSOk);
  CHECK(r.request(VirtioBlk::kTIn, 0, 512, true).status == VirtioBlk::kSOk);
  CHECK(r.mem(kData, 512) == std::vector<u8>(before.begin(), before.begin() + 512));
  CHECK(img.contents() == before);
  CHECK_FALSE(r.in_error());
}

TEST_CASE("virtio-blk: GET_ID returns QEMU's serial convention") {
  TempImage img(1 << 20);
  SUBCASE("no serial: one NUL byte") {
    Blk r(open_disk(img.path));
    r.init();
    r.fill(kData, 0xaa, 32);
    auto d = r.request(VirtioBlk::kTGetId, 0, 32, true);
    CHECK(d.status == VirtioBlk::kSOk);
    CHECK(d.len == 33);
    CHECK(r.r8(kData) == 0);
    CHECK(r.r8(kData + 1) == 0xaa);
  }
  SUBCASE("a long serial: 20 bytes, no NUL") {
    Blk r(open_disk(img.path), VirtioBlk::Options{.serial = "lockstep-serial-0123456789"});
    r.init();
    r.fill(kData, 0xaa, 32);
    CHECK(r.request(VirtioBlk::kTGetId, 0, 32, true).status == VirtioBlk::kSOk);
    const auto got = r.mem(kData, 21);
    CHECK(std::string(got.begin(), got.begin() + 20) == "lockstep-serial-0123");
    CHECK(got[20] == 0xaa);
  }
  SUBCASE("a short serial in a small buffer") {
    Blk r(open_disk(img.path), VirtioBlk::Options{.serial = "abc"});
    r.init();
    r.fill(kData, 0xaa, 8);
    CHECK(r.request(VirtioBlk::kTGetId, 0, 2, true).status == VirtioBlk::kSOk);
    CHECK(r.mem(kData, 3) == std::vector<u8>{'a', 'b', 0xaa});
  }
}

TEST_CASE("virtio-blk: unsupported and partly supported requests") {
  TempImage img(1 << 20);
  Blk r(open_disk(img.path));
  r.init();
  CHECK(r.request(99, 0, 0, false).status == VirtioBlk::kSUnsupp);
  CHECK(r.request(VirtioBlk::kTScsiCmd, 0, 0, false).status == VirtioBlk::kSIoErr);
  CHECK(r.request(VirtioBlk::kTScsiCmd, 0, 64, true).status == VirtioBlk::kSIoErr);
  CHECK(r.request(VirtioBlk::kTIn | VirtioBlk::kTBarrier, 0, 512, true).status == VirtioBlk::kSOk);

  SUBCASE("SCSI with all its buffers: UNSUPP and errors = 255") {
    r.w32(kBuf, VirtioBlk::kTScsiCmd);
    r.fill(kData, 0xaa, 16);
    r.desc(0, kBuf, 16, kDescNext, 1);
    r.desc(1, kBuf + 0x300, 6, kDescNext, 2);
    r.desc(2, kBuf + 0x400, 8, kDescNext | kDescWrite, 3);
    r.desc(3, kData, 16, kDescNext | kDescWrite, 4);
    r.desc(4, kBuf + 0x80, 1, kDescWrite);
    const u16 before = r.used_idx();
    r.offer(0);
    r.kick();
    CHECK(r.r8(kBuf + 0x80) == VirtioBlk::kSUnsupp);
    CHECK(r.used_len(before) == 25);
    CHECK(r.mem(kData, 5) == std::vector<u8>{0xff, 0, 0, 0, 0xaa});
  }
  SUBCASE("discard and write zeroes") {
    auto seg = [&](u64 sector, u32 count, u32 flags) {
      r.w64(kData, sector);
      r.w32(kData + 8, count);
      r.w32(kData + 12, flags);
    };
    seg(0, 1, 0);
    CHECK(r.request(VirtioBlk::kTDiscard, 0, 16, false).status == VirtioBlk::kSOk);
    CHECK(r.request(VirtioBlk::kTDiscard & ~VirtioBlk::kTOut, 0, 16, false).status == VirtioBlk::kSUnsupp);
    CHECK(r.request(VirtioBlk::kTWriteZeroes & ~VirtioBlk::kTOut, 0, 16, false).status == VirtioBlk::kSUnsupp);
    CHECK(r.request(VirtioBlk::kTDiscard, 0, 32, false).status == VirtioBlk::kSUnsupp);  // two segments
    seg(0, 1, 1);
    CHECK(r.request(VirtioBlk::kTDiscard, 0, 16, false).status == VirtioBlk::kSUnsupp);  // UNMAP
    CHECK(r.request(VirtioBlk::kTWriteZeroes, 0, 16, false).status == VirtioBlk::kSOk);
    seg(0, 1, 2);
    CHECK(r.request(VirtioBlk::kTWriteZeroes, 0, 16, false).status == VirtioBlk::kSUnsupp);
    seg(0, 0x400000, 0);
    CHECK(r.request(VirtioBlk::kTWriteZeroes, 0, 16, false).status == VirtioBlk::kSIoErr);
    seg(2047, 2, 0);
    CHECK(r.request(VirtioBlk::kTWriteZeroes, 0, 16, false).status == VirtioBlk::kSIoErr);
    seg(2, 3, 0);
    CHECK(r.request(VirtioBlk::kTWriteZeroes, 0, 16, false).status == VirtioBlk::kSOk);
    const auto disk = img.contents();
    CHECK(std::vector<u8>(disk.begin(), disk.begin() + 512) == std::vector<u8>(512, 0));
    CHECK(std::vector<u8>(disk.begin() + 1024, disk.begin() + 2560) == std::vector<u8>(1536, 0));
    CHECK(disk[512] != 0);
  }
  CHECK_FALSE(r.in_error());
}

TEST_CASE("virtio-blk: a disk whose size is not whole sectors") {
  TempImage img(1000);
  Blk r(open_disk(img.path));
  CHECK(r.rd(M::kConfig) == 2);
  r.init();
  r.fill(kData, 0xee, 1024);
  CHECK(r.request(VirtioBlk::kTIn, 1, 512, true).status == VirtioBlk::kSOk);
  const auto disk = img.contents();
  const auto got = r.mem(kData, 512);
  CHECK(std::vector<u8>(got.begin(), got.begin() + 488) == std::vector<u8>(disk.begin() + 512, disk.end()));
  CHECK(std::vector<u8>(got.begin() + 488, got.end()) == std::vector<u8>(24, 0));
}
