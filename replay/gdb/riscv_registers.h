#pragma once
// The hart as gdb sees it: gdb's RISC-V register numbers (gdb/riscv-tdep.h), which the target
// description below also makes the remote protocol's numbers, the target description XML
// (features org.gnu.gdb.riscv.cpu, .fpu, .csr, .virtual), and reads and writes of one register.
//
// Which CSRs are described is not a list kept here: every CSR number that core's csr_read accepts
// (at M-mode with the FPU on) is, under its name from the table in riscv_registers.cpp; a unit test
// fails when core implements a CSR the table cannot name.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/hart.h"
#include "core/result.h"

namespace lockstep::replay::gdb {

inline constexpr unsigned kRegPc = 32;
inline constexpr unsigned kRegFirstFpr = 33;
inline constexpr unsigned kRegFirstCsr = 65;  // + the CSR number (fflags 66, frm 67, fcsr 68)
inline constexpr unsigned kRegPriv = kRegFirstCsr + 4096;
inline constexpr unsigned kGPacketRegisters = 33;  // x0..x31, pc: what the 'g' packet carries

// The architectural name of CSR `number`, or "" when the table has none.
std::string_view csr_name(std::uint16_t number);
// The CSR numbers core implements, in order.
std::vector<std::uint16_t> implemented_csrs();
// The whole target description, built once.
const std::string& riscv_target_xml();

// Register `regnum` of `h` in the target's byte order. Reads have no side effects (CSRs are read
// as M-mode would, with the FPU enabled, then the hart's mode is put back).
Result<std::vector<std::uint8_t>> read_register(core::Hart& h, unsigned regnum);
// Writes go through the CSR write rules (WARL fields, read-only CSRs refused); x0 ignores writes.
Status write_register(core::Hart& h, unsigned regnum, std::span<const std::uint8_t> value);

}  // namespace lockstep::replay::gdb
