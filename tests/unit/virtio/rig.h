#pragma once
// A guest-side harness for the virtio tests: a real AddressSpace with RAM, a virtio-mmio
// transport, and a minimal driver that builds split rings in guest memory by hand.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/address_space.h"
#include "devices/block_backend.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"
#include "devices/virtio_rng.h"

namespace vt {

using namespace lockstep;
using namespace lockstep::devices;
using core::u16;
using core::u32;
using core::u64;
using core::u8;
using M = VirtioMmio;

inline constexpr u64 kRam = 0x80000000;
inline constexpr u64 kRamSize = 16 << 20;
inline constexpr u64 kRom = 0x1000;  // a read-only block, like the virt board's mrom
inline constexpr u64 kDesc = kRam + 0x1000;
inline constexpr u64 kAvail = kRam + 0x2000;
inline constexpr u64 kUsed = kRam + 0x3000;
inline constexpr u64 kBuf = kRam + 0x10000;   // request headers, status bytes
inline constexpr u64 kData = kRam + 0x100000;  // data buffers

struct IrqRecorder : IrqSink {
  bool level = false;
  unsigned irq = 0;
  void set_irq(unsigned n, bool l) override {
    irq = n;
    level = l;
  }
};

// A temporary raw image, removed at the end of the test.
struct TempImage {
  std::filesystem::path path;
  explicit TempImage(u64 size, u8 fill_seed = 0) {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("lockstep-virtio-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".img");
    std::vector<u8> bytes(size);
    for (u64 i = 0; i < size; ++i) bytes[i] = static_cast<u8>((i / 512) * 7 + i + fill_seed);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), size);
  }
  ~TempImage() { std::filesystem::remove(path); }
  std::vector<u8> contents() const {
    std::ifstream in(path, std::ios::binary);
    return std::vector<u8>(std::istreambuf_iterator<char>(in), {});
  }
};

struct Rig {
  core::AddressSpace bus;
  IrqRecorder irq;
  std::unique_ptr<VirtioDevice> dev;
  std::unique_ptr<M> mmio;
  u16 num = 8;
  u16 avail_idx = 0;

  explicit Rig(std::unique_ptr<VirtioDevice> device) : dev(std::move(device)) {
    REQUIRE(bus.add_ram("ram", kRam, kRamSize));
    REQUIRE(bus.add_ram("rom", kRom, 0x1000, true));
    mmio = std::make_unique<M>(bus, IrqLine{&irq, 5}, dev.get());
    bus.add_mmio("virtio", 0x10001000, 0x1000, mmio.get());
  }

  u32 rd(u64 off) {
    u64 v = 0;
    REQUIRE(mmio->read(off, 4, v));
    return static_cast<u32>(v);
  }
  void wr(u64 off, u32 v) { REQUIRE(mmio->write(off, 4, v)); }
  u8 status() { return static_cast<u8>(rd(M::kStatus)); }

  // Guest memory.
  void w8(u64 pa, u8 v) { REQUIRE(bus.dma_write(pa, &v, 1)); }
  void w16(u64 pa, u16 v) { REQUIRE(bus.dma_write(pa, &v, 2)); }
  void w32(u64 pa, u32 v) { REQUIRE(bus.dma_write(pa, &v, 4)); }
  void w64(u64 pa, u64 v) { REQUIRE(bus.dma_write(pa, &v, 8)); }
  u8 r8(u64 pa) {
    u8 v = 0;
    REQUIRE(bus.dma_read(pa, &v, 1));
    return v;
  }
  u16 r16(u64 pa) {
    u16 v = 0;
    REQUIRE(bus.dma_read(pa, &v, 2));
    return v;
  }
  u32 r32(u64 pa) {
    u32 v = 0;
    REQUIRE(bus.dma_read(pa, &v, 4));
    return v;
  }
  void fill(u64 pa, u8 v, u64 n) {
    std::vector<u8> b(n, v);
    REQUIRE(bus.dma_write(pa, b.data(), n));
  }
  std::vector<u8> mem(u64 pa, u64 n) {
    std::vector<u8> b(n);
    REQUIRE(bus.dma_read(pa, b.data(), n));
    return b;
  }

