#pragma once
#include "core/hart.h"
#include "core/types.h"

namespace lockstep::core {

// What an instruction's semantics tells the dispatcher.
enum class Flow : u8 {
  Next,  // retired; pc advances by the instruction length
  Jump,  // retired; the instruction set h.pc
  Trap,  // not retired; h.trap holds cause and tval, h.pc is the faulting instruction
  Sync,  // retired; h.pc set by the instruction; leave the block and re-check interrupts/translation
};

struct Insn;
using SemFn = Flow (*)(Hart&, const Insn&);

// A decoded instruction: operands extracted once, semantics bound. Compressed instructions
// decode to the same semantics as their 32-bit expansion, with len = 2.
struct Insn {
  SemFn fn = nullptr;
  i64 imm = 0;    // sign-extended immediate; CSR number for Zicsr; shamt for shifts
  u32 raw = 0;    // the instruction bits as fetched (16 or 32)
  u8 rd = 0, rs1 = 0, rs2 = 0, rs3 = 0;
  u8 len = 4;
  u8 rm = 0;      // rounding-mode field (F/D), aq/rl bits (A: bit1 = aq, bit0 = rl)
  u16 row = 0;    // index of the decode-table row (disassembly, tracing, statistics)
  u16 handler = 0;  // the interpreter's threaded-code handler for fn (0 = call fn indirectly)
};

inline Flow raise(Hart& h, Exc cause, u64 tval) {
  h.trap = Trap{static_cast<u64>(cause), tval};
  return Flow::Trap;
}

// Counted trap: the exception follows from the instruction bits alone (see Trap::counted).
inline Flow raise_counted(Hart& h, Exc cause, u64 tval) {
  h.trap = Trap{static_cast<u64>(cause), tval, true};
  return Flow::Trap;
}

// Illegal instruction found while executing (a CSR, privilege or rounding-mode check).
inline Flow illegal(Hart& h, const Insn& i) { return raise(h, Exc::IllegalInsn, i.raw); }
// Illegal instruction known from the encoding and static state alone (undecodable opcode,
// FP instruction with mstatus.FS off).
inline Flow illegal_encoding(Hart& h, const Insn& i) { return raise_counted(h, Exc::IllegalInsn, i.raw); }

}  // namespace lockstep::core
