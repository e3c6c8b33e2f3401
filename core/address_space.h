#pragma once
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "core/types.h"

namespace lockstep::core {

// A device's register window. Offsets are relative to the region base. Returning false
// means the access is not supported: the hart takes an access fault, as QEMU's virt board does.
class MmioDevice {
 public:
  virtual ~MmioDevice() = default;
  virtual bool read(u64 offset, unsigned size, u64& value) = 0;
  virtual bool write(u64 offset, unsigned size, u64 value) = 0;
};

// A named block of guest RAM (or ROM), backed by zero-filled anonymous host memory.
// Names are migration ABI: they become the RAM block idstr in streams.
struct RamBlock {
  std::string name;
  u64 base = 0;
  u64 size = 0;
  u8* host = nullptr;
  bool read_only = false;
  // Per-page flags (kPageHasCode, kPageWatched): such pages never get a store-TLB entry,
  // so every store to them reaches the slow path.
  std::vector<u8> page_flags;
  // Dirty log (for migration): one bit per page, set by every store that reaches the page
  // (hart stores, device DMA, image loading) since the bit was last cleared. Stores reach a page
  // without a slow path only through a store-TLB entry, and the slow path sets the bit before
  // filling one; so after clearing bits, flush every hart's translations (flush_translations)
  // and the next store to each page is seen again.
  std::vector<u64> dirty_bitmap;

  void mark_dirty(u64 pa, u64 len) {
    if (len == 0) return;
    for (u64 page = (pa - base) / kPageSize; page <= (pa - base + len - 1) / kPageSize; ++page) {
      dirty_bitmap[page / 64] |= u64{1} << (page % 64);
    }
  }
  bool page_dirty(u64 page_index) const { return (dirty_bitmap[page_index / 64] >> (page_index % 64)) & 1; }
  void clear_dirty(u64 page_index) { dirty_bitmap[page_index / 64] &= ~(u64{1} << (page_index % 64)); }
  void clear_all_dirty() { std::fill(dirty_bitmap.begin(), dirty_bitmap.end(), 0); }
  u64 page_count() const { return (size + kPageSize - 1) / kPageSize; }

  bool contains(u64 pa, u64 len) const { return pa >= base && pa - base < size && len <= size - (pa - base); }
};

inline constexpr u8 kPageHasCode = 1;  // decoded instructions were taken from this page
inline constexpr u8 kPageWatched = 2;  // a device watches stores here (HTIF tohost)

struct MmioRegion {
  std::string name;
  u64 base = 0;
  u64 size = 0;
  MmioDevice* device = nullptr;
};

// The guest-physical address map: RAM blocks and MMIO regions, non-overlapping.
class AddressSpace {
 public:
  AddressSpace() = default;
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;
  ~AddressSpace();

  // nullptr when the host cannot provide the memory.
  RamBlock* add_ram(std::string name, u64 base, u64 size, bool read_only = false);
  void add_mmio(std::string name, u64 base, u64 size, MmioDevice* device);

  RamBlock* find_ram(u64 pa, u64 len = 1);
  const RamBlock* find_ram(u64 pa, u64 len = 1) const;
  MmioRegion* find_mmio(u64 pa);
  const std::vector<std::unique_ptr<RamBlock>>& ram_blocks() const { return ram_; }

  // Physical accesses (page walks, device DMA, loaders). false = no RAM/device there or refused.
  bool read_phys(u64 pa, unsigned size, u64& value);
  bool write_phys(u64 pa, unsigned size, u64 value);
  // Copies into RAM, ignoring the read-only flag (image loading). false if not all in one RAM block.
  bool load_image(u64 pa, const u8* data, u64 len);

  // Device DMA: copies between guest RAM and the host, all or nothing. false (nothing copied) if
  // any byte of [pa, pa+len) is outside RAM or the range wraps: a hostile guest's bad address is
  // an error for the device, never a host out-of-bounds access. Writes (these and write_phys)
  // drop the decoded code they overwrite (through the code-write handler).
  bool dma_read(u64 pa, void* dst, u64 len) const;
  bool dma_write(u64 pa, const void* src, u64 len);
  // Called with (ctx, pa, len) before a write into RAM reaches a page holding decoded
  // instructions (CodeCache::invalidate_range).
  void set_code_write_handler(void (*handler)(void*, u64, u64), void* ctx) {
    on_code_write_ = handler;
    on_code_write_ctx_ = ctx;
  }

  // Stores into [pa, pa+len) of RAM land in RAM and are then reported to `watcher` (offset, size, value).
  // This is how HTIF's tohost works: it is ordinary memory that a host device watches.
  void add_store_watch(u64 pa, u64 len, MmioDevice* watcher);
  void notify_store(u64 pa, unsigned size, u64 value);

 private:
  std::vector<std::unique_ptr<RamBlock>> ram_;
  std::vector<MmioRegion> mmio_;
  std::vector<MmioRegion> watches_;
  void note_code_write(const RamBlock& b, u64 pa, u64 len);

  void (*on_code_write_)(void*, u64, u64) = nullptr;
  void* on_code_write_ctx_ = nullptr;
  RamBlock* last_ram_ = nullptr;
};

}  // namespace lockstep::core
