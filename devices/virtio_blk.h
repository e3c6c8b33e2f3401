#pragma once
#include <memory>
#include <string>
#include <vector>

#include "devices/block_backend.h"
#include "devices/virtio_queue.h"

namespace lockstep::devices {

// virtio-blk (device ID 2) as QEMU 7.2 presents a raw image (`-device virtio-blk-device`, default
// properties): one request queue of 256 entries; features SEG_MAX, GEOMETRY, BLK_SIZE, FLUSH,
// TOPOLOGY, CONFIG_WCE, DISCARD, WRITE_ZEROES (+ RO for a read-only disk) and the common
// INDIRECT_DESC, EVENT_IDX, RING_RESET; no SIZE_MAX (QEMU does not offer it).
//
// Requests: IN, OUT, FLUSH, GET_ID (the serial, empty by default), DISCARD (accepted and ignored,
// as QEMU's default discard=ignore), WRITE_ZEROES; SCSI_CMD and anything else: UNSUPP. A sector
// range outside the disk, a length that is not whole sectors and a write to a read-only disk
// complete with IOERR. A chain without a header or a status byte puts the device in the error
// state (QEMU's virtio_error). Every request completes during the QueueNotify write.
class VirtioBlk : public VirtioDevice {
 public:
  struct Options {
    std::string serial;  // GET_ID answer (QEMU's `serial` property)
  };
  // Migratable device state.
  struct State {
    u8 wce = 1;  // config `writeback`: the write cache is on for QEMU's default cache mode
  };

  static constexpr u32 kDeviceId = 2;
  static constexpr u16 kQueueSize = 256;
  // Feature bits (virtio 1.2, 5.2.3).
  static constexpr unsigned kFSizeMax = 1, kFSegMax = 2, kFGeometry = 4, kFRo = 5, kFBlkSize = 6, kFFlush = 9,
                            kFTopology = 10, kFConfigWce = 11, kFDiscard = 13, kFWriteZeroes = 14;
  // Request types and status values (virtio 1.2, 5.2.6).
  static constexpr u32 kTIn = 0, kTOut = 1, kTScsiCmd = 2, kTFlush = 4, kTGetId = 8, kTDiscard = 11,
                       kTWriteZeroes = 13, kTBarrier = 0x80000000u;
  static constexpr u8 kSOk = 0, kSIoErr = 1, kSUnsupp = 2;
  static constexpr u32 kConfigSize = 60;  // through write_zeroes_may_unmap and its padding
  static constexpr u32 kMaxDiscardSectors = 0x3fffff;  // QEMU's BDRV_REQUEST_MAX_SECTORS

  VirtioBlk(std::unique_ptr<BlockBackend> backend, Options options = {});

  u32 device_id() const override { return kDeviceId; }
  u64 host_features() const override;
  unsigned queue_count() const override { return 1; }
  u16 queue_default_size(unsigned) const override { return kQueueSize; }
  u32 config_size() const override { return kConfigSize; }
  void read_config(u8* out) const override;
  void write_config(u32 offset, const u8* data, unsigned size) override;
  void status_changed(VirtioTransport& t) override;
  void handle_queue(VirtioTransport& t, unsigned q) override;
  void reset() override { state_ = State{}; }

  const State& state() const { return state_; }
  State& mutable_state() { return state_; }
  // Commits a loaded state (vm::load into a copy of state(), then this); nothing is derived.
  void restore_state(const State& s) { state_ = s; }
  BlockBackend& backend() { return *backend_; }
  // The guessed CHS geometry (QEMU's hd_geometry_guess), fixed at construction.
  struct Geometry {
    u16 cylinders;
    u8 heads;
    u8 sectors;
  };
  Geometry geometry() const { return geometry_; }

 private:
  // false: the request broke the device (virtio_error); nothing more is processed.
  bool handle_request(VirtioTransport& t, Virtqueue& q, VirtqElement& e);
  bool sector_range_ok(u64 sector, u64 bytes) const;
  u8 do_read(VirtioTransport& t, const VirtqElement& e, u64 sector, u64 bytes);
  u8 do_write(VirtioTransport& t, const VirtqElement& e, u64 sector, u64 bytes);
  void complete(VirtioTransport& t, Virtqueue& q, const VirtqElement& e, u8 status);

  std::unique_ptr<BlockBackend> backend_;
  Options options_;
  Geometry geometry_{};
  State state_;
  VirtqElement elem_;    // reused between requests
  std::vector<u8> buf_;  // bounce buffer for data, bounded
};

}  // namespace lockstep::devices
