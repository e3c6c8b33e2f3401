#pragma once
#include <array>
#include <string>
#include <type_traits>
#include <vector>

#include "core/address_space.h"

// The virtio core that does not depend on the transport: feature bits, the split virtqueue
// (descriptor table, available and used rings, indirect tables, event index) and the interface
// between a transport (virtio-mmio) and a device model (virtio-blk, virtio-rng).
//
// Reactions to a hostile driver follow QEMU 7.2's hw/virtio/virtio.c: where QEMU calls
// virtio_error() the transport enters the error state (Status |= DEVICE_NEEDS_RESET, a
// configuration-change interrupt, nothing more is processed until reset), with QEMU's message.
// Every loop is bounded by the ring size or by kMaxSegments.
namespace lockstep::devices {

using core::u16;
using core::u32;
using core::u64;
using core::u8;

namespace virtio {

// Feature bits (virtio 1.2, 6 "Reserved Feature Bits").
inline constexpr unsigned kFNotifyOnEmpty = 24;  // legacy: hidden from a modern driver, still accepted
inline constexpr unsigned kFAnyLayout = 27;      // legacy: likewise
inline constexpr unsigned kFIndirectDesc = 28;
inline constexpr unsigned kFEventIdx = 29;
inline constexpr unsigned kFVersion1 = 32;
inline constexpr unsigned kFRingReset = 40;
constexpr u64 bit(unsigned b) { return u64{1} << b; }
// Bits QEMU keeps in host_features but never shows a modern driver (vdc->legacy_features).
inline constexpr u64 kLegacyFeatures = bit(kFNotifyOnEmpty) | bit(kFAnyLayout) | bit(30);
// DEFINE_VIRTIO_COMMON_FEATURES defaults in QEMU 7.2 (indirect_desc, event_idx, notify_on_empty,
// any_layout, queue_reset). virtio-mmio adds VERSION_1 itself.
inline constexpr u64 kCommonFeatures =
    bit(kFNotifyOnEmpty) | bit(kFAnyLayout) | bit(kFIndirectDesc) | bit(kFEventIdx) | bit(kFRingReset);

// Device status bits.
inline constexpr u8 kStatusAcknowledge = 1;
inline constexpr u8 kStatusDriver = 2;
inline constexpr u8 kStatusDriverOk = 4;
inline constexpr u8 kStatusFeaturesOk = 8;
inline constexpr u8 kStatusNeedsReset = 0x40;
inline constexpr u8 kStatusFailed = 0x80;

// InterruptStatus bits.
inline constexpr u8 kIsrQueue = 1;
inline constexpr u8 kIsrConfig = 2;

// Descriptor and ring flags.
inline constexpr u16 kDescNext = 1;
inline constexpr u16 kDescWrite = 2;
inline constexpr u16 kDescIndirect = 4;
inline constexpr u16 kAvailNoInterrupt = 1;
inline constexpr u16 kUsedNoNotify = 1;

inline constexpr u16 kQueueMaxSize = 1024;  // QEMU's VIRTQUEUE_MAX_SIZE: QueueNumMax, the largest QueueNum
inline constexpr u32 kQueueSelMax = 1024;   // QEMU's VIRTIO_QUEUE_MAX: QueueSel/QueueNotify bound
inline constexpr unsigned kMaxSegments = 1024;  // buffers in one chain (QEMU: VIRTQUEUE_MAX_SIZE iovecs)
inline constexpr unsigned kMaxQueues = 4;       // queues a device model may have here

}  // namespace virtio

// One virtqueue as the device uses it (QEMU's VirtQueue). Migratable; part of the transport's State.
struct VirtqState {
  u64 desc = 0;   // ring addresses in use (latched at QueueReady); desc == 0: not set up
  u64 avail = 0;
  u64 used = 0;
  u32 inuse = 0;  // popped and not yet pushed (always 0 between guest accesses: requests complete at once)
  u16 num = 0;    // ring size in use; 0 = no such queue
  u16 last_avail_idx = 0;
  u16 used_idx = 0;
  u16 signalled_used = 0;  // event-idx bookkeeping (QEMU's signalled_used / signalled_used_valid)
  u8 signalled_used_valid = 0;
  u8 notification = 1;     // the device wants notifications (QEMU's vq->notification)
  std::array<u8, 2> reserved{};  // always zero, not migrated; keeps the struct free of padding
};
static_assert(std::has_unique_object_representations_v<VirtqState>);

// One guest buffer of a descriptor chain. Every segment lies entirely in guest RAM (checked at pop).
struct VirtqSegment {
  u64 addr = 0;
  u32 len = 0;
};

// A popped descriptor chain: device-readable buffers first, then device-writable ones.
struct VirtqElement {
  u16 head = 0;
  std::vector<VirtqSegment> out;  // device reads
  std::vector<VirtqSegment> in;   // device writes
  u64 out_bytes() const;
  u64 in_bytes() const;
};

// Scatter-gather copies between a chain's buffers and the host, starting `offset` bytes into the
// buffers. They return the number of bytes copied (short when the buffers end first).
u64 copy_from_segments(const core::AddressSpace& bus, const std::vector<VirtqSegment>& segs, u64 offset, void* dst,
                       u64 len);
u64 copy_to_segments(core::AddressSpace& bus, const std::vector<VirtqSegment>& segs, u64 offset, const void* src,
                     u64 len);

class VirtioTransport;

// Access to one split virtqueue in guest memory (virtio 1.2, 2.7). A view: it holds no state of
// its own. Ring words that are not in RAM read as zero and writes to them are dropped, as QEMU's
// accesses to unassigned memory behave; descriptor *buffers* outside RAM are an error.
class Virtqueue {
 public:
  Virtqueue(VirtioTransport& transport, VirtqState& state);

