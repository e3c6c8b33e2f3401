#pragma once
#include <array>
#include <cstddef>
#include <functional>
#include <span>
#include <type_traits>
#include <vector>

#include "devices/virtio_queue.h"

namespace lockstep::devices {

// virtio-net (device ID 1) as QEMU 7.2's `-device virtio-net-device` presents itself when its peer
// has no vnet header (slirp, socket, stream backends): hw/net/virtio-net.c with default properties.
//
// Queues: receiveq 0 and transmitq 1 of 256 entries, controlq 2 of 64 (QEMU's sizes; no multiqueue).
// Features: MAC, MRG_RXBUF, STATUS, CTRL_VQ, CTRL_RX, CTRL_VLAN, CTRL_RX_EXTRA, GUEST_ANNOUNCE,
// CTRL_MAC_ADDR, CTRL_GUEST_OFFLOADS and the common INDIRECT_DESC, EVENT_IDX, RING_RESET (the
// transport adds VERSION_1). QEMU clears the checksum and segmentation offloads for a peer without
// a vnet header (virtio_net_get_features); GSO is a legacy-only bit QEMU never shows a modern driver.
// Configuration space: mac[6], status (LINK_UP) — 8 bytes, because QEMU sizes it by the features
// offered and neither MQ (max_virtqueue_pairs) nor MTU nor SPEED_DUPLEX is offered by default.
//
// The header the driver sees is struct virtio_net_hdr (10 bytes), plus num_buffers (12) once
// VERSION_1 or MRG_RXBUF is negotiated. Received frames get flags 0 and gso_type NONE; num_buffers
// is written only with MRG_RXBUF (QEMU leaves it alone otherwise).
//
// Transmit happens inside the QueueNotify write: every available chain is taken, the frame after
// the header goes to the Transmit callback, and the chain is returned with length 0. A frame longer
// than QEMU's NET_BUFSIZE (64 KiB + 4 KiB) is dropped (returned, not sent), as QEMU's net layer does.
//
// Receive: the board calls receive() between instructions (the input layer stamps frames with the
// icount). It filters like QEMU's receive_filter and writes header and frame across as many
// buffers as it needs (one without MRG_RXBUF). A frame is delivered unpadded, as QEMU delivers a
// slirp frame to virtio-net (do_not_pad).
//
// Deliberate differences from QEMU, all for drivers outside the specification: a MAC written
// through the configuration space is ignored (QEMU takes it only from a driver that negotiated
// neither VERSION_1 nor CTRL_MAC_ADDR); the migration announce (status ANNOUNCE after a load) is not
// raised, since a lockstep guest does not move between hosts (ANNOUNCE_ACK is answered as QEMU does).
class VirtioNet : public VirtioDevice {
 public:
  using Mac = std::array<u8, 6>;
  // Where transmitted frames go (a backend, the replay log); null drops them. Called inside the
  // guest's QueueNotify write; the span is valid only during the call.
  using Transmit = std::function<void(std::span<const u8> frame)>;
  // The driver made receive buffers available (it notified the receive queue, or became ready):
  // frames the board is holding back can be offered again. Called inside the guest's MMIO write.
  using RxReady = std::function<void()>;

  struct Options {
    Mac mac{0x52, 0x54, 0x00, 0x12, 0x34, 0x56};  // default_mac(0)
  };

  // Everything that migrates (devices/virtio_net_vmstate.cpp), QEMU's VirtIONet filter state.
  struct State {
    u32 mac_table_in_use = 0;       // entries of mac_table_macs in use
    u32 mac_table_first_multi = 0;  // entries before this one are unicast
    u16 status = 0;                 // config status: LINK_UP, ANNOUNCE
    u16 curr_queue_pairs = 1;       // always 1: no multiqueue
    Mac mac{};                      // the current MAC (CTRL_MAC_ADDR_SET changes it)
    // Receive modes, as the driver set them (any byte value: QEMU stores the command's byte).
    u8 promisc = 1;
    u8 allmulti = 0;
    u8 alluni = 0;
    u8 nomulti = 0;
    u8 nouni = 0;
    u8 nobcast = 0;
    u8 mac_table_multi_overflow = 0;
    u8 mac_table_uni_overflow = 0;
    std::array<u8, 64 * 6> mac_table_macs{};  // QEMU's MAC_TABLE_ENTRIES; unused entries zero
    // VLAN filter: bit vid%8 of byte vid/8 (QEMU's u32 bitmap, as it is in little-endian memory).
    std::array<u8, 4096 / 8> vlans{};
    std::array<u8, 2> reserved{};  // always zero, not migrated; keeps State free of padding
  };
  static_assert(std::has_unique_object_representations_v<State>);

  static constexpr u32 kDeviceId = 1;
  static constexpr unsigned kRxQueue = 0, kTxQueue = 1, kCtrlQueue = 2;
  static constexpr u16 kRxQueueSize = 256, kTxQueueSize = 256, kCtrlQueueSize = 64;
  static constexpr unsigned kMacTableEntries = 64;
  static constexpr unsigned kMaxVlan = 4096;
  // QEMU's NET_BUFSIZE: the largest frame its net layer passes (64 KiB GSO plus room for headers).
  static constexpr u64 kNetBufSize = 4096 + 65536;
  static constexpr u32 kConfigSize = 8;  // mac, status (see above)

