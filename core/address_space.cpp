#include "core/address_space.h"

#include <sys/mman.h>

#include <cstring>

namespace lockstep::core {

AddressSpace::~AddressSpace() {
  for (auto& b : ram_) munmap(b->host, b->size);
}

RamBlock* AddressSpace::add_ram(std::string name, u64 base, u64 size, bool read_only) {
  // Anonymous mappings are zero-filled lazily: a 1 GiB guest costs only the pages it touches.
  void* mem = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) return nullptr;
  auto block = std::make_unique<RamBlock>();
  block->name = std::move(name);
  block->base = base;
  block->size = size;
  block->host = static_cast<u8*>(mem);
  block->read_only = read_only;
  block->page_flags.assign((size + kPageSize - 1) / kPageSize, 0);
  block->dirty_bitmap.assign((block->page_flags.size() + 63) / 64, 0);
  ram_.push_back(std::move(block));
  return ram_.back().get();
}

void AddressSpace::add_mmio(std::string name, u64 base, u64 size, MmioDevice* device) {
  mmio_.push_back(MmioRegion{std::move(name), base, size, device});
}

RamBlock* AddressSpace::find_ram(u64 pa, u64 len) {
  if (last_ram_ && last_ram_->contains(pa, len)) return last_ram_;
  for (auto& b : ram_) {
    if (b->contains(pa, len)) {
      last_ram_ = b.get();
      return last_ram_;
    }
  }
  return nullptr;
}

const RamBlock* AddressSpace::find_ram(u64 pa, u64 len) const {
  for (auto& b : ram_) {
    if (b->contains(pa, len)) return b.get();
  }
  return nullptr;
}

MmioRegion* AddressSpace::find_mmio(u64 pa) {
  for (auto& r : mmio_) {
    if (pa >= r.base && pa - r.base < r.size) return &r;
  }
  return nullptr;
}

bool AddressSpace::read_phys(u64 pa, unsigned size, u64& value) {
  if (RamBlock* b = find_ram(pa, size)) {
    value = 0;
    std::memcpy(&value, b->host + (pa - b->base), size);
    return true;
  }
  if (MmioRegion* r = find_mmio(pa)) {
    if (pa - r->base + size > r->size) return false;
    return r->device->read(pa - r->base, size, value);
  }
  return false;
}

bool AddressSpace::write_phys(u64 pa, unsigned size, u64 value) {
  if (RamBlock* b = find_ram(pa, size)) {
    if (b->read_only) return true;  // ROM ignores writes, as QEMU's ROM regions do
    note_code_write(*b, pa, size);
    std::memcpy(b->host + (pa - b->base), &value, size);
    b->mark_dirty(pa, size);
    if (b->page_flags[(pa - b->base) / kPageSize] & kPageWatched) notify_store(pa, size, value);
    return true;
  }
  if (MmioRegion* r = find_mmio(pa)) {
    if (pa - r->base + size > r->size) return false;
    return r->device->write(pa - r->base, size, value);
  }
  return false;
}

bool AddressSpace::load_image(u64 pa, const u8* data, u64 len) {
  if (len == 0) return true;
  RamBlock* b = find_ram(pa, len);
  if (!b) return false;
  std::memcpy(b->host + (pa - b->base), data, len);
  b->mark_dirty(pa, len);
  return true;
}

void AddressSpace::note_code_write(const RamBlock& b, u64 pa, u64 len) {
  if (!on_code_write_) return;
  for (u64 page = (pa - b.base) / kPageSize; page <= (pa - b.base + len - 1) / kPageSize; ++page) {
    if (b.page_flags[page] & kPageHasCode) {
      on_code_write_(on_code_write_ctx_, pa, len);
      return;
    }
  }
}

bool AddressSpace::dma_read(u64 pa, void* dst, u64 len) const {
  if (len == 0) return true;
  const RamBlock* b = find_ram(pa, len);
  if (!b) return false;
  std::memcpy(dst, b->host + (pa - b->base), len);
  return true;
}

bool AddressSpace::dma_write(u64 pa, const void* src, u64 len) {
  if (len == 0) return true;
  RamBlock* b = find_ram(pa, len);
  if (!b || b->read_only) return false;
  note_code_write(*b, pa, len);
  std::memcpy(b->host + (pa - b->base), src, len);
  b->mark_dirty(pa, len);
  return true;
}

void AddressSpace::add_store_watch(u64 pa, u64 len, MmioDevice* watcher) {
  watches_.push_back(MmioRegion{"watch", pa, len, watcher});
  for (u64 a = pa & ~(kPageSize - 1); a < pa + len; a += kPageSize) {
    if (RamBlock* b = find_ram(a)) b->page_flags[(a - b->base) / kPageSize] |= kPageWatched;
  }
}

void AddressSpace::notify_store(u64 pa, unsigned size, u64 value) {
  for (auto& w : watches_) {
    if (pa >= w.base && pa - w.base < w.size) w.device->write(pa - w.base, size, value);
  }
}

}  // namespace lockstep::core
