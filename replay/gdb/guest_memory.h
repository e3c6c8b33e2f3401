#pragma once
// Guest memory as the debugger reads and writes it: virtual addresses through the page tables of a
// hart, or physical addresses, RAM only.
//
// Nothing here is seen by the guest: the page-table walk sets no A/D bits and fills no TLB, device
// registers are never read (a read may have side effects: the PLIC claim, the UART's receive
// buffer), and a write goes through the bus's DMA path, which marks pages dirty and drops decoded
// code like any other store. The walk ignores permissions (U, SUM, MXR, PMP): a debugger may look
// at an execute-only page, as QEMU's debug access does.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/hart.h"
#include "core/result.h"

namespace lockstep::replay::gdb {

// The physical address `va` maps to for loads of `h` (its effective data privilege: MPRV applies)
// or for its instruction fetch, or nullopt when the walk finds no valid mapping.
std::optional<std::uint64_t> debug_translate(const core::Hart& h, std::uint64_t va, bool fetch = false);

// Up to `len` bytes from addr on, stopping at the first byte that is not RAM (or not mapped);
// an error when not even the first byte can be read.
Result<std::vector<std::uint8_t>> read_guest(core::Hart& h, std::uint64_t addr, std::size_t len, bool physical);
// Page by page: bytes before an unmapped, ROM or non-RAM page stay written, and the error names it.
Status write_guest(core::Hart& h, std::uint64_t addr, std::span<const std::uint8_t> bytes, bool physical);

}  // namespace lockstep::replay::gdb
