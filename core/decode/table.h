#pragma once
#include <span>
#include <string_view>

#include "core/insn.h"

namespace lockstep::core::decode {

// How a row's operands sit in the instruction bits.
enum class Format : u8 {
  R,       // rd, rs1, rs2
  R4,      // rd, rs1, rs2, rs3, rm  (fused multiply-add)
  RFrm,    // rd, rs1, rs2, rm       (FP arithmetic with a rounding mode)
  R1Frm,   // rd, rs1, rm            (fsqrt, fcvt)
  R1,      // rd, rs1                (fmv, fclass)
  I,       // rd, rs1, imm[11:0]
  IShift,  // rd, rs1, shamt (6 bits, RV64)
  IShiftW, // rd, rs1, shamt (5 bits)
  S,       // rs1, rs2, imm
  B,       // rs1, rs2, branch offset
  U,       // rd, imm[31:12]
  J,       // rd, jump offset
  Csr,     // rd, rs1, csr number in imm
  CsrI,    // rd, uimm in rs1, csr number in imm
  Amo,     // rd, rs1, rs2, aq/rl in rm
  Lr,      // rd, rs1, aq/rl in rm
  Fence,   // pred/succ in imm
  None,    // no operands (ecall, mret, ...)
  SfenceVma,  // rs1, rs2
};

// Instruction-set extensions a row belongs to.
enum class Ext : u8 { I, M, A, F, D, C, Zicsr, Zifencei, Priv };

// One row of the decode table: a fact from the ISA specification.
struct InsnRow {
  std::string_view mnemonic;
  u32 mask;
  u32 match;
  Format format;
  Ext ext;
  SemFn fn;
};

// Rows by extension; each lives beside the semantics it names.
std::span<const InsnRow> rows_i();
std::span<const InsnRow> rows_m();
std::span<const InsnRow> rows_a();
std::span<const InsnRow> rows_fd();
std::span<const InsnRow> rows_system();  // Zicsr, Zifencei, privileged

// The whole table, in one fixed order (row indices are stable within a build).
std::span<const InsnRow> all_rows();

// Decodes a 32-bit instruction. Returns false for an illegal encoding (i.fn = illegal semantics).
bool decode32(u32 raw, Insn& out);
// Decodes a 16-bit compressed instruction into its 32-bit equivalent's semantics.
bool decode16(u16 raw, Insn& out);
// Decodes either, by the low two bits.
inline bool decode(u32 raw, Insn& out) {
  return (raw & 3) == 3 ? decode32(raw, out) : decode16(static_cast<u16>(raw), out);
}

const InsnRow& row(u16 index);

}  // namespace lockstep::core::decode
