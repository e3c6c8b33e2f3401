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
  // Compressed formats, named by how the immediate is scattered (RVC spec, table 16.x).
  CR,          // rd/rs1, rs2 (full registers)
  CI,          // rd/rs1, imm[5|4:0] signed
  CIShift,     // rd/rs1, uimm[5|4:0]
  CILui,       // rd, imm[17|16:12]
  CIAddi16sp,  // imm[9|4|6|8:7|5] scaled by 16
  CILwsp,      // rd, uimm[5|4:2|7:6]
  CILdsp,      // rd, uimm[5|4:3|8:6]
  CSSSwsp,     // rs2, uimm[5:2|7:6]
  CSSSdsp,     // rs2, uimm[5:3|8:6]
  CIWAddi4spn, // rd', uimm[5:4|9:6|2|3]
  CLw,         // rd', rs1', uimm[5:3|2|6]   (also CS stores with rs2')
  CLd,         // rd', rs1', uimm[5:3|7:6]
  CSw,         // rs1', rs2', uimm[5:3|2|6]
  CSd,         // rs1', rs2', uimm[5:3|7:6]
  CA,          // rd'/rs1', rs2'
  CBShift,     // rd'/rs1', uimm[5|4:0]
  CBAndi,      // rd'/rs1', imm[5|4:0]
  CBBranch,    // rs1', offset[8|4:3|7:6|2:1|5]
  CJ,          // offset[11|4|9:8|10|6|7|3:1|5]
};

// Encodings the specification reserves within a row's match (checked after operand extraction).
enum Constraint : u8 {
  kNone = 0,
  kRdNonZero = 1,   // rd == 0 is reserved
  kImmNonZero = 2,  // imm == 0 is reserved
  kRs1NonZero = 4,
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
  u8 constraints = kNone;
  // Fixed register operands of compressed expansions (0xff = from the encoding).
  u8 fixed_rd = 0xff, fixed_rs1 = 0xff;
};

// Rows by extension; each lives beside the semantics it names.
std::span<const InsnRow> rows_i();
std::span<const InsnRow> rows_m();
std::span<const InsnRow> rows_a();
std::span<const InsnRow> rows_fd();
std::span<const InsnRow> rows_system();  // Zicsr, Zifencei, privileged
std::span<const InsnRow> rows_c();       // 16-bit: mask/match are 16-bit, fn is the expansion's semantics

// The whole table (32-bit rows, then compressed), in one fixed order; row indices are stable within a build.
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

// True for rows whose instruction may redirect control or change machine state that later
// instructions depend on (branches, jumps, CSR and system instructions): a block ends there.
bool ends_block(const InsnRow& r);

}  // namespace lockstep::core::decode
