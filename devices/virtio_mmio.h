#pragma once
#include <array>
#include <string>
#include <type_traits>

#include "core/address_space.h"
#include "devices/irq_line.h"
#include "devices/virtio_queue.h"

namespace lockstep::devices {

// virtio-mmio transport, version 2 (virtio 1.2, 4.2.2), register for register as QEMU 7.2's
// hw/virtio/virtio-mmio.c with force-legacy=false. (QEMU 7.2's own default is force-legacy=true,
// version 1; `-global virtio-mmio.force-legacy=false` makes QEMU present what this does.) One slot of QEMU's riscv virt board: the
// registers occupy 0x200 bytes of a 0x1000-byte window; beyond 0x200 nothing answers (access
// fault). Without a device the slot is QEMU's empty transport: magic, version and vendor read
// as usual, DeviceID and everything else read 0, writes are ignored.
//
// Access sizes as QEMU's MemoryRegionOps give them: registers are 32-bit; a 1- or 2-byte
// register access reads 0 / is ignored, an 8-byte access is two 32-bit accesses. The device
// configuration space (0x100..0x1ff) takes 1, 2 and 4 bytes (8 = two 4-byte accesses); bytes past
// the device's configuration read as all-ones.
//
// Requests are processed synchronously inside the QueueNotify write. The interrupt line is
// level = (InterruptStatus != 0) (QEMU stops updating the line once the device is broken).
//
// Deliberate differences from QEMU, all for drivers that break the rules: a buffer outside RAM (or
// device-writable in ROM) is an error, where QEMU bounce-buffers one small one; moving avail->idx
// by more than the ring size is QEMU's "Guest moved used index" error on every queue (QEMU's
// virtio-blk only trips over it when requests pile up); QueueNum/QueueDesc/... for queues the
// device does not have are not kept (QueueReady is).
class VirtioMmio : public core::MmioDevice, private VirtioTransport {
 public:
  static constexpr u64 kRegionSize = 0x200;
  static constexpr u32 kMagic = 0x74726976;   // "virt"
  static constexpr u32 kVersion = 2;
  static constexpr u32 kVendor = 0x554d4551;  // "QEMU"

  // Register offsets.
  enum : u64 {
    kMagicValue = 0x000,
    kVersionReg = 0x004,
    kDeviceId = 0x008,
    kVendorId = 0x00c,
    kDeviceFeatures = 0x010,
    kDeviceFeaturesSel = 0x014,
    kDriverFeatures = 0x020,
    kDriverFeaturesSel = 0x024,
    kGuestPageSize = 0x028,  // legacy only: ignored
    kQueueSel = 0x030,
    kQueueNumMax = 0x034,
    kQueueNum = 0x038,
    kQueueAlign = 0x03c,  // legacy only: ignored
    kQueuePfn = 0x040,    // legacy only: ignored
    kQueueReady = 0x044,
    kQueueNotify = 0x050,
    kInterruptStatus = 0x060,
    kInterruptAck = 0x064,
    kStatus = 0x070,
    kQueueDescLow = 0x080,
    kQueueDescHigh = 0x084,
    kQueueAvailLow = 0x090,
    kQueueAvailHigh = 0x094,
    kQueueUsedLow = 0x0a0,
    kQueueUsedHigh = 0x0a4,
    kShmSel = 0x0ac,
    kShmLenLow = 0x0b0,
    kShmLenHigh = 0x0b4,
    kShmBaseLow = 0x0b8,
    kShmBaseHigh = 0x0bc,
    kConfigGeneration = 0x0fc,
    kConfig = 0x100,
  };

  // Everything that migrates: QEMU's VirtIOMMIOProxy (transport registers) and the common
  // VirtIODevice state (status, features, queues). Device-specific state is the device's own.
  // The description is devices/virtio_mmio_vmstate.cpp.
  struct State {
    std::array<VirtqState, virtio::kMaxQueues> vq{};
    // Transport latches per queue: QueueNum and QueueDesc/Avail/Used as the driver wrote them.
    std::array<u64, virtio::kMaxQueues> queue_desc{};
    std::array<u64, virtio::kMaxQueues> queue_avail{};
    std::array<u64, virtio::kMaxQueues> queue_used{};
    // QueueReady for every QueueSel value (QEMU keeps it for queues the device lacks, too).
    std::array<u64, virtio::kQueueSelMax / 64> queue_ready{};
    u64 guest_features = 0;                 // negotiated: driver features & host features
    std::array<u32, 2> driver_features{};   // DriverFeatures as written, per DriverFeaturesSel
    u32 device_features_sel = 0;            // 0 or 1
    u32 driver_features_sel = 0;            // 0 or 1
    u32 config_generation = 0;
    std::array<u16, virtio::kMaxQueues> queue_num{};
    u16 queue_sel = 0;
    u8 status = 0;
    u8 interrupt_status = 0;
    u8 broken = 0;  // a virtio_error happened; cleared by reset
    std::array<u8, 7> reserved{};  // always zero, not migrated; keeps State free of padding
  };
  static_assert(std::has_unique_object_representations_v<State>);

  // `device` may be null (an empty slot). It must outlive the transport.
  VirtioMmio(core::AddressSpace& bus, IrqLine irq, VirtioDevice* device);

  bool read(u64 offset, unsigned size, u64& value) override;
  bool write(u64 offset, unsigned size, u64 value) override;
  // read() without side effects (none of virtio-mmio's reads has one), for the debugger.
  bool peek(u64 offset, unsigned size, u64& value) const;
  // System reset (QEMU's virtio_mmio_reset): the device, the queues and the transport latches.
  void reset();
  // Drives the interrupt line from InterruptStatus (after loading state).
  void update_irq();

  const State& state() const { return state_; }
  State& mutable_state() { return state_; }
  // Commits a loaded state (vm::load into a copy of state(), then this). Ring addresses are
  // guest-physical and Virtqueue is a view over State, so nothing host-side is cached: no pointer
  // to rebuild, no line driven (the PLIC's pending bit and mip are state of their own).
  void restore_state(const State& s) { state_ = s; }
  VirtioDevice* device() const { return device_; }
  // The device model's view of this transport, for a device that works outside a guest access
  // (virtio-net receiving a frame).
  VirtioTransport& transport() { return *this; }
  // The last virtio_error message (QEMU's wording) and how many there were; not migrated.
  const std::string& last_error() const { return last_error_; }
  u64 error_count() const { return error_count_; }
  // Features as the device offers them (VERSION_1 included, legacy bits included).
  u64 host_features() const;

 private:
  // VirtioTransport, for the device model.
  core::AddressSpace& bus() override { return bus_; }
  u64 features() const override { return state_.guest_features; }
  u8 status() const override { return state_.status; }
  bool broken() const override { return state_.broken; }
  Virtqueue queue(unsigned n) override { return Virtqueue(*this, state_.vq[n]); }
  void notify(unsigned n) override;
  void error(std::string message) override;

  unsigned queue_count() const;  // the device's queues, at most kMaxQueues
  bool read32(u64 offset, u32& value) const;
  void write32(u64 offset, u32 value);
  u32 read_config(u64 offset, unsigned size) const;
  void write_config(u64 offset, unsigned size, u32 value);
  void set_status(u8 value);
  void virtio_reset();
  void set_queue_num(unsigned q, u32 value);
  void notify_queue(unsigned q);
  void raise_isr(u8 bits);

  core::AddressSpace& bus_;
  IrqLine irq_;
  VirtioDevice* device_;
  State state_;
  std::string last_error_;
  u64 error_count_ = 0;
};

}  // namespace lockstep::devices
