#pragma once
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
  // One flag per page: decoded instructions were taken from this page.
  std::vector<u8> code_pages;

  bool contains(u64 pa, u64 len) const { return pa >= base && pa - base < size && len <= size - (pa - base); }
};

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

  RamBlock& add_ram(std::string name, u64 base, u64 size, bool read_only = false);
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

 private:
  std::vector<std::unique_ptr<RamBlock>> ram_;
  std::vector<MmioRegion> mmio_;
  RamBlock* last_ram_ = nullptr;
};

}  // namespace lockstep::core
