// virtio-net (devices/virtio_net.cpp) driven through the virtio-mmio transport: features and
// configuration as QEMU 7.2's virtio-net-device shows them with a slirp peer, transmit, receive
// (one buffer, mergeable buffers), the receive filter, the control queue, hostile rings, reset,
// the vmstate description and determinism.
#include "devices/virtio_mmio_vmstate.h"
#include "devices/virtio_net.h"
#include "devices/virtio_net_vmstate.h"
#include "tests/unit/devices/vmstate_checks.h"
#include "tests/unit/virtio/rig.h"

using namespace vt;
using namespace lockstep::test;
using namespace lockstep::devices::virtio;

namespace {

using N = VirtioNet;
using Mac = N::Mac;

constexpr Mac kOwnMac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
constexpr Mac kOtherMac = {0x52, 0x54, 0x00, 0x99, 0x99, 0x99};
constexpr Mac kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr Mac kMulticast = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
constexpr u64 kQueues = kRam + 0x20000;  // queue q's rings at kQueues + q * 0x4000
constexpr u64 kTxBuf = kRam + 0x40000;
constexpr u64 kRxBuf = kRam + 0x80000;
constexpr u64 kCtrlBuf = kRam + 0xc0000;
constexpr u64 kFeatures = bit(kFVersion1) | bit(N::kFMrgRxbuf) | bit(N::kFCtrlVq) | bit(N::kFCtrlRx) |
                          bit(N::kFCtrlVlan) | bit(N::kFCtrlRxExtra) | bit(N::kFCtrlMacAddr) | bit(N::kFMac) |
                          bit(N::kFStatus);

std::vector<u8> eth(const Mac& dst, std::size_t len, u8 seed = 1) {
  std::vector<u8> f(len);
  for (std::size_t i = 0; i < len; ++i) f[i] = static_cast<u8>(seed + i * 7);
  std::copy(dst.begin(), dst.end(), f.begin());
  if (len >= 14) {
    f[12] = 0x08;  // IPv4
    f[13] = 0x00;
  }
  return f;
}

std::vector<u8> vlan_tagged(const Mac& dst, u16 vid) {
  auto f = eth(dst, 64);
  f[12] = 0x81;
  f[13] = 0x00;
  f[14] = static_cast<u8>(vid >> 8);
  f[15] = static_cast<u8>(vid);
  return f;
}

struct Net : Rig {
  std::array<u16, 3> avail{};
  std::array<u16, 3> qnum{};
  std::vector<std::vector<u8>> sent;
  unsigned rx_ready_calls = 0;

  explicit Net(N::Options o = {}) : Rig(std::make_unique<VirtioNet>(o)) {
    net().set_transmit([this](std::span<const u8> f) { sent.emplace_back(f.begin(), f.end()); });
    net().set_rx_ready([this] { ++rx_ready_calls; });
  }
  VirtioNet& net() { return static_cast<VirtioNet&>(*dev); }
  VirtioTransport& t() { return mmio->transport(); }

  static u64 desc_of(unsigned q) { return kQueues + q * 0x4000; }
  static u64 avail_of(unsigned q) { return desc_of(q) + 0x1000; }
  static u64 used_of(unsigned q) { return desc_of(q) + 0x2000; }

