#pragma once
#include "core/insn.h"
#include "core/memory.h"

// RV64I: one plain function per mnemonic. h.pc is the address of the executing instruction.
namespace lockstep::core::sem {

inline u64 sext32(u64 v) { return static_cast<u64>(static_cast<i64>(static_cast<i32>(v))); }

inline Flow lui(Hart& h, const Insn& i) { h.set_x(i.rd, static_cast<u64>(i.imm)); return Flow::Next; }
inline Flow auipc(Hart& h, const Insn& i) { h.set_x(i.rd, h.pc + static_cast<u64>(i.imm)); return Flow::Next; }

inline Flow jal(Hart& h, const Insn& i) {
  h.set_x(i.rd, h.pc + i.len);
  h.pc += static_cast<u64>(i.imm);
  return Flow::Jump;
}
inline Flow jalr(Hart& h, const Insn& i) {
  const u64 target = (h.x[i.rs1] + static_cast<u64>(i.imm)) & ~u64{1};
  h.set_x(i.rd, h.pc + i.len);
  h.pc = target;
  return Flow::Jump;
}

template <typename Cmp>
inline Flow branch(Hart& h, const Insn& i, Cmp taken) {
  if (!taken(h.x[i.rs1], h.x[i.rs2])) return Flow::Next;
  h.pc += static_cast<u64>(i.imm);
  return Flow::Jump;
}
inline Flow beq(Hart& h, const Insn& i) { return branch(h, i, [](u64 a, u64 b) { return a == b; }); }
inline Flow bne(Hart& h, const Insn& i) { return branch(h, i, [](u64 a, u64 b) { return a != b; }); }
inline Flow blt(Hart& h, const Insn& i) { return branch(h, i, [](u64 a, u64 b) { return i64(a) < i64(b); }); }
inline Flow bge(Hart& h, const Insn& i) { return branch(h, i, [](u64 a, u64 b) { return i64(a) >= i64(b); }); }
inline Flow bltu(Hart& h, const Insn& i) { return branch(h, i, [](u64 a, u64 b) { return a < b; }); }
inline Flow bgeu(Hart& h, const Insn& i) { return branch(h, i, [](u64 a, u64 b) { return a >= b; }); }

template <typename T>
inline Flow load_op(Hart& h, const Insn& i) {
  T v;
  if (!load<T>(h, h.x[i.rs1] + static_cast<u64>(i.imm), v)) return Flow::Trap;
  if constexpr (std::is_signed_v<T>) {
    h.set_x(i.rd, static_cast<u64>(static_cast<i64>(v)));
  } else {
    h.set_x(i.rd, static_cast<u64>(v));
  }
  return after_access(h, i);
}
inline Flow lb(Hart& h, const Insn& i) { return load_op<i8>(h, i); }
inline Flow lh(Hart& h, const Insn& i) { return load_op<i16>(h, i); }
inline Flow lw(Hart& h, const Insn& i) { return load_op<i32>(h, i); }
inline Flow ld(Hart& h, const Insn& i) { return load_op<u64>(h, i); }
inline Flow lbu(Hart& h, const Insn& i) { return load_op<u8>(h, i); }
inline Flow lhu(Hart& h, const Insn& i) { return load_op<u16>(h, i); }
inline Flow lwu(Hart& h, const Insn& i) { return load_op<u32>(h, i); }

template <typename T>
inline Flow store_op(Hart& h, const Insn& i) {
  if (!store<T>(h, h.x[i.rs1] + static_cast<u64>(i.imm), static_cast<T>(h.x[i.rs2]))) return Flow::Trap;
  return after_access(h, i);
}
inline Flow sb(Hart& h, const Insn& i) { return store_op<u8>(h, i); }
inline Flow sh(Hart& h, const Insn& i) { return store_op<u16>(h, i); }
inline Flow sw(Hart& h, const Insn& i) { return store_op<u32>(h, i); }
inline Flow sd(Hart& h, const Insn& i) { return store_op<u64>(h, i); }

#define LOCKSTEP_ALU_IMM(name, expr)                  \
  inline Flow name(Hart& h, const Insn& i) {          \
    const u64 a = h.x[i.rs1];                         \
    const u64 b = static_cast<u64>(i.imm);            \
    (void)a; (void)b;                                 \
    h.set_x(i.rd, (expr));                            \
    return Flow::Next;                                \
  }
#define LOCKSTEP_ALU_REG(name, expr)                  \
  inline Flow name(Hart& h, const Insn& i) {          \
    const u64 a = h.x[i.rs1];                         \
    const u64 b = h.x[i.rs2];                         \
    h.set_x(i.rd, (expr));                            \
    return Flow::Next;                                \
  }

LOCKSTEP_ALU_IMM(addi, a + b)
LOCKSTEP_ALU_IMM(slti, u64(i64(a) < i64(b)))
LOCKSTEP_ALU_IMM(sltiu, u64(a < b))
LOCKSTEP_ALU_IMM(xori, a ^ b)
LOCKSTEP_ALU_IMM(ori, a | b)
LOCKSTEP_ALU_IMM(andi, a & b)
LOCKSTEP_ALU_IMM(slli, a << (b & 63))
LOCKSTEP_ALU_IMM(srli, a >> (b & 63))
LOCKSTEP_ALU_IMM(srai, u64(i64(a) >> (b & 63)))
LOCKSTEP_ALU_IMM(addiw, sext32(a + b))
LOCKSTEP_ALU_IMM(slliw, sext32(a << (b & 31)))
LOCKSTEP_ALU_IMM(srliw, sext32(u32(a) >> (b & 31)))
LOCKSTEP_ALU_IMM(sraiw, sext32(u64(i32(a) >> (b & 31))))

LOCKSTEP_ALU_REG(add, a + b)
LOCKSTEP_ALU_REG(sub, a - b)
LOCKSTEP_ALU_REG(sll, a << (b & 63))
LOCKSTEP_ALU_REG(slt, u64(i64(a) < i64(b)))
LOCKSTEP_ALU_REG(sltu, u64(a < b))
LOCKSTEP_ALU_REG(xor_, a ^ b)
LOCKSTEP_ALU_REG(srl, a >> (b & 63))
LOCKSTEP_ALU_REG(sra, u64(i64(a) >> (b & 63)))
LOCKSTEP_ALU_REG(or_, a | b)
LOCKSTEP_ALU_REG(and_, a & b)
LOCKSTEP_ALU_REG(addw, sext32(a + b))
LOCKSTEP_ALU_REG(subw, sext32(a - b))
LOCKSTEP_ALU_REG(sllw, sext32(a << (b & 31)))
LOCKSTEP_ALU_REG(srlw, sext32(u32(a) >> (b & 31)))
LOCKSTEP_ALU_REG(sraw, sext32(u64(i32(a) >> (b & 31))))

// fence orders memory; a single-threaded, in-order emulator has nothing to do.
inline Flow fence(Hart&, const Insn&) { return Flow::Next; }

}  // namespace lockstep::core::sem
