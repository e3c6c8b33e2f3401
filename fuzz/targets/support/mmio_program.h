#pragma once
// Device MMIO programs decoded from fuzz input: a sequence of register accesses against the devices
// of the virt board, each followed by an instruction-count advance (timers, the RTC alarm and
// virtio's interrupt lines move with it).
//
// One access is 12 bytes: device (u8), control (u8: bits 0-1 log2 size, bit 2 write, bit 3 "use a
// known register offset", bits 4-7 advance), offset (u16 LE), value (u64 LE). With bit 3 the
// offset indexes the device's table of register offsets (so the fuzzer does not have to find the
// PLIC's enable bits among 6 MiB), else it is taken modulo the window size. Advance k > 0 runs
// 2^(k-1) instructions.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/types.h"
#include "machines/virt/virt_machine.h"

namespace lockstep::fuzz {

struct MmioWindow {
  const char* name;
  core::u64 base;
  core::u64 size;
  std::vector<core::u64> registers;  // offsets worth hitting
};

// Every device window of the small machine (small_machine.h): sifive_test, goldfish RTC, ACLINT
// MSWI and MTIMER, PLIC, UART, and the eight virtio-mmio slots (the top two hold blk and rng).
const std::vector<MmioWindow>& virt_mmio_windows();

struct MmioAccess {
  const MmioWindow* window = nullptr;
  core::u64 offset = 0;
  unsigned size = 4;
  bool write = false;
  core::u64 value = 0;
  core::u64 advance = 0;  // instructions to run after the access

  std::string describe() const;
};

inline constexpr std::size_t kMmioAccessBytes = 12;

// Decodes the access at the start of `bytes` (kMmioAccessBytes of them) against `windows`.
MmioAccess decode_mmio_access(std::span<const std::uint8_t> bytes, const std::vector<MmioWindow>& windows);

// Performs the access on the machine's bus (a refused access is fine), then runs the advance.
void perform_mmio_access(machines::virt::VirtMachine& m, const MmioAccess& a);

}  // namespace lockstep::fuzz