  void init_net(u64 features = kFeatures, u16 rxn = 256, u16 txn = 256, u16 ctrln = 64) {
    fill(kQueues, 0, 3 * 0x4000);
    wr(M::kStatus, 0);
    wr(M::kStatus, kStatusAcknowledge);
    wr(M::kStatus, kStatusAcknowledge | kStatusDriver);
    wr(M::kDriverFeaturesSel, 1);
    wr(M::kDriverFeatures, static_cast<u32>(features >> 32));
    wr(M::kDriverFeaturesSel, 0);
    wr(M::kDriverFeatures, static_cast<u32>(features));
    wr(M::kStatus, kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);
    const u16 sizes[3] = {rxn, txn, ctrln};
    for (unsigned q = 0; q < 3; ++q) {
      setup_queue(q, sizes[q], desc_of(q), avail_of(q), used_of(q));
      qnum[q] = sizes[q];
      avail[q] = 0;
    }
    wr(M::kStatus, kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
  }
  void qdesc(unsigned q, u16 i, u64 addr, u32 len, u16 flags, u16 next = 0) {
    desc(i, addr, len, flags, next, desc_of(q));
  }
  void qoffer(unsigned q, u16 head) {
    w16(avail_of(q) + 4 + 2 * u64{static_cast<u16>(avail[q] % qnum[q])}, head);
    avail[q] = static_cast<u16>(avail[q] + 1);
    w16(avail_of(q) + 2, avail[q]);
  }
  u16 qused(unsigned q) { return r16(used_of(q) + 2); }
  u32 qused_id(unsigned q, u16 i) { return r32(used_of(q) + 4 + 8 * u64{static_cast<u16>(i % qnum[q])}); }
  u32 qused_len(unsigned q, u16 i) { return r32(used_of(q) + 4 + 8 * u64{static_cast<u16>(i % qnum[q])} + 4); }

  // Transmits header + frame from kTxBuf as `pieces` descriptors of (about) equal size.
  void tx(const std::vector<u8>& frame, u32 hdr_len = 12, unsigned pieces = 1, u16 head = 0) {
    std::vector<u8> buf(hdr_len, 0);
    buf.insert(buf.end(), frame.begin(), frame.end());
    REQUIRE(bus.dma_write(kTxBuf, buf.data(), buf.size()));
    const u32 total = static_cast<u32>(buf.size());
    const u32 step = (total + pieces - 1) / pieces;
    u32 done = 0;
    for (unsigned p = 0; p < pieces; ++p) {
      const u32 n = std::min(step, total - done);
      const bool last = p + 1 == pieces;
      qdesc(1, static_cast<u16>(head + p), kTxBuf + done, n, last ? 0 : kDescNext, static_cast<u16>(head + p + 1));
      done += n;
    }
    qoffer(1, head);
    kick(1);
  }
  // One device-writable receive buffer per call, at kRxBuf + slot * 0x1000, pre-filled with 0xee.
  void rx_buffer(u16 slot, u32 len) {
    fill(kRxBuf + slot * 0x1000, 0xee, len);
    qdesc(0, slot, kRxBuf + slot * 0x1000, len, kDescWrite);
    qoffer(0, slot);
  }
  std::vector<u8> rx_mem(u16 slot, u32 len) { return mem(kRxBuf + slot * 0x1000, len); }
  bool deliver(const std::vector<u8>& f) { return net().receive(t(), f); }

  // A control command; returns the ack byte.
  u8 ctrl(u8 cls, u8 cmd, const std::vector<u8>& data) {
    w8(kCtrlBuf, cls);
    w8(kCtrlBuf + 1, cmd);
    if (!data.empty()) REQUIRE(bus.dma_write(kCtrlBuf + 2, data.data(), data.size()));
    w8(kCtrlBuf + 0x800, 0x77);
    qdesc(2, 0, kCtrlBuf, static_cast<u32>(2 + data.size()), kDescNext, 1);
    qdesc(2, 1, kCtrlBuf + 0x800, 1, kDescWrite);
    const u16 before = qused(2);
    qoffer(2, 0);
    kick(2);
    REQUIRE(qused(2) == static_cast<u16>(before + 1));
    CHECK(qused_len(2, before) == 1);
    return r8(kCtrlBuf + 0x800);
  }
  u8 rx_mode(u8 cmd, u8 on) { return ctrl(N::kCtrlRx, cmd, {on}); }
  u8 mac_table(const std::vector<Mac>& uni, const std::vector<Mac>& multi) {
    std::vector<u8> d;
    auto list = [&](const std::vector<Mac>& l) {
      const u32 n = static_cast<u32>(l.size());
      for (unsigned b = 0; b < 4; ++b) d.push_back(static_cast<u8>(n >> (8 * b)));
      for (const Mac& m : l) d.insert(d.end(), m.begin(), m.end());
    };
    list(uni);
    list(multi);
    return ctrl(N::kCtrlMac, N::kCtrlMacTableSet, d);
  }
  u8 vlan(u8 cmd, u16 vid) { return ctrl(N::kCtrlVlan, cmd, {static_cast<u8>(vid), static_cast<u8>(vid >> 8)}); }

  // Whether a frame reaches the guest: offers one big buffer and looks at the used ring.
  bool passes(const std::vector<u8>& f) {
    const u16 before = qused(0);
    rx_buffer(0, 2048);
    REQUIRE(deliver(f));
    if (qused(0) == before) {
      // Filtered: the buffer is still available; take it back so the next probe starts clean.
      avail[0] = static_cast<u16>(avail[0] - 1);
      w16(avail_of(0) + 2, avail[0]);
      return false;
    }
    return true;
  }
};

}  // namespace

TEST_CASE("virtio-net: device ID, features, queues and configuration as QEMU 7.2 with a slirp peer") {
  Net r;
  CHECK(r.rd(M::kDeviceId) == 1);
  r.wr(M::kDeviceFeaturesSel, 0);
  // CTRL_GUEST_OFFLOADS(2) MAC(5) MRG_RXBUF(15) STATUS(16) CTRL_VQ(17) CTRL_RX(18) CTRL_VLAN(19)
  // CTRL_RX_EXTRA(20) GUEST_ANNOUNCE(21) CTRL_MAC_ADDR(23) INDIRECT_DESC(28) EVENT_IDX(29); no
  // CSUM, GUEST_CSUM, TSO, UFO, ECN (no vnet header), no MQ, no GSO (legacy only).
  CHECK(r.rd(M::kDeviceFeatures) == 0x30bf8024u);
  r.wr(M::kDeviceFeaturesSel, 1);
  CHECK(r.rd(M::kDeviceFeatures) == 0x101u);  // VERSION_1, RING_RESET
  CHECK(r.mmio->state().vq[0].num == 256);
  CHECK(r.mmio->state().vq[1].num == 256);
  CHECK(r.mmio->state().vq[2].num == 64);
  CHECK(r.mmio->state().vq[3].num == 0);
  // mac, then status = LINK_UP; nothing beyond (QEMU's config_size is 8 with these features).
  CHECK(r.rd(M::kConfig) == 0x12005452u);
  CHECK(r.rd(M::kConfig + 4) == 0x00015634u);
  CHECK(r.rd(M::kConfig + 8) == 0xffffffffu);
  CHECK(N::default_mac(0) == kOwnMac);
  CHECK(N::default_mac(1) == Mac{0x52, 0x54, 0x00, 0x12, 0x34, 0x57});
  Net other(N::Options{N::default_mac(3)});
  CHECK(other.rd(M::kConfig + 4) == 0x00015934u);
}

TEST_CASE("virtio-net: transmit through one descriptor, several, and an indirect table") {
  Net r;
  r.init_net();
  const auto a = eth(kOtherMac, 60);
  r.tx(a);
  REQUIRE(r.sent.size() == 1);
  CHECK(r.sent[0] == a);
  CHECK(r.qused(1) == 1);
  CHECK(r.qused_len(1, 0) == 0);
  CHECK((r.rd(M::kInterruptStatus) & kIsrQueue));
  const auto b = eth(kBroadcast, 1514, 9);
  r.tx(b, 12, 5, 10);
  REQUIRE(r.sent.size() == 2);
  CHECK(r.sent[1] == b);
  CHECK(r.qused_id(1, 1) == 10);
  // An indirect table with the header alone in the first descriptor.
  const u64 table = kRam + 0x70000;
  std::vector<u8> buf(12, 0);
  const auto c = eth(kMulticast, 100, 3);
  buf.insert(buf.end(), c.begin(), c.end());
  REQUIRE(r.bus.dma_write(kTxBuf, buf.data(), buf.size()));
  r.desc(0, kTxBuf, 12, kDescNext, 1, table);
  r.desc(1, kTxBuf + 12, 100, 0, 0, table);
  r.qdesc(1, 20, table, 32, kDescIndirect);
  r.qoffer(1, 20);
  r.kick(1);
  REQUIRE(r.sent.size() == 3);
  CHECK(r.sent[2] == c);
  // Several chains in one notification go out in ring order.
  r.sent.clear();
  const auto d = eth(kOtherMac, 70, 4), e = eth(kOtherMac, 80, 5);
  std::vector<u8> bd(12, 0), be(12, 0);
  bd.insert(bd.end(), d.begin(), d.end());
  be.insert(be.end(), e.begin(), e.end());
  REQUIRE(r.bus.dma_write(kTxBuf + 0x1000, bd.data(), bd.size()));
  REQUIRE(r.bus.dma_write(kTxBuf + 0x2000, be.data(), be.size()));
  r.qdesc(1, 30, kTxBuf + 0x1000, static_cast<u32>(bd.size()), 0);
  r.qdesc(1, 31, kTxBuf + 0x2000, static_cast<u32>(be.size()), 0);
  r.qoffer(1, 30);
  r.qoffer(1, 31);
  r.kick(1);
  REQUIRE(r.sent.size() == 2);
  CHECK(r.sent[0] == d);
  CHECK(r.sent[1] == e);
  CHECK(r.qused(1) == 5);
}

TEST_CASE("virtio-net: the header is 10 bytes without VERSION_1 and MRG_RXBUF, 12 with either") {
  for (u64 features : {u64{0}, bit(N::kFMrgRxbuf), bit(kFVersion1)}) {
    Net r;
    r.init_net(features | bit(N::kFMac));
    const u32 hdr = features ? 12 : 10;
    const auto f = eth(kOtherMac, 64);
    r.tx(f, hdr);
    REQUIRE(r.sent.size() == 1);
    CHECK(r.sent[0] == f);
    r.rx_buffer(0, 2048);
    REQUIRE(r.deliver(f));
    CHECK(r.qused_len(0, 0) == hdr + 64);
    const auto m = r.rx_mem(0, hdr + 64);
    CHECK(std::vector<u8>(m.begin() + hdr, m.end()) == f);
  }
}

TEST_CASE("virtio-net: transmit without a sink, an empty frame and a frame over NET_BUFSIZE are dropped") {
  Net r;
  r.net().set_transmit({});
  r.init_net();
  r.tx(eth(kOtherMac, 60));
  CHECK(r.qused(1) == 1);  // returned all the same
  r.net().set_transmit([&](std::span<const u8> f) { r.sent.emplace_back(f.begin(), f.end()); });
  r.tx({});  // the header alone
  CHECK(r.sent.empty());
  CHECK(r.qused(1) == 2);
  // 12 + NET_BUFSIZE + 1 bytes in 3 descriptors: dropped, no error.
  const u32 big = static_cast<u32>(12 + N::kNetBufSize + 1);
  r.qdesc(1, 0, kRam + 0x200000, big / 3, kDescNext, 1);
  r.qdesc(1, 1, kRam + 0x300000, big / 3, kDescNext, 2);
  r.qdesc(1, 2, kRam + 0x400000, big - 2 * (big / 3), 0);
  r.qoffer(1, 0);
  r.kick(1);
  CHECK(r.sent.empty());
  CHECK(r.qused(1) == 3);
  CHECK_FALSE(r.mmio->state().broken);
  // Exactly NET_BUFSIZE goes out.
  r.qdesc(1, 2, kRam + 0x400000, big - 2 * (big / 3) - 1, 0);
  r.qoffer(1, 0);
  r.kick(1);
  REQUIRE(r.sent.size() == 1);
  CHECK(r.sent[0].size() == N::kNetBufSize);
}

TEST_CASE("virtio-net: receive into one buffer: header flags 0, GSO_NONE; num_buffers only with MRG_RXBUF") {
  Net r;
  r.init_net(kFeatures & ~bit(N::kFMrgRxbuf));
  r.rx_buffer(3, 1526);
  const auto f = eth(kOwnMac, 42);  // shorter than 60: delivered as it is, unpadded
  CHECK(r.net().can_receive(r.t(), f.size()));
  REQUIRE(r.deliver(f));
  CHECK(r.qused(0) == 1);
  CHECK(r.qused_id(0, 0) == 3);
  CHECK(r.qused_len(0, 0) == 12 + 42);
  const auto m = r.rx_mem(3, 12 + 42 + 4);
  CHECK(std::vector<u8>(m.begin(), m.begin() + 10) == std::vector<u8>(10, 0));
  CHECK(m[10] == 0xee);  // num_buffers untouched without MRG_RXBUF, as QEMU leaves it
  CHECK(m[11] == 0xee);
  CHECK(std::vector<u8>(m.begin() + 12, m.begin() + 54) == f);
  CHECK(m[54] == 0xee);
  CHECK((r.rd(M::kInterruptStatus) & kIsrQueue));
}

TEST_CASE("virtio-net: receive across mergeable buffers sets num_buffers") {
  Net r;
  r.init_net();
  for (u16 i = 0; i < 4; ++i) r.rx_buffer(i, 64);
  const auto f = eth(kOwnMac, 150);  // 12 + 150 = 162 bytes: 64 + 64 + 34
  REQUIRE(r.deliver(f));
  REQUIRE(r.qused(0) == 3);
  CHECK(r.qused_len(0, 0) == 64);
  CHECK(r.qused_len(0, 1) == 64);
  CHECK(r.qused_len(0, 2) == 34);
  const auto m0 = r.rx_mem(0, 64);
  CHECK(m0[10] == 3);  // num_buffers
  CHECK(m0[11] == 0);
  std::vector<u8> got(m0.begin() + 12, m0.end());
  const auto m1 = r.rx_mem(1, 64), m2 = r.rx_mem(2, 34);
  got.insert(got.end(), m1.begin(), m1.end());
  got.insert(got.end(), m2.begin(), m2.end());
  CHECK(got == f);
  CHECK(r.rx_mem(2, 35)[34] == 0xee);
  // One buffer left of 64 bytes: room for 52 bytes of frame, not for 53.
  CHECK(r.net().can_receive(r.t(), 52));
  CHECK_FALSE(r.net().can_receive(r.t(), 53));
  CHECK_FALSE(r.deliver(eth(kOwnMac, 53)));
  CHECK(r.qused(0) == 3);
  REQUIRE(r.deliver(eth(kOwnMac, 52)));
  CHECK(r.qused(0) == 4);
  CHECK(r.rx_mem(3, 12)[10] == 1);
}

TEST_CASE("virtio-net: can_receive is false before DRIVER_OK, without buffers; a refill notifies the board") {
  Net r;
  CHECK_FALSE(r.net().can_receive(r.t(), 60));  // no driver
  r.init_net();
  CHECK_FALSE(r.net().can_receive(r.t(), 60));  // no buffers
  CHECK_FALSE(r.deliver(eth(kOwnMac, 60)));     // kept by the caller
  CHECK(r.qused(0) == 0);
  auto no_notify = [&] { return (r.r16(Net::used_of(0)) & kUsedNoNotify) != 0; };
  r.rx_buffer(0, 128);
  CHECK(r.net().can_receive(r.t(), 60));
  CHECK(no_notify());  // enough buffers: notifications off, as QEMU's virtio_net_has_buffers
  REQUIRE(r.deliver(eth(kOwnMac, 60)));
  CHECK(r.qused(0) == 1);
  CHECK_FALSE(r.net().can_receive(r.t(), 60));
  CHECK_FALSE(no_notify());  // short: notifications on, so that the guest's refill kicks the queue...
  const unsigned calls = r.rx_ready_calls;
  r.rx_buffer(1, 128);
  r.kick(0);
  CHECK(r.rx_ready_calls == calls + 1);  // ...and the kick tells the board to offer frames again
  REQUIRE(r.deliver(eth(kOwnMac, 60)));
  CHECK(r.qused(0) == 2);
  // DRIVER_OK (again) tells the board too, as QEMU's set_status flushes its queue.
  r.wr(M::kStatus, r.status());
  CHECK(r.rx_ready_calls == calls + 2);
}

TEST_CASE("virtio-net: without MRG_RXBUF a buffer too small drops the frame and stays available") {
  Net r;
  r.init_net(kFeatures & ~bit(N::kFMrgRxbuf));
  r.rx_buffer(0, 40);
  CHECK(r.net().can_receive(r.t(), 100));  // any chain will do without merging (QEMU's rule)
  CHECK(r.deliver(eth(kOwnMac, 100)));     // consumed: dropped
  CHECK(r.qused(0) == 0);
  CHECK(r.mmio->state().vq[0].last_avail_idx == 0);
  CHECK(r.mmio->state().vq[0].inuse == 0);
  REQUIRE(r.deliver(eth(kOwnMac, 28)));  // fits: the same buffer takes it
  CHECK(r.qused(0) == 1);
  CHECK(r.qused_len(0, 0) == 40);
}

TEST_CASE("virtio-net: receive filter") {
  Net r;
  r.init_net();
  // Promiscuous after reset (QEMU's compatibility default): everything passes.
  CHECK(r.passes(eth(kOtherMac, 60)));
  CHECK(r.rx_mode(N::kCtrlRxPromisc, 0) == N::kOk);
  CHECK_FALSE(r.passes(eth(kOtherMac, 60)));  // unicast to another MAC: dropped, consumed
  CHECK(r.passes(eth(kOwnMac, 60)));
  CHECK(r.passes(eth(kBroadcast, 60)));
  CHECK_FALSE(r.passes(eth(kMulticast, 60)));
  CHECK(r.rx_mode(N::kCtrlRxNobcast, 1) == N::kOk);
  CHECK_FALSE(r.passes(eth(kBroadcast, 60)));
  CHECK(r.rx_mode(N::kCtrlRxNobcast, 0) == N::kOk);
  // MAC table: one unicast and one multicast address.
  CHECK(r.mac_table({kOtherMac}, {kMulticast}) == N::kOk);
  CHECK(r.net().state().mac_table_in_use == 2);
  CHECK(r.net().state().mac_table_first_multi == 1);
  CHECK(r.passes(eth(kOtherMac, 60)));
  CHECK(r.passes(eth(kMulticast, 60)));
  CHECK_FALSE(r.passes(eth(Mac{0x01, 0, 0x5e, 0, 0, 1}, 60)));
  CHECK_FALSE(r.passes(eth(Mac{0x52, 0x54, 0, 0, 0, 1}, 60)));
  // A unicast address in the multicast list matches nothing (QEMU looks in the lists by kind).
  CHECK(r.mac_table({}, {kOtherMac}) == N::kOk);
  CHECK_FALSE(r.passes(eth(kOtherMac, 60)));
  CHECK(r.rx_mode(N::kCtrlRxAllmulti, 1) == N::kOk);
  CHECK(r.passes(eth(Mac{0x01, 0, 0x5e, 0, 0, 1}, 60)));
  CHECK(r.rx_mode(N::kCtrlRxNomulti, 1) == N::kOk);  // nomulti wins over allmulti
  CHECK_FALSE(r.passes(eth(Mac{0x01, 0, 0x5e, 0, 0, 1}, 60)));
  CHECK(r.rx_mode(N::kCtrlRxAlluni, 1) == N::kOk);
  CHECK(r.passes(eth(Mac{0x52, 0x54, 0, 0, 0, 1}, 60)));
  CHECK(r.rx_mode(N::kCtrlRxNouni, 1) == N::kOk);  // nouni wins over alluni, even for our MAC
  CHECK_FALSE(r.passes(eth(kOwnMac, 60)));
  CHECK(r.rx_mode(N::kCtrlRxNouni, 0) == N::kOk);
  CHECK(r.rx_mode(N::kCtrlRxAlluni, 0) == N::kOk);
  // Overflowing the unicast list accepts every unicast address.
  std::vector<Mac> many(65, kOtherMac);
  CHECK(r.mac_table(many, {}) == N::kOk);
  CHECK(r.net().state().mac_table_uni_overflow == 1);
  CHECK(r.net().state().mac_table_in_use == 0);
  CHECK(r.passes(eth(Mac{0x52, 0x54, 0, 0, 0, 2}, 60)));
  // VLANs: CTRL_VLAN was negotiated, so the table starts empty and tagged frames are dropped.
  CHECK(r.mac_table({}, {}) == N::kOk);
  CHECK_FALSE(r.passes(vlan_tagged(kOwnMac, 5)));
  CHECK(r.vlan(N::kCtrlVlanAdd, 5) == N::kOk);
  CHECK(r.passes(vlan_tagged(kOwnMac, 5)));
  CHECK_FALSE(r.passes(vlan_tagged(kOwnMac, 6)));
  CHECK(r.vlan(N::kCtrlVlanDel, 5) == N::kOk);
  CHECK_FALSE(r.passes(vlan_tagged(kOwnMac, 5)));
  // Promiscuous mode skips the VLAN table too.
  CHECK(r.rx_mode(N::kCtrlRxPromisc, 1) == N::kOk);
  CHECK(r.passes(vlan_tagged(kOtherMac, 6)));
}

TEST_CASE("virtio-net: without CTRL_VLAN every VLAN passes (QEMU fills the table at negotiation)") {
  Net r;
  r.init_net(kFeatures & ~bit(N::kFCtrlVlan));
  CHECK(r.rx_mode(N::kCtrlRxPromisc, 0) == N::kOk);
  CHECK(r.passes(vlan_tagged(kOwnMac, 4095)));
  CHECK(r.net().state().vlans[0] == 0xff);
}

TEST_CASE("virtio-net: control commands and their errors") {
  Net r;
  r.init_net();
  // MAC_ADDR_SET: exactly 6 bytes; the configuration space shows the new address.
  CHECK(r.ctrl(N::kCtrlMac, N::kCtrlMacAddrSet, {2, 0, 0, 0, 0, 7}) == N::kOk);
  CHECK(r.net().state().mac == Mac{2, 0, 0, 0, 0, 7});
  CHECK(r.rd(M::kConfig) == 0x00000002u);
  CHECK(r.ctrl(N::kCtrlMac, N::kCtrlMacAddrSet, {2, 0, 0, 0, 0}) == N::kErr);
  CHECK(r.ctrl(N::kCtrlMac, N::kCtrlMacAddrSet, {2, 0, 0, 0, 0, 8, 9}) == N::kErr);
  CHECK(r.net().state().mac == Mac{2, 0, 0, 0, 0, 7});
  // TABLE_SET: lengths must match the buffer exactly; a bad command leaves the table as it was.
  CHECK(r.mac_table({kOtherMac}, {}) == N::kOk);
  CHECK(r.ctrl(N::kCtrlMac, N::kCtrlMacTableSet, {1, 0, 0, 0}) == N::kErr);  // entry missing
  CHECK(r.ctrl(N::kCtrlMac, N::kCtrlMacTableSet, {0, 0, 0, 0, 0, 0, 0, 0, 9}) == N::kErr);  // extra byte
  CHECK(r.ctrl(N::kCtrlMac, N::kCtrlMacTableSet, {0, 0, 0}) == N::kErr);
  CHECK(r.net().state().mac_table_in_use == 1);
  CHECK(r.ctrl(N::kCtrlMac, 2, {}) == N::kErr);
  // 64 unicast + 1 multicast: the multicast list overflows.
  std::vector<Mac> full(64, kOtherMac);
  CHECK(r.mac_table(full, {kMulticast}) == N::kOk);
  CHECK(r.net().state().mac_table_in_use == 64);
  CHECK(r.net().state().mac_table_multi_overflow == 1);
  CHECK(r.net().state().mac_table_uni_overflow == 0);
  // RX: one byte; unknown commands and missing bytes are errors.
  CHECK(r.rx_mode(N::kCtrlRxAllmulti, 7) == N::kOk);
  CHECK(r.net().state().allmulti == 7);  // the byte as sent, as QEMU stores it
  CHECK(r.ctrl(N::kCtrlRx, 6, {1}) == N::kErr);
  CHECK(r.ctrl(N::kCtrlRx, N::kCtrlRxPromisc, {}) == N::kErr);
  // VLAN: vid below 4096, ADD or DEL.
  CHECK(r.vlan(N::kCtrlVlanAdd, 4095) == N::kOk);
  CHECK(r.net().state().vlans[511] == 0x80);
  CHECK(r.vlan(N::kCtrlVlanAdd, 4096) == N::kErr);
  CHECK(r.vlan(2, 1) == N::kErr);
  CHECK(r.ctrl(N::kCtrlVlan, N::kCtrlVlanAdd, {1}) == N::kErr);
  // ANNOUNCE_ACK without a pending announce, MQ, GUEST_OFFLOADS, unknown classes: ERR.
  CHECK(r.ctrl(N::kCtrlAnnounce, N::kCtrlAnnounceAck, {}) == N::kErr);
  r.net().mutable_state().status |= N::kSAnnounce;
  CHECK(r.ctrl(N::kCtrlAnnounce, N::kCtrlAnnounceAck, {}) == N::kOk);
  CHECK(r.net().state().status == N::kSLinkUp);
  CHECK(r.ctrl(N::kCtrlMq, 0, {1, 0}) == N::kErr);
  CHECK(r.ctrl(N::kCtrlGuestOffloads, 0, {0, 0, 0, 0, 0, 0, 0, 0}) == N::kErr);
  CHECK(r.ctrl(200, 0, {}) == N::kErr);
  CHECK_FALSE(r.mmio->state().broken);
  CHECK(r.mmio->state().vq[2].inuse == 0);
}

TEST_CASE("virtio-net: hostile chains end in QEMU's error state, never a crash or a hang") {
  SUBCASE("control request without a status byte") {
    Net r;
    r.init_net();
    r.w16(kCtrlBuf, 0);
    r.qdesc(2, 0, kCtrlBuf, 2, 0);
    r.qoffer(2, 0);
    r.kick(2);
    CHECK(r.in_error());
    CHECK(r.mmio->last_error() == "virtio-net ctrl missing headers");
    CHECK(r.qused(2) == 0);
    CHECK(r.mmio->state().vq[2].inuse == 0);
  }
  SUBCASE("transmit chain with only device-writable buffers") {
    Net r;
    r.init_net();
    r.qdesc(1, 0, kTxBuf, 100, kDescWrite);
    r.qoffer(1, 0);
    r.kick(1);
    CHECK(r.in_error());
    CHECK(r.mmio->last_error() == "virtio-net header not in first element");
    CHECK(r.sent.empty());
    CHECK(r.mmio->state().vq[1].inuse == 0);
  }
  SUBCASE("transmit chain that loops") {
    Net r;
    r.init_net();
    r.qdesc(1, 0, kTxBuf, 100, kDescNext, 1);
    r.qdesc(1, 1, kTxBuf, 100, kDescNext, 0);
    r.qoffer(1, 0);
    r.kick(1);
    CHECK(r.in_error());
    CHECK(r.mmio->last_error() == "Looped descriptor");
    CHECK(r.sent.empty());
  }
  SUBCASE("receive chain without device-writable buffers") {
    Net r;
    r.init_net(kFeatures & ~bit(N::kFMrgRxbuf));
    r.qdesc(0, 0, kRxBuf, 2048, 0);
    r.qoffer(0, 0);
    CHECK(r.deliver(eth(kOwnMac, 60)));
    CHECK(r.in_error());
    CHECK(r.mmio->last_error() == "virtio-net receive queue contains no in buffers");
    CHECK(r.mmio->state().vq[0].inuse == 0);
    CHECK_FALSE(r.net().can_receive(r.t(), 60));  // broken: the queue looks empty, as in QEMU
  }
  SUBCASE("mergeable: a looping receive chain is found while counting the available bytes") {
    Net r;
    r.init_net();
    r.qdesc(0, 0, kRxBuf, 8, kDescWrite | kDescNext, 1);
    r.qdesc(0, 1, kRxBuf, 8, kDescWrite | kDescNext, 0);
    r.qoffer(0, 0);
    // 256 descriptors of 8 bytes are counted before the loop shows: 3000 bytes are not there.
    CHECK_FALSE(r.deliver(eth(kOwnMac, 3000)));
    CHECK(r.in_error());
    CHECK(r.mmio->last_error() == "Looped descriptor");
  }
  SUBCASE("mergeable: a looping receive chain that seems to offer enough is caught by pop") {
    Net r;
    r.init_net();
    r.qdesc(0, 0, kRxBuf, 8, kDescWrite | kDescNext, 1);
    r.qdesc(0, 1, kRxBuf, 8, kDescWrite | kDescNext, 0);
    r.qoffer(0, 0);
    CHECK(r.deliver(eth(kOwnMac, 1500)));  // QEMU stops counting at 1512 bytes; pop then refuses
    CHECK(r.in_error());
    CHECK(r.mmio->last_error() == "Looped descriptor");
    CHECK(r.qused(0) == 0);
    CHECK(r.mmio->state().vq[0].inuse == 0);
  }
  SUBCASE("mergeable: a huge indirect table of device-readable buffers stays bounded") {
    Net r;
    r.init_net(kFeatures | bit(kFIndirectDesc));
    const u64 table = kRam + 0x400000;  // 64 Ki descriptors, each 1 readable byte, chained
    for (u32 i = 0; i < 65536; ++i) r.desc(static_cast<u16>(i), kRxBuf, 1, kDescNext, static_cast<u16>(i + 1), table);
    r.desc(65535, kRxBuf, 1, 0, 0, table);
    for (u16 h = 0; h < 4; ++h) {
      r.qdesc(0, h, table, 65536 * 16, kDescIndirect);
      r.qoffer(0, h);
    }
    CHECK_FALSE(r.deliver(eth(kOwnMac, 60)));
    CHECK(r.in_error());
    CHECK(r.mmio->last_error() == "virtio: too many write descriptors in indirect table");
  }
  SUBCASE("mergeable: a frame larger than the buffers the ring can take") {
    Net r;
    r.init_net(kFeatures, 4);
    for (u16 i = 0; i < 4; ++i) r.rx_buffer(i, 16);
    CHECK_FALSE(r.deliver(eth(kOwnMac, 1500)));  // 64 bytes available: not delivered, no error
    CHECK_FALSE(r.mmio->state().broken);
    CHECK(r.qused(0) == 0);
  }
  SUBCASE("receive buffer in ROM") {
    Net r;
    r.init_net();
    r.qdesc(0, 0, kRom, 256, kDescWrite);
    r.qoffer(0, 0);
    CHECK(r.deliver(eth(kOwnMac, 60)));
    CHECK(r.in_error());
    CHECK(r.mmio->last_error() == "virtio: bogus descriptor or out of resources");
  }
}

TEST_CASE("virtio-net: a reset restores QEMU's defaults and the configured MAC") {
  Net r(N::Options{N::default_mac(2)});
  r.init_net();
  CHECK(r.ctrl(N::kCtrlMac, N::kCtrlMacAddrSet, {2, 0, 0, 0, 0, 7}) == N::kOk);
  CHECK(r.rx_mode(N::kCtrlRxPromisc, 0) == N::kOk);
  CHECK(r.rx_mode(N::kCtrlRxNobcast, 1) == N::kOk);
  CHECK(r.mac_table({kOtherMac}, {kMulticast}) == N::kOk);
  CHECK(r.vlan(N::kCtrlVlanAdd, 100) == N::kOk);
  r.net().mutable_state().status |= N::kSAnnounce;
  r.wr(M::kStatus, 0);
  N::State expect;
  expect.mac = N::default_mac(2);
  expect.status = N::kSLinkUp;
  CHECK(same_bytes(r.net().state(), expect));
  CHECK(r.rd(M::kConfig + 4) == 0x00015834u);
}

TEST_CASE("virtio-net: vmstate round trip mid-use, then both continue identically") {
  Net src;
  src.init_net();
  CHECK(src.rx_mode(N::kCtrlRxPromisc, 0) == N::kOk);
  CHECK(src.mac_table({kOtherMac}, {kMulticast}) == N::kOk);
  CHECK(src.vlan(N::kCtrlVlanAdd, 7) == N::kOk);
  CHECK(src.ctrl(N::kCtrlMac, N::kCtrlMacAddrSet, {2, 0, 0, 0, 0, 7}) == N::kOk);
  src.rx_buffer(0, 64);
  src.rx_buffer(1, 64);
  REQUIRE(src.deliver(eth(Mac{2, 0, 0, 0, 0, 7}, 60)));
  Net dst(N::Options{N::default_mac(5)});  // another configured MAC: the current one travels
  auto ram = src.mem(kRam, 0x100000);
  REQUIRE(dst.bus.dma_write(kRam, ram.data(), ram.size()));
  round_trip(devices::virtio_mmio_vmstate(), src.mmio->state(), *dst.mmio);
  round_trip(devices::virtio_net_vmstate(), src.net().state(), dst.net());
  dst.avail = src.avail;
  dst.qnum = src.qnum;
  for (Net* r : {&src, &dst}) {
    CHECK_FALSE(r->passes(eth(kOwnMac, 60)));  // the old MAC is no longer ours
    CHECK(r->passes(eth(kOtherMac, 60)));      // table entry
    CHECK(r->passes(vlan_tagged(kMulticast, 7)));
    r->tx(eth(kBroadcast, 100));
  }
  CHECK(src.sent == dst.sent);
  CHECK(src.mem(kRam, 0x100000) == dst.mem(kRam, 0x100000));
  CHECK(same_bytes(src.mmio->state(), dst.mmio->state()));
  CHECK(same_bytes(src.net().state(), dst.net().state()));
}

TEST_CASE("virtio-net: every member reaches the wire; refusals name the field") {
  Net r;
  r.init_net();
  CHECK(r.mac_table({kOtherMac}, {kMulticast}) == N::kOk);
  every_byte_reaches_the_wire(devices::virtio_net_vmstate(), r.net().state(),
                              {{offsetof(N::State, reserved), 2}});
  const auto before = r.net().state();
  auto refused = [&](N::State bad, const std::string& field) {
    Status st = board_load(devices::virtio_net_vmstate(), r.net(), saved(devices::virtio_net_vmstate(), bad), 1);
    REQUIRE_FALSE(st.ok());
    CHECK_MESSAGE(st.error().message.find(field) != std::string::npos, st.error().message);
    CHECK(same_bytes(r.net().state(), before));
  };
  N::State bad = before;
  bad.mac_table_in_use = 65;
  refused(bad, "mac_table.in_use");
  bad = before;
  bad.mac_table_first_multi = 3;
  refused(bad, "mac_table.first_multi");
  bad = before;
  bad.mac_table_macs[2 * 6] = 1;  // beyond in_use
  refused(bad, "mac_table.macs");
  bad = before;
  bad.mac_table_uni_overflow = 2;
  refused(bad, "mac_table.uni_overflow");
  bad = before;
  bad.status = 0x5;
  refused(bad, "status");
  bad = before;
  bad.status = 0;
  refused(bad, "status");
  bad = before;
  bad.curr_queue_pairs = 2;
  refused(bad, "curr_queue_pairs");
  bad = before;
  bad.promisc = 0x42;  // any byte a driver can send loads
  Status st = board_load(devices::virtio_net_vmstate(), r.net(), saved(devices::virtio_net_vmstate(), bad), 1);
  CHECK(st.ok());
}

namespace {

struct Outcome {
  std::vector<u8> ram;
  VirtioMmio::State mmio;
  N::State net;
  std::vector<std::vector<u8>> sent;
};

// A mixed sequence: control commands, transmits, receives (filtered, merged, short of buffers).
Outcome run_net_script() {
  Net r;
  r.init_net(kFeatures | bit(kFEventIdx) | bit(kFIndirectDesc));
  CHECK(r.rx_mode(N::kCtrlRxPromisc, 0) == N::kOk);
  CHECK(r.mac_table({kOtherMac}, {kMulticast}) == N::kOk);
  for (u16 i = 0; i < 6; ++i) r.rx_buffer(i, 200);
  for (unsigned k = 0; k < 12; ++k) {
    const Mac& dst = k % 3 == 0 ? kOwnMac : k % 3 == 1 ? kMulticast : kOtherMac;
    r.tx(eth(kBroadcast, 60 + 37 * k, static_cast<u8>(k)), 12, 1 + k % 3, static_cast<u16>(4 * k));
    (void)r.deliver(eth(dst, 100 + 50 * k, static_cast<u8>(k + 100)));
    (void)r.deliver(eth(Mac{0x52, 0x54, 0, 0, 0, 9}, 80));  // filtered
  }
  Outcome o;
  o.ram = r.mem(kRam, 0x100000);
  o.mmio = r.mmio->state();
  o.net = r.net().state();
  o.sent = r.sent;
  return o;
}

}  // namespace

TEST_CASE("virtio-net determinism: the same sequence twice gives identical guest memory and state") {
  const Outcome a = run_net_script();
  const Outcome b = run_net_script();
  CHECK(a.ram == b.ram);
  CHECK(same_bytes(a.mmio, b.mmio));
  CHECK(same_bytes(a.net, b.net));
  CHECK(a.sent == b.sent);
  CHECK(a.sent.size() == 12);
}
