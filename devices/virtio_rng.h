#pragma once
#include "devices/virtio_queue.h"

namespace lockstep::devices {

// virtio-rng (device ID 4) as QEMU 7.2's `-device virtio-rng-device`: one queue of 8 entries, no
// configuration space, the common features (INDIRECT_DESC, EVENT_IDX, RING_RESET). Once the
// driver is up (DRIVER_OK), every available chain is filled to the end of its device-writable
// buffers (at most kMaxBytesPerBuffer) when the driver notifies the queue or writes Status, and the chains are returned with
// a single interrupt.
//
// The bytes are not the host's: they are a deterministic stream, XXH3-64 in counter mode keyed by
// a 64-bit seed (the machine configuration's). Byte p of the stream is byte p%8 (little-endian)
// of XXH3_64bits_withSeed(le64(p/8), seed). The seed and the stream position are State, so a
// migrated guest goes on reading the same stream.
//
// QEMU differs in one corner: it asks its backend for as many bytes as all available chains can
// take and stops filling when it has them, so chains with no device-writable buffer that come
// after the last one with some stay in the ring (and if no chain has any, nothing happens). Here
// every available chain is returned, a chain without device-writable buffers with length 0.
class VirtioRng : public VirtioDevice {
 public:
  struct State {
    u64 seed = 0;
    u64 position = 0;  // bytes of the stream handed out so far
  };
  static constexpr u32 kDeviceId = 4;
  static constexpr u16 kQueueSize = 8;
  // At most this many bytes go into one chain (the used length says how many did), so that a
  // driver offering gigabytes of buffers cannot stall the notifying instruction. Real drivers
  // ask for 16 (U-Boot) to a page (Linux) at a time; QEMU would fill everything.
  static constexpr u64 kMaxBytesPerBuffer = 64 * 1024;

  explicit VirtioRng(u64 seed);

  u32 device_id() const override { return kDeviceId; }
  u64 host_features() const override { return virtio::kCommonFeatures; }
  unsigned queue_count() const override { return 1; }
  u16 queue_default_size(unsigned) const override { return kQueueSize; }
  u32 config_size() const override { return 0; }
  void read_config(u8*) const override {}
  void write_config(u32, const u8*, unsigned) override {}
  void status_changed(VirtioTransport& t) override { process(t); }
  void handle_queue(VirtioTransport& t, unsigned) override { process(t); }
  void reset() override {}  // QEMU's virtio-rng has no reset hook; the stream goes on

  const State& state() const { return state_; }
  State& mutable_state() { return state_; }
  // Commits a loaded state (vm::load into a copy of state(), then this); nothing is derived.
  void restore_state(const State& s) { state_ = s; }

  // Stream bytes [position, position+len) for the given seed (what the guest receives).
  static void generate(u64 seed, u64 position, u8* out, u64 len);

 private:
  void process(VirtioTransport& t);

  State state_;
  VirtqElement elem_;
};

}  // namespace lockstep::devices
