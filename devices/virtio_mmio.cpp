#include "devices/virtio_mmio.h"

#include <algorithm>
#include <cstring>

namespace lockstep::devices {

using namespace virtio;

namespace {

constexpr u32 size_mask(unsigned size) { return size >= 4 ? ~u32{0} : (u32{1} << (8 * size)) - 1; }

bool valid_access(u64 offset, unsigned size) {
  if (size != 1 && size != 2 && size != 4 && size != 8) return false;
  if (offset % size != 0) return false;
  return offset < VirtioMmio::kRegionSize && size <= VirtioMmio::kRegionSize - offset;
}

}  // namespace

VirtioMmio::VirtioMmio(core::AddressSpace& bus, IrqLine irq, VirtioDevice* device)
    : bus_(bus), irq_(irq), device_(device) {
  for (unsigned q = 0; q < kMaxQueues; ++q) {
    state_.vq[q].num = q < queue_count() ? device_->queue_default_size(q) : 0;
  }
}

unsigned VirtioMmio::queue_count() const {
  return device_ ? std::min<unsigned>(device_->queue_count(), kMaxQueues) : 0;
}

u64 VirtioMmio::host_features() const { return device_ ? device_->host_features() | bit(kFVersion1) : 0; }

bool VirtioMmio::read(u64 offset, unsigned size, u64& value) { return peek(offset, size, value); }

bool VirtioMmio::peek(u64 offset, unsigned size, u64& value) const {
  if (!valid_access(offset, size)) return false;
  // QEMU's memory core splits an 8-byte access into two 4-byte ones (impl.max_access_size 4).
  const unsigned part = size == 8 ? 4 : size;
  value = 0;
  for (unsigned done = 0; done < size; done += part) {
    const u64 off = offset + done;
    u32 v = 0;
    if (!device_) {
      // QEMU's transport with no backend: read-as-zero except magic, version and vendor.
      if (off == kMagicValue) v = kMagic;
      if (off == kVersionReg) v = kVersion;
      if (off == kVendorId) v = kVendor;
    } else if (off >= kConfig) {
      v = read_config(off - kConfig, part);
    } else if (part == 4) {
      (void)read32(off, v);
    }  // a 1- or 2-byte register read is a guest error in QEMU and reads 0
    value |= u64{v & size_mask(part)} << (8 * done);
  }
  return true;
}

bool VirtioMmio::read32(u64 offset, u32& value) const {
  const unsigned sel = state_.queue_sel;
  const bool have_queue = sel < queue_count();
  switch (offset) {
    case kMagicValue: value = kMagic; break;
    case kVersionReg: value = kVersion; break;
    case kDeviceId: value = device_->device_id(); break;
    case kVendorId: value = kVendor; break;
    case kDeviceFeatures:
      value = static_cast<u32>((host_features() & ~kLegacyFeatures) >> (32 * state_.device_features_sel));
      break;
    case kQueueNumMax: value = have_queue && state_.vq[sel].num != 0 ? kQueueMaxSize : 0; break;
    case kQueueReady: value = (state_.queue_ready[sel / 64] >> (sel % 64)) & 1; break;
    case kInterruptStatus: value = state_.interrupt_status; break;
    case kStatus: value = state_.status; break;
    case kConfigGeneration: value = state_.config_generation; break;
    case kShmLenLow:
    case kShmLenHigh: value = ~u32{0}; break;  // no shared memory regions
    default: value = 0; return false;  // write-only, legacy-only or unknown: reads 0
  }
  return true;
}

u32 VirtioMmio::read_config(u64 offset, unsigned size) const {
  const u32 len = std::min<u32>(device_->config_size(), 0x100);
  if (offset + size > len) return size_mask(size);  // QEMU's modern config accessors return -1
  u8 buf[0x100] = {};
  device_->read_config(buf);
  u32 v = 0;
  std::memcpy(&v, buf + offset, size);
  return v;
}

bool VirtioMmio::write(u64 offset, unsigned size, u64 value) {
  if (!valid_access(offset, size)) return false;
  if (!device_) return true;  // QEMU's empty transport ignores writes
  const unsigned part = size == 8 ? 4 : size;
  for (unsigned done = 0; done < size; done += part) {
    const u64 off = offset + done;
    const u32 v = static_cast<u32>(value >> (8 * done)) & size_mask(part);
    if (off >= kConfig) {
      write_config(off - kConfig, part, v);
    } else if (part == 4) {
      write32(off, v);
    }  // a 1- or 2-byte register write is a guest error in QEMU and is ignored
  }
  return true;
}

void VirtioMmio::write_config(u64 offset, unsigned size, u32 value) {
  const u32 len = std::min<u32>(device_->config_size(), 0x100);
  if (offset + size > len) return;
  u8 bytes[4];
  std::memcpy(bytes, &value, sizeof(bytes));
  device_->write_config(static_cast<u32>(offset), bytes, size);
}

void VirtioMmio::write32(u64 offset, u32 value) {
  const unsigned sel = state_.queue_sel;
  const bool have_queue = sel < queue_count();
  auto set_half = [](u64& reg, bool high, u32 v) {
    reg = high ? (reg & 0xffffffffu) | (u64{v} << 32) : (reg & ~u64{0xffffffffu}) | v;
  };
  switch (offset) {
    case kDeviceFeaturesSel: state_.device_features_sel = value ? 1 : 0; break;
    case kDriverFeatures: state_.driver_features[state_.driver_features_sel] = value; break;
    case kDriverFeaturesSel: state_.driver_features_sel = value ? 1 : 0; break;
    case kQueueSel:
      if (value < kQueueSelMax) state_.queue_sel = static_cast<u16>(value);
      break;
    case kQueueNum:
      if (have_queue) {
        set_queue_num(sel, value);
        state_.queue_num[sel] = static_cast<u16>(value);
      }
      break;
    case kQueueReady:
      if (value) {
        if (have_queue) {
          set_queue_num(sel, state_.queue_num[sel]);
          VirtqState& vq = state_.vq[sel];
          if (vq.num != 0) {  // QEMU's virtio_queue_set_rings
            vq.desc = state_.queue_desc[sel];
            vq.avail = state_.queue_avail[sel];
            vq.used = state_.queue_used[sel];
          }
        }
        state_.queue_ready[sel / 64] |= u64{1} << (sel % 64);
      } else {
        state_.queue_ready[sel / 64] &= ~(u64{1} << (sel % 64));
      }
      break;
    case kQueueNotify:
      if (value < kQueueSelMax) notify_queue(value);
      break;
    case kInterruptAck:
      state_.interrupt_status &= static_cast<u8>(~value);
      update_irq();
      break;
    case kStatus:
      if (value & kStatusFeaturesOk) {
        // QEMU's virtio_set_features: refused once FEATURES_OK is set; unknown bits dropped.
        if (!(state_.status & kStatusFeaturesOk)) {
          const u64 wanted = u64{state_.driver_features[1]} << 32 | state_.driver_features[0];
          state_.guest_features = wanted & host_features();
          device_->set_features(*this, state_.guest_features);
        }
      }
      set_status(static_cast<u8>(value));
      if (state_.status == 0) {
        virtio_reset();
        for (u64& w : state_.queue_ready) w = 0;  // virtio_mmio_soft_reset
      }
      break;
    case kQueueDescLow:
    case kQueueDescHigh:
      if (have_queue) set_half(state_.queue_desc[sel], offset == kQueueDescHigh, value);
      break;
    case kQueueAvailLow:
    case kQueueAvailHigh:
      if (have_queue) set_half(state_.queue_avail[sel], offset == kQueueAvailHigh, value);
      break;
    case kQueueUsedLow:
    case kQueueUsedHigh:
      if (have_queue) set_half(state_.queue_used[sel], offset == kQueueUsedHigh, value);
      break;
    default: break;  // read-only, legacy-only (GuestPageSize, QueueAlign, QueuePFN) or unknown
  }
}

// QEMU's virtio_queue_set_num: the size must stay zero/non-zero as it is and be at most
// VIRTQUEUE_MAX_SIZE (QEMU takes the register as an int). Not-a-power-of-two sizes are accepted,
// as QEMU accepts them: ring positions are taken modulo the size.
void VirtioMmio::set_queue_num(unsigned q, u32 value) {
  VirtqState& vq = state_.vq[q];
  const auto num = static_cast<int32_t>(value);
  if ((num != 0) != (vq.num != 0) || num > kQueueMaxSize || num < 0) return;
  vq.num = static_cast<u16>(num);
}

void VirtioMmio::set_status(u8 value) {
  state_.status = value;
  device_->status_changed(*this);
}

// QEMU's virtio_reset: the device, the common state and every queue; not the transport latches
// and not the configuration generation.
void VirtioMmio::virtio_reset() {
  if (device_) device_->reset();
  state_.broken = 0;
  state_.guest_features = 0;
  state_.queue_sel = 0;
  state_.status = 0;
  state_.interrupt_status = 0;
  for (unsigned q = 0; q < kMaxQueues; ++q) {
    state_.vq[q] = VirtqState{};
    state_.vq[q].num = q < queue_count() ? device_->queue_default_size(q) : 0;
  }
  update_irq();
}

void VirtioMmio::reset() {
  virtio_reset();
  state_.device_features_sel = 0;
  state_.driver_features_sel = 0;
  for (u32& w : state_.driver_features) w = 0;
  for (unsigned q = 0; q < kMaxQueues; ++q) {
    state_.queue_num[q] = 0;
    state_.queue_desc[q] = state_.queue_avail[q] = state_.queue_used[q] = 0;
  }
  for (u64& w : state_.queue_ready) w = 0;
}

void VirtioMmio::notify_queue(unsigned q) {
  if (q >= queue_count()) return;
  if (state_.vq[q].desc == 0 || state_.broken) return;
  device_->handle_queue(*this, q);
}

void VirtioMmio::notify(unsigned n) {
  if (n >= kMaxQueues) return;
  if (!queue(n).should_notify()) return;
  raise_isr(kIsrQueue);
}

void VirtioMmio::error(std::string message) {
  last_error_ = std::move(message);
  ++error_count_;
  if (state_.guest_features & bit(kFVersion1)) {
    state_.status |= kStatusNeedsReset;
    // QEMU's virtio_notify_config: only once the driver is up.
    if (state_.status & kStatusDriverOk) {
      ++state_.config_generation;
      raise_isr(kIsrQueue | kIsrConfig);
    }
  }
  state_.broken = 1;
}

void VirtioMmio::raise_isr(u8 bits) {
  state_.interrupt_status |= bits;
  update_irq();
}

void VirtioMmio::update_irq() { irq_.set(state_.interrupt_status != 0); }

}  // namespace lockstep::devices
