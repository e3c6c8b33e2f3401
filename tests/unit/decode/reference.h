#pragma once
// Turns objdump's text for one instruction into the fields lockstep's decoder must produce:
// the decode-table row and the operands of the (expanded) instruction. The operand syntax of
// each mnemonic, and the fixed operands of each compressed expansion (c.j -> jal x0, c.jalr ->
// jalr x1, c.li -> addi rd,x0, ...), are written here by hand from the ISA manual; the values
// come from objdump. Nothing here reads lockstep's decode table.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/insn.h"
#include "objdump.h"

namespace lockstep::tests::decode {

struct Expected {
  std::string row;  // lockstep row mnemonic ("c.slli" for objdump's "c.slli64", "amoadd.w" for "amoadd.w.aq")
  std::optional<int> rd, rs1, rs2, rs3, rm;
  std::optional<int64_t> imm;
  std::vector<std::string> regs;  // register operands as objdump printed them ("x5", "f3"), in order
};

// The name objdump prints for a CSR (a number in hex when it has none) -> CSR number.
using CsrNames = std::unordered_map<std::string, unsigned>;

// Returns the expectation, or nullopt with `error` set when the text does not parse (an unknown
// mnemonic, or operands that do not fit the mnemonic's syntax).
std::optional<Expected> expect_from(const RefInsn& ref, uint64_t pc, const CsrNames& csrs, std::string& error);

// Differences between what lockstep decoded and the expectation ("" when they agree).
std::string compare(const core::Insn& got, const Expected& want);

// Differences between lockstep's disassembly and objdump's ("" when they agree): the mnemonic
// (objdump's, aq/rl suffixes included; RV128's c.slli64/c.srli64/c.srai64 read as the RV64
// names) and the register operands in order. Immediates, targets, CSR and rounding-mode spelling
// are not compared (lockstep's formatting differs by design).
std::string compare_disasm(const std::string& text, const RefInsn& ref, const Expected& want);

// Failures grouped by kind, each with a count and its first example, for readable reports.
struct Failures {
  std::map<std::string, std::pair<size_t, std::string>> by_kind;
  size_t total = 0;
  void add(const std::string& kind, const std::string& example);
  void report() const;  // one doctest MESSAGE per kind
};

// "0x0000" / "0x00000000" style hex for messages.
std::string hex(uint32_t v, unsigned width);

}  // namespace lockstep::tests::decode