  // Driver initialisation (virtio 1.2, 3.1.1) with queue 0 at the standard addresses.
  void init(u64 driver_features = virtio::bit(virtio::kFVersion1), u16 queue_num = 8, u64 desc = kDesc,
            u64 avail = kAvail, u64 used = kUsed) {
    fill(kDesc, 0, 0x3000);
    wr(M::kStatus, 0);
    wr(M::kStatus, virtio::kStatusAcknowledge);
    wr(M::kStatus, virtio::kStatusAcknowledge | virtio::kStatusDriver);
    wr(M::kDriverFeaturesSel, 1);
    wr(M::kDriverFeatures, static_cast<u32>(driver_features >> 32));
    wr(M::kDriverFeaturesSel, 0);
    wr(M::kDriverFeatures, static_cast<u32>(driver_features));
    wr(M::kStatus, virtio::kStatusAcknowledge | virtio::kStatusDriver | virtio::kStatusFeaturesOk);
    setup_queue(0, queue_num, desc, avail, used);
    wr(M::kStatus, virtio::kStatusAcknowledge | virtio::kStatusDriver | virtio::kStatusFeaturesOk |
                       virtio::kStatusDriverOk);
  }
  void setup_queue(u32 q, u16 n, u64 desc, u64 avail, u64 used) {
    wr(M::kQueueSel, q);
    wr(M::kQueueNum, n);
    wr(M::kQueueDescLow, static_cast<u32>(desc));
    wr(M::kQueueDescHigh, static_cast<u32>(desc >> 32));
    wr(M::kQueueAvailLow, static_cast<u32>(avail));
    wr(M::kQueueAvailHigh, static_cast<u32>(avail >> 32));
    wr(M::kQueueUsedLow, static_cast<u32>(used));
    wr(M::kQueueUsedHigh, static_cast<u32>(used >> 32));
    wr(M::kQueueReady, 1);
    num = n;
    avail_idx = 0;
  }

  void desc(u16 i, u64 addr, u32 len, u16 flags, u16 next = 0, u64 table = kDesc) {
    const u64 d = table + 16 * u64{i};
    w64(d, addr);
    w32(d + 8, len);
    w16(d + 12, flags);
    w16(d + 14, next);
  }
  // Puts `head` in the available ring and moves avail->idx by `bump` (1 for a well-behaved driver).
  void offer(u16 head, u16 bump = 1) {
    w16(kAvail + 4 + 2 * u64{static_cast<u16>(avail_idx % num)}, head);
    avail_idx = static_cast<u16>(avail_idx + bump);
    w16(kAvail + 2, avail_idx);
  }
  void kick(u32 q = 0) { wr(M::kQueueNotify, q); }
  u16 used_idx() { return r16(kUsed + 2); }
  u32 used_id(u16 i) { return r32(kUsed + 4 + 8 * u64{static_cast<u16>(i % num)}); }
  u32 used_len(u16 i) { return r32(kUsed + 4 + 8 * u64{static_cast<u16>(i % num)} + 4); }

  bool in_error() { return (status() & virtio::kStatusNeedsReset) && mmio->state().broken; }
};

// virtio-blk request helpers: header at kBuf, status at kBuf+0x80, data at kData.
struct Blk : Rig {
  explicit Blk(std::unique_ptr<BlockBackend> disk, VirtioBlk::Options o = {})
      : Rig(std::make_unique<VirtioBlk>(std::move(disk), std::move(o))) {}
  VirtioBlk& blk() { return static_cast<VirtioBlk&>(*dev); }

  struct Done {
    u8 status;
    u32 len;
  };
  // Header, optional data buffer (device-writable for reads), status byte; head descriptor 0.
  Done request(u32 type, u64 sector, u32 data_len, bool device_writes_data) {
    w32(kBuf, type);
    w32(kBuf + 4, 0);
    w64(kBuf + 8, sector);
    w8(kBuf + 0x80, 0x77);
    u16 n = 0;
    desc(n, kBuf, 16, virtio::kDescNext, n + 1);
    ++n;
    if (data_len) {
      desc(n, kData, data_len, virtio::kDescNext | (device_writes_data ? virtio::kDescWrite : 0), n + 1);
      ++n;
    }
    desc(n, kBuf + 0x80, 1, virtio::kDescWrite);
    const u16 before = used_idx();
    offer(0);
    kick();
    REQUIRE(used_idx() == static_cast<u16>(before + 1));
    return Done{r8(kBuf + 0x80), used_len(before)};
  }
};

inline std::unique_ptr<BlockBackend> open_disk(const std::filesystem::path& p, BlockBackend::Options o = {}) {
  auto r = BlockBackend::open(p.string(), o);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  return std::move(r.value());
}

}  // namespace vt