  enum class Pop { Empty, Ok, Error };
  // Takes the next available chain (QEMU's virtqueue_split_pop). On Error the transport is
  // already in the error state.
  Pop pop(VirtqElement& elem);
  // Returns a chain to the driver with `len` bytes written (virtqueue_push = fill + flush).
  void push(const VirtqElement& elem, u32 len);
  // Drops a popped chain without returning it to the driver, after a request error broke the
  // device (QEMU's virtqueue_detach_element): it is no longer in use.
  void detach(const VirtqElement& elem);
  // Puts the last popped chain back at the head of the available ring (QEMU's virtqueue_unpop):
  // the next pop takes it again. Anything already written into its buffers stays written.
  void unpop(const VirtqElement& elem);
  // QEMU's virtqueue_avail_bytes: whether the available chains, walked without taking them, offer
  // at least `in_bytes` device-writable and `out_bytes` device-readable bytes. A malformed ring is
  // QEMU's error (and false), or with `quiet` just false: a look that changes nothing. Each chain
  // is bounded by kMaxSegments descriptors, as pop is.
  bool avail_bytes(u64 in_bytes, u64 out_bytes, bool quiet = false);
  // QEMU's virtqueue_num_heads: available chains not yet taken. More than the ring size means the
  // driver moved the index by more than the ring holds: error, and 0.
  unsigned pending();
  bool empty();
  // QEMU's virtio_queue_set_notification (VRING_USED_F_NO_NOTIFY or the avail event).
  void set_notification(bool enable);
  // QEMU's virtio_should_notify for a split ring (event idx, NO_INTERRUPT, notify-on-empty).
  bool should_notify();

  const VirtqState& state() const { return s_; }

 private:
  u16 read16(u64 pa) const;
  void write16(u64 pa, u16 v);
  void write32(u64 pa, u32 v);
  u16 avail_idx() const;
  u16 avail_flags() const;
  u16 used_event() const;
  void set_avail_event(u16 v);
  struct Desc {
    u64 addr;
    u32 len;
    u16 flags;
    u16 next;
  };
  Desc read_desc(u64 table, unsigned i) const;
  bool map(VirtqElement& elem, const Desc& d);
  bool has(unsigned feature) const;

  VirtioTransport& t_;
  VirtqState& s_;
};

// What a device model sees of its transport.
class VirtioTransport {
 public:
  virtual ~VirtioTransport() = default;
  virtual core::AddressSpace& bus() = 0;
  virtual u64 features() const = 0;  // negotiated
  virtual u8 status() const = 0;
  virtual bool broken() const = 0;
  virtual Virtqueue queue(unsigned n) = 0;
  // QEMU's virtio_notify: a used-buffer interrupt for queue n if the driver wants one.
  virtual void notify(unsigned n) = 0;
  // QEMU's virtio_error: DEVICE_NEEDS_RESET, a config interrupt, stop until reset.
  virtual void error(std::string message) = 0;
};

// A virtio device type (QEMU's VirtioDeviceClass). Device-specific migratable state lives in the
// implementation's own State.
class VirtioDevice {
 public:
  virtual ~VirtioDevice() = default;
  virtual u32 device_id() const = 0;
  // Everything the device offers except VERSION_1 (added by the transport), legacy bits included.
  virtual u64 host_features() const = 0;
  virtual unsigned queue_count() const = 0;
  virtual u16 queue_default_size(unsigned q) const = 0;
  // Device configuration space: size and a little-endian image of it.
  virtual u32 config_size() const = 0;
  virtual void read_config(u8* out) const = 0;
  virtual void write_config(u32 offset, const u8* data, unsigned size) = 0;
  // Called on every Status write, after the new status is in place.
  virtual void status_changed(VirtioTransport&) {}
  // The driver's features were latched (QEMU's VirtioDeviceClass::set_features, at the Status write
  // that sets FEATURES_OK), before status_changed.
  virtual void set_features(VirtioTransport&, u64 /*features*/) {}
  // The driver notified queue q (the ring is set up and the device is not broken).
  virtual void handle_queue(VirtioTransport& t, unsigned q) = 0;
  // Device reset (QEMU's VirtioDeviceClass::reset).
  virtual void reset() = 0;
};

}  // namespace lockstep::devices
