#pragma once
#include <string_view>

#include "core/types.h"

namespace lockstep::machines::virt {

using core::u64;

// QEMU's riscv virt memory map (hw/riscv/virt.c, virt_memmap[]): these addresses are guest
// ABI (firmware and device trees depend on them).
enum class Region { Mrom, Test, Rtc, Clint, Plic, Uart0, Virtio, Flash, Dram };

struct MapRow {
  Region region;
  std::string_view name;
  u64 base;
  u64 size;
};

inline constexpr MapRow kMemoryMap[] = {
    {Region::Mrom, "mrom", 0x1000, 0xf000},
    {Region::Test, "test", 0x100000, 0x1000},
    {Region::Rtc, "rtc", 0x101000, 0x1000},
    {Region::Clint, "clint", 0x2000000, 0x10000},
    {Region::Plic, "plic", 0xc000000, 0x600000},
    {Region::Uart0, "uart0", 0x10000000, 0x100},
    {Region::Virtio, "virtio", 0x10001000, 0x1000},
    {Region::Flash, "flash", 0x20000000, 0x4000000},
    {Region::Dram, "dram", 0x80000000, 0},
};

constexpr const MapRow& map_row(Region r) {
  for (const MapRow& row : kMemoryMap) {
    if (row.region == r) return row;
  }
  return kMemoryMap[0];
}

inline constexpr u64 kClintMtimerOffset = 0x4000;  // mswi at +0, mtimer (mtimecmp..mtime) at +0x4000
// QEMU's RISCV_ACLINT_DEFAULT_MTIMER_SIZE: mtime is its last doubleword; the CLINT's last 16 KiB
// (+0xc000..+0xffff) are unassigned, an access there faults as in QEMU.
inline constexpr u64 kClintMtimerSize = 0x8000;
inline constexpr u64 kClintFrequency = 10'000'000;
inline constexpr u64 kUartClockFrequency = 0x384000;

// PLIC sources (include/hw/riscv/virt.h).
inline constexpr unsigned kVirtioIrqBase = 1;  // slots 0..7 → 1..8
inline constexpr unsigned kUart0Irq = 10;
inline constexpr unsigned kRtcIrq = 11;

}  // namespace lockstep::machines::virt