  // Feature bits (virtio 1.2, 5.1.3).
  static constexpr unsigned kFCsum = 0, kFGuestCsum = 1, kFCtrlGuestOffloads = 2, kFMtu = 3, kFMac = 5,
                            kFGso = 6, kFGuestTso4 = 7, kFGuestTso6 = 8, kFGuestEcn = 9, kFGuestUfo = 10,
                            kFHostTso4 = 11, kFHostTso6 = 12, kFHostEcn = 13, kFHostUfo = 14, kFMrgRxbuf = 15,
                            kFStatus = 16, kFCtrlVq = 17, kFCtrlRx = 18, kFCtrlVlan = 19, kFCtrlRxExtra = 20,
                            kFGuestAnnounce = 21, kFMq = 22, kFCtrlMacAddr = 23;
  // Config status bits.
  static constexpr u16 kSLinkUp = 1, kSAnnounce = 2;
  // Header.
  static constexpr u32 kHdrLen = 10, kMrgHdrLen = 12;
  static constexpr u8 kHdrGsoNone = 0;
  // Control queue: classes, commands, acks (virtio 1.2, 5.1.6.5).
  static constexpr u8 kCtrlRx = 0, kCtrlMac = 1, kCtrlVlan = 2, kCtrlAnnounce = 3, kCtrlMq = 4,
                      kCtrlGuestOffloads = 5;
  static constexpr u8 kCtrlRxPromisc = 0, kCtrlRxAllmulti = 1, kCtrlRxAlluni = 2, kCtrlRxNomulti = 3,
                      kCtrlRxNouni = 4, kCtrlRxNobcast = 5;
  static constexpr u8 kCtrlMacTableSet = 0, kCtrlMacAddrSet = 1;
  static constexpr u8 kCtrlVlanAdd = 0, kCtrlVlanDel = 1;
  static constexpr u8 kCtrlAnnounceAck = 0;
  static constexpr u8 kOk = 0, kErr = 1;

  VirtioNet();  // Options{}: QEMU's first default MAC
  explicit VirtioNet(Options options, Transmit transmit = {});

  // QEMU's default MAC for the nic_index-th NIC (qemu_macaddr_default_if_unset): 52:54:00:12:34:56,
  // then ...:57 and so on.
  static Mac default_mac(unsigned nic_index);

  void set_transmit(Transmit transmit) { transmit_ = std::move(transmit); }
  void set_rx_ready(RxReady rx_ready) { rx_ready_ = std::move(rx_ready); }

  u32 device_id() const override { return kDeviceId; }
  u64 host_features() const override;
  unsigned queue_count() const override { return 3; }
  u16 queue_default_size(unsigned q) const override;
  u32 config_size() const override { return kConfigSize; }
  void read_config(u8* out) const override;
  void write_config(u32, const u8*, unsigned) override {}  // see "Deliberate differences"
  void set_features(VirtioTransport& t, u64 features) override;
  void status_changed(VirtioTransport& t) override;
  void handle_queue(VirtioTransport& t, unsigned q) override;
  void reset() override;

  // Whether a frame of frame_len bytes can be delivered now: QEMU's virtio_net_can_receive (driver
  // ready, receive queue set up) and virtio_net_has_buffers (a chain available; with MRG_RXBUF,
  // room for header and frame in the available chains). Like QEMU it switches receive-queue
  // notifications on when the answer is no, so that the guest's refill calls RxReady, and off when
  // yes. Call it (and receive) only at deterministic points: it writes the used ring's flags/event.
  bool can_receive(VirtioTransport& t, std::size_t frame_len);
  // can_receive's answer without touching anything (no notification flags, no error state on a
  // malformed ring): what the input layer asks at feed points where it may or may not have a frame
  // from outside, which must not change the guest when it then delivers nothing.
  bool has_room(VirtioTransport& t, std::size_t frame_len);
  // Offers one frame. false: not delivered for lack of buffers (keep it and offer it again after
  // RxReady, as QEMU's net queue does). true: consumed — delivered, filtered out, too long, or
  // dropped after a driver error (the transport is then in the error state).
  bool receive(VirtioTransport& t, std::span<const u8> frame);

  const State& state() const { return state_; }
  State& mutable_state() { return state_; }
  // Commits a loaded state (vm::load into a copy of state(), then this); nothing is derived.
  void restore_state(const State& s) { state_ = s; }
  const Options& options() const { return options_; }

  // Receive filter (QEMU's receive_filter) on the frame's first bytes; exposed for tests.
  bool accepts(std::span<const u8> frame) const;

 private:
  void transmit_all(VirtioTransport& t);
  void control_all(VirtioTransport& t);
  // QEMU's virtio_net_handle_ctrl_iov: the ack; false: the chain broke the device.
  bool control(VirtioTransport& t, const VirtqElement& e, u8& ack);
  bool has_buffers(VirtioTransport& t, u64 bytes);
  static u32 guest_hdr_len(const VirtioTransport& t);
  static bool mergeable(const VirtioTransport& t);

  Options options_;
  Transmit transmit_;
  RxReady rx_ready_;
  State state_;
  // Scratch, reused between requests and bounded: one chain (tx, ctrl), the chains one frame fills.
  VirtqElement elem_;
  std::vector<VirtqElement> rx_elems_;
  std::vector<u8> frame_;
};

}  // namespace lockstep::devices
