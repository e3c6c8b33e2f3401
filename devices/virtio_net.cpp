#include "devices/virtio_net.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace lockstep::devices {

using namespace virtio;

namespace {

constexpr unsigned kEthAlen = 6;

// The command-specific part of a control request: the device-readable bytes after the 2-byte
// class/command header, read in place (a hostile driver may offer gigabytes; only what a command
// needs is ever copied).
struct CtrlData {
  const core::AddressSpace& bus;
  const std::vector<VirtqSegment>& out;
  u64 size;  // bytes after the header (QEMU's iov_size after iov_discard_front)
  // Bytes [offset, offset + n) into dst; returns how many there were (QEMU's iov_to_buf).
  u64 read(u64 offset, void* dst, u64 n) const {
    if (offset >= size) return 0;
    return copy_from_segments(bus, out, 2 + offset, dst, std::min(n, size - offset));
  }
};

template <typename T>
T le(const u8* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// QEMU's virtio_net_handle_rx_mode. `on` is stored as the driver sent it (any byte value).
u8 ctrl_rx_mode(VirtioNet::State& s, u8 cmd, const CtrlData& d) {
  u8 on = 0;
  if (d.read(0, &on, 1) != 1) return VirtioNet::kErr;
  switch (cmd) {
    case VirtioNet::kCtrlRxPromisc: s.promisc = on; break;
    case VirtioNet::kCtrlRxAllmulti: s.allmulti = on; break;
    case VirtioNet::kCtrlRxAlluni: s.alluni = on; break;
    case VirtioNet::kCtrlRxNomulti: s.nomulti = on; break;
    case VirtioNet::kCtrlRxNouni: s.nouni = on; break;
    case VirtioNet::kCtrlRxNobcast: s.nobcast = on; break;
    default: return VirtioNet::kErr;
  }
  return VirtioNet::kOk;
}

// QEMU's virtio_net_handle_mac. TABLE_SET is two `le32 entries; u8 macs[entries][6]` lists
// (unicast, then multicast) filling exactly the buffer; a list that does not fit the 64-entry
// table sets its overflow flag instead. The byte counts are computed in 32 bits, as QEMU's
// `entries * ETH_ALEN` is; the table changes only when the whole command is valid.
u8 ctrl_mac(VirtioNet::State& s, u8 cmd, const CtrlData& d) {
  if (cmd == VirtioNet::kCtrlMacAddrSet) {
    if (d.size != kEthAlen) return VirtioNet::kErr;
    d.read(0, s.mac.data(), kEthAlen);
    return VirtioNet::kOk;
  }
  if (cmd != VirtioNet::kCtrlMacTableSet) return VirtioNet::kErr;

  std::array<u8, VirtioNet::kMacTableEntries * kEthAlen> macs{};
  u32 in_use = 0;
  u8 uni_overflow = 0;
  u8 multi_overflow = 0;
  u64 off = 0;
  u8 raw[4];
  if (d.read(off, raw, 4) != 4) return VirtioNet::kErr;
  off += 4;
  u32 entries = le<u32>(raw);
  u32 bytes = entries * kEthAlen;  // wraps as QEMU's does
  if (bytes > d.size - off) return VirtioNet::kErr;
  if (entries <= VirtioNet::kMacTableEntries) {
    if (d.read(off, macs.data(), bytes) != bytes) return VirtioNet::kErr;
    in_use += entries;
  } else {
    uni_overflow = 1;
  }
  off += bytes;
  const u32 first_multi = in_use;

  if (d.read(off, raw, 4) != 4) return VirtioNet::kErr;
  off += 4;
  entries = le<u32>(raw);
  bytes = entries * kEthAlen;
  if (bytes != d.size - off) return VirtioNet::kErr;
  if (entries <= VirtioNet::kMacTableEntries - in_use) {
    if (d.read(off, macs.data() + in_use * kEthAlen, bytes) != bytes) return VirtioNet::kErr;
    in_use += entries;
  } else {
    multi_overflow = 1;
  }

  s.mac_table_in_use = in_use;
  s.mac_table_first_multi = first_multi;
  s.mac_table_uni_overflow = uni_overflow;
  s.mac_table_multi_overflow = multi_overflow;
  s.mac_table_macs = macs;
  return VirtioNet::kOk;
}

// QEMU's virtio_net_handle_vlan_table.
u8 ctrl_vlan(VirtioNet::State& s, u8 cmd, const CtrlData& d) {
  u8 raw[2];
  if (d.read(0, raw, 2) != 2) return VirtioNet::kErr;
  const u16 vid = le<u16>(raw);
  if (vid >= VirtioNet::kMaxVlan) return VirtioNet::kErr;
  const u8 bit = static_cast<u8>(1u << (vid % 8));
  if (cmd == VirtioNet::kCtrlVlanAdd) {
    s.vlans[vid / 8] |= bit;
  } else if (cmd == VirtioNet::kCtrlVlanDel) {
    s.vlans[vid / 8] &= static_cast<u8>(~bit);
  } else {
    return VirtioNet::kErr;
  }
  return VirtioNet::kOk;
}

// QEMU's virtio_net_handle_announce.
u8 ctrl_announce(VirtioNet::State& s, u8 cmd) {
  if (cmd == VirtioNet::kCtrlAnnounceAck && (s.status & VirtioNet::kSAnnounce)) {
    s.status &= static_cast<u16>(~VirtioNet::kSAnnounce);
    return VirtioNet::kOk;
  }
  return VirtioNet::kErr;
}

}  // namespace

VirtioNet::VirtioNet() : VirtioNet(Options{}) {}

VirtioNet::VirtioNet(Options options, Transmit transmit)
    : options_(options), transmit_(std::move(transmit)) {
  state_.mac = options_.mac;
  state_.status = kSLinkUp;
  elem_.out.reserve(16);
  elem_.in.reserve(16);
}

VirtioNet::Mac VirtioNet::default_mac(unsigned nic_index) {
  return Mac{0x52, 0x54, 0x00, 0x12, 0x34, static_cast<u8>(0x56 + nic_index)};
}

u64 VirtioNet::host_features() const {
  return kCommonFeatures | bit(kFMac) | bit(kFMrgRxbuf) | bit(kFStatus) | bit(kFCtrlVq) | bit(kFCtrlRx) |
         bit(kFCtrlVlan) | bit(kFCtrlRxExtra) | bit(kFGuestAnnounce) | bit(kFCtrlMacAddr) |
         bit(kFCtrlGuestOffloads);
}

u16 VirtioNet::queue_default_size(unsigned q) const {
  return q == kRxQueue ? kRxQueueSize : q == kTxQueue ? kTxQueueSize : kCtrlQueueSize;
}

// struct virtio_net_config (virtio 1.2, 5.1.4) up to `status`, little-endian.
void VirtioNet::read_config(u8* c) const {
  std::memcpy(c, state_.mac.data(), kEthAlen);
  std::memcpy(c + 6, &state_.status, 2);
}

// QEMU's virtio_net_set_features: the VLAN filter starts empty for a driver that manages it and
// lets everything through for one that does not.
void VirtioNet::set_features(VirtioTransport&, u64 features) {
  state_.vlans.fill((features & bit(kFCtrlVlan)) ? 0x00 : 0xff);
}

// QEMU's virtio_net_set_status: once the driver is up, frames held back can be offered again.
void VirtioNet::status_changed(VirtioTransport& t) {
  if ((t.status() & kStatusDriverOk) && (state_.status & kSLinkUp) && rx_ready_) rx_ready_();
}

void VirtioNet::handle_queue(VirtioTransport& t, unsigned q) {
  switch (q) {
    case kRxQueue:  // QEMU's virtio_net_handle_rx: flush the frames the net queue holds
      if (rx_ready_) rx_ready_();
      break;
    case kTxQueue: transmit_all(t); break;
    case kCtrlQueue: control_all(t); break;
    default: break;
  }
}

// QEMU's virtio_net_reset. The link stays up; the VLAN table is cleared (set_features fills it
// again at the next negotiation).
void VirtioNet::reset() {
  const u16 status = static_cast<u16>(state_.status & ~kSAnnounce);
  state_ = State{};
  state_.status = status;
  state_.mac = options_.mac;
}

u32 VirtioNet::guest_hdr_len(const VirtioTransport& t) {
  return (t.features() & (bit(kFVersion1) | bit(kFMrgRxbuf))) ? kMrgHdrLen : kHdrLen;
}

bool VirtioNet::mergeable(const VirtioTransport& t) { return t.features() & bit(kFMrgRxbuf); }

// ---------------------------------------------------------------------------------------------
// Transmit: QEMU's virtio_net_handle_tx_bh followed at once by its bottom half (virtio_net_tx_bh,
// virtio_net_flush_tx), as if the bottom half ran before the guest's next instruction.

void VirtioNet::transmit_all(VirtioTransport& t) {
  Virtqueue q = t.queue(kTxQueue);
  q.set_notification(false);
  // The bottom half finds the driver not ready and leaves notifications off, as QEMU's does.
  if (!(t.status() & kStatusDriverOk)) return;
  const unsigned n = q.pending();  // at most the ring size: the guest cannot add while we run
  if (t.broken()) return;
  const u32 hdr = guest_hdr_len(t);
  for (unsigned i = 0; i < n; ++i) {
    if (q.pop(elem_) != Virtqueue::Pop::Ok) return;
    if (elem_.out.empty()) {
      t.error("virtio-net header not in first element");
      q.detach(elem_);
      return;  // QEMU's flush returns -EINVAL: notifications stay off
    }
    // Device-writable buffers in a transmit chain are ignored, as QEMU ignores in_sg here.
    const u64 total = elem_.out_bytes();
    const u64 len = total > hdr ? total - hdr : 0;
    // QEMU's net layer drops a frame over NET_BUFSIZE (qemu_sendv_packet_async) and the buffer is
    // returned all the same; backends drop empty ones.
    if (len > 0 && len <= kNetBufSize) {
      frame_.resize(len);
      copy_from_segments(t.bus(), elem_.out, hdr, frame_.data(), len);
      if (transmit_) transmit_(std::span<const u8>(frame_.data(), len));
    }
    q.push(elem_, 0);
    t.notify(kTxQueue);
  }
  q.set_notification(true);
}

// ---------------------------------------------------------------------------------------------
// Control queue: QEMU's virtio_net_handle_ctrl.

void VirtioNet::control_all(VirtioTransport& t) {
  Virtqueue q = t.queue(kCtrlQueue);
  const unsigned n = q.pending();
  if (t.broken()) return;
  for (unsigned i = 0; i < n; ++i) {
    if (q.pop(elem_) != Virtqueue::Pop::Ok) return;
    u8 ack = kErr;
    if (!control(t, elem_, ack)) {
      q.detach(elem_);
      return;
    }
    copy_to_segments(t.bus(), elem_.in, 0, &ack, 1);
    q.push(elem_, 1);
    t.notify(kCtrlQueue);
  }
}

bool VirtioNet::control(VirtioTransport& t, const VirtqElement& e, u8& ack) {
  if (e.in_bytes() < 1 || e.out_bytes() < 2) {
    t.error("virtio-net ctrl missing headers");
    return false;
  }
  u8 hdr[2];
  copy_from_segments(t.bus(), e.out, 0, hdr, 2);
  const CtrlData d{t.bus(), e.out, e.out_bytes() - 2};
  const u8 cls = hdr[0];
  const u8 cmd = hdr[1];
  switch (cls) {
    case kCtrlRx: ack = ctrl_rx_mode(state_, cmd, d); break;
    case kCtrlMac: ack = ctrl_mac(state_, cmd, d); break;
    case kCtrlVlan: ack = ctrl_vlan(state_, cmd, d); break;
    case kCtrlAnnounce: ack = ctrl_announce(state_, cmd); break;
    // Neither MQ nor RSS/hash reporting is offered, and without a vnet header QEMU refuses every
    // GUEST_OFFLOADS_SET: both classes always answer ERR.
    case kCtrlMq:
    case kCtrlGuestOffloads:
    default: ack = kErr; break;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Receive: QEMU's virtio_net_receive_rcu with host_hdr_len 0 (no vnet header from the peer).

bool VirtioNet::has_buffers(VirtioTransport& t, u64 bytes) {
  Virtqueue q = t.queue(kRxQueue);
  const bool mrg = mergeable(t);
  if (q.empty() || (mrg && !q.avail_bytes(bytes, 0))) {
    // QEMU looks a second time after enabling notifications, for buffers a vCPU thread added
    // meanwhile; here the guest is stopped while the device runs, so the answer cannot change.
    q.set_notification(true);
    return false;
  }
  q.set_notification(false);
  return true;
}

bool VirtioNet::can_receive(VirtioTransport& t, std::size_t frame_len) {
  if (!(t.status() & kStatusDriverOk)) return false;
  if (t.queue(kRxQueue).state().avail == 0) return false;  // virtio_queue_ready
  return has_buffers(t, u64{frame_len} + guest_hdr_len(t));
}

bool VirtioNet::has_room(VirtioTransport& t, std::size_t frame_len) {
  if (!(t.status() & kStatusDriverOk)) return false;
  Virtqueue q = t.queue(kRxQueue);
  if (q.state().avail == 0 || q.empty()) return false;
  return !mergeable(t) || q.avail_bytes(u64{frame_len} + guest_hdr_len(t), 0, /*quiet=*/true);
}

bool VirtioNet::accepts(std::span<const u8> frame) const {
  if (state_.promisc) return true;
  // QEMU reads the first 16 bytes whatever the frame's length; missing bytes count as zero here.
  u8 h[16] = {};
  std::memcpy(h, frame.data(), std::min<std::size_t>(frame.size(), sizeof(h)));
  if (h[12] == 0x81 && h[13] == 0x00) {  // 802.1Q tag
    const unsigned vid = ((h[14] << 8) | h[15]) & 0xfff;
    if (!(state_.vlans[vid / 8] & (1u << (vid % 8)))) return false;
  }
  auto in_table = [&](u32 from, u32 to) {
    for (u32 i = from; i < to && i < kMacTableEntries; ++i) {
      if (std::memcmp(h, state_.mac_table_macs.data() + i * kEthAlen, kEthAlen) == 0) return true;
    }
    return false;
  };
  if (h[0] & 1) {  // multicast
    static constexpr u8 kBroadcast[kEthAlen] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    if (std::memcmp(h, kBroadcast, kEthAlen) == 0) return !state_.nobcast;
    if (state_.nomulti) return false;
    if (state_.allmulti || state_.mac_table_multi_overflow) return true;
    return in_table(state_.mac_table_first_multi, state_.mac_table_in_use);
  }
  if (state_.nouni) return false;
  if (state_.alluni || state_.mac_table_uni_overflow) return true;
  if (std::memcmp(h, state_.mac.data(), kEthAlen) == 0) return true;
  return in_table(0, state_.mac_table_first_multi);
}

bool VirtioNet::receive(VirtioTransport& t, std::span<const u8> frame) {
  // What QEMU's net layer never hands a NIC: empty frames, frames over NET_BUFSIZE. Dropped.
  if (frame.empty() || frame.size() > kNetBufSize) return true;
  if (!can_receive(t, frame.size())) return false;
  if (!accepts(frame)) return true;  // filtered: consumed, nothing written

  Virtqueue q = t.queue(kRxQueue);
  const bool mrg = mergeable(t);
  const u32 hdr_len = guest_hdr_len(t);
  const u64 size = frame.size();
  u64 offset = 0;
  unsigned i = 0;
  std::vector<u32> lens;  // used lengths, one per chain (bounded by the ring size)
  auto drop_popped = [&] {
    for (unsigned j = 0; j < i; ++j) q.detach(rx_elems_[j]);
  };
  while (offset < size) {
    if (i == kQueueMaxSize) {
      t.error("virtio-net unexpected long buffer chain");
      drop_popped();
      return true;
    }
    if (rx_elems_.size() <= i) rx_elems_.resize(i + 1);
    VirtqElement& e = rx_elems_[i];
    if (q.pop(e) != Virtqueue::Pop::Ok) {
      if (i) {
        t.error(fmt::format("virtio-net unexpected empty queue: i {} mergeable {} offset {}, size {}, "
                            "guest hdr len {}, host hdr len 0 guest features {:#x}",
                            i, mrg ? 1 : 0, offset, size, hdr_len, t.features()));
      }
      drop_popped();
      return true;
    }
    if (e.in.empty()) {
      t.error("virtio-net receive queue contains no in buffers");
      q.detach(e);
      drop_popped();
      return true;
    }
    u64 guest_offset = 0;
    u64 total = 0;
    if (i == 0) {
      // struct virtio_net_hdr: flags 0, gso_type NONE, the rest zero (no vnet header to pass on).
      const u8 hdr[kHdrLen] = {0, kHdrGsoNone};
      copy_to_segments(t.bus(), e.in, 0, hdr, sizeof(hdr));
      guest_offset = hdr_len;
      total = hdr_len;
    }
    const u64 len = copy_to_segments(t.bus(), e.in, guest_offset, frame.data() + offset, size - offset);
    total += len;
    offset += len;
    if (!mrg && offset < size) {
      // Too small without merging: the frame is dropped, the chain stays available (what was
      // written stays written, as in QEMU).
      q.unpop(e);
      drop_popped();
      return true;
    }
    lens.push_back(static_cast<u32>(total));
    ++i;
  }
  if (mrg) {
    const u16 num_buffers = static_cast<u16>(i);
    copy_to_segments(t.bus(), rx_elems_[0].in, kHdrLen, &num_buffers, sizeof(num_buffers));
  }
  for (unsigned j = 0; j < i; ++j) q.push(rx_elems_[j], lens[j]);
  t.notify(kRxQueue);
  return true;
}

}  // namespace lockstep::devices
