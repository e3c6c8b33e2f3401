// The virtio descriptions (devices/virtio_{mmio,blk,rng}_vmstate.cpp): a transport with a queue
// mid-use is saved, loaded into a fresh transport (guest RAM copied beside it, as the board's RAM
// section does), and both go on to produce the same bytes; invariant refusals; the tripwire.
#include "devices/virtio_blk_vmstate.h"
#include "devices/virtio_mmio_vmstate.h"
#include "devices/virtio_rng_vmstate.h"
#include "tests/unit/devices/vmstate_checks.h"
#include "tests/unit/virtio/rig.h"

using namespace vt;
using namespace lockstep::test;
using namespace lockstep::devices::virtio;

namespace {

struct Rng : Rig {
  explicit Rng(u64 seed) : Rig(std::make_unique<VirtioRng>(seed)) {}
  VirtioRng& rng() { return static_cast<VirtioRng&>(*dev); }
};

// The guest's rings and buffers travel in RAM, not in the device sections.
void copy_ram(Rig& from, Rig& to) {
  auto m = from.mem(kRam, 0x200000);
  REQUIRE(to.bus.dma_write(kRam, m.data(), m.size()));
}

}  // namespace

TEST_CASE("virtio-mmio + virtio-rng: round trip with the queue mid-use, then both continue identically") {
  Rng src(42);
  src.init();
  src.desc(0, kData, 16, kDescWrite);
  src.offer(0);
  src.kick();
  REQUIRE(src.used_idx() == 1);
  src.desc(1, kData + 64, 32, kDescWrite);
  src.offer(1);  // available, not yet notified: the device has not taken it
  Rng dst(7);    // another seed: the stream is the source's after loading
  copy_ram(src, dst);
  round_trip(devices::virtio_mmio_vmstate(), src.mmio->state(), *dst.mmio);
  round_trip(devices::virtio_rng_vmstate(), src.rng().state(), dst.rng());
  CHECK(src.irq.level);           // the source has a used-buffer interrupt pending
  CHECK(dst.irq.level == false);  // restore_state drives no line (the board does not re-drive either)
  src.kick();
  dst.kick();
  CHECK(src.used_idx() == 2);
  CHECK(dst.used_idx() == 2);
  CHECK(src.mem(kData + 64, 32) == dst.mem(kData + 64, 32));
  CHECK(same_bytes(src.mmio->state(), dst.mmio->state()));
  CHECK(same_bytes(src.rng().state(), dst.rng().state()));
}

TEST_CASE("virtio-mmio: refusals name the field and leave the transport untouched") {
  Rng src(1);
  src.init();
  Rng dst(1);
  const auto before = dst.mmio->state();
  auto bad = src.mmio->state();
  bad.vq[0].last_avail_idx = 20;  // 20 - 0 > 8 entries
  Status st = board_load(devices::virtio_mmio_vmstate(), *dst.mmio, saved(devices::virtio_mmio_vmstate(), bad), 1);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("VQ 0 size 0x8 < last_avail_idx 0x14 - used_idx 0x0") != std::string::npos);
  CHECK(same_bytes(dst.mmio->state(), before));
  bad = src.mmio->state();
  bad.vq[1].num = 2048;
  st = board_load(devices::virtio_mmio_vmstate(), *dst.mmio, saved(devices::virtio_mmio_vmstate(), bad), 1);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("vdev.vq[1].vring.num") != std::string::npos);
  bad = src.mmio->state();
  bad.driver_features_sel = 2;  // would index past DriverFeatures
  st = board_load(devices::virtio_mmio_vmstate(), *dst.mmio, saved(devices::virtio_mmio_vmstate(), bad), 1);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("guest_features_sel") != std::string::npos);
  CHECK(same_bytes(dst.mmio->state(), before));
}

TEST_CASE("virtio-mmio: vmdesc lists the queues once, as a struct array") {
  Rng r(1);
  r.init();
  auto e = snapshot::vm::vmdesc_entry(devices::virtio_mmio_vmstate(), r.mmio->state(), "virtio-mmio@10001000", 0);
  REQUIRE(e.ok());
  const auto& last = e.value()["fields"].back();
  CHECK(last["name"] == "vdev.vq");
  CHECK(last["array_len"] == kMaxQueues);
  CHECK(last["type"] == "struct");
  CHECK(last["struct"]["vmsd_name"] == "VirtQueue");
  CHECK(last["size"] == 3 * 8 + 4 + 4 * 2 + 2);
}

TEST_CASE("virtio-mmio, virtio-blk, virtio-rng: every member reaches the wire") {
  Rng r(9);
  r.init();
  using S = VirtioMmio::State;
  std::vector<std::pair<std::size_t, std::size_t>> skip = {{offsetof(S, reserved), 7}};
  for (unsigned q = 0; q < kMaxQueues; ++q)
    skip.push_back({offsetof(S, vq) + q * sizeof(VirtqState) + offsetof(VirtqState, reserved), 2});
  every_byte_reaches_the_wire(devices::virtio_mmio_vmstate(), r.mmio->state(), skip);
  every_byte_reaches_the_wire(devices::virtio_rng_vmstate(), r.rng().state(), {});
  VirtioBlk::State b;
  every_byte_reaches_the_wire(devices::virtio_blk_vmstate(), b, {});
}

TEST_CASE("virtio-blk: wce round trip through the configuration space; refusal") {
  TempImage img(64 * 1024);
  Blk src(open_disk(img.path));
  src.init(bit(kFVersion1) | bit(VirtioBlk::kFConfigWce) | bit(VirtioBlk::kFFlush));
  REQUIRE(src.mmio->write(M::kConfig + 32, 1, 0));  // writeback off
  REQUIRE(src.blk().state().wce == 0);
  Blk dst(open_disk(img.path));
  round_trip(devices::virtio_blk_vmstate(), src.blk().state(), dst.blk());
  CHECK(dst.blk().state().wce == 0);
  const std::vector<u8> bad{2};
  Status st = board_load(devices::virtio_blk_vmstate(), dst.blk(), bad, 1);
  REQUIRE_FALSE(st.ok());
  CHECK(dst.blk().state().wce == 0);
}
