/* RV64I + M: every instruction class on a grid of interesting operands. Each line is
 * "<op> <a>: r(b0) r(b1) ..." so a wrong result shows the operation and both inputs. */
#include "guest.h"

static const u64 vals[] = {
    0x0000000000000000ul, 0x0000000000000001ul, 0xfffffffffffffffful, 0x7ffffffffffffffful,
    0x8000000000000000ul, 0x000000007ffffffful, 0x0000000080000000ul, 0x00000000fffffffful,
    0xffffffff80000000ul, 0x123456789abcdef0ul, 0xfffffffffffffff9ul, 0x0000000000000003ul,
    0x000000000000003ful, 0x0000000000000040ul, 0x8000000000000001ul, 0x00000000000000a5ul,
};
#define NV (sizeof vals / sizeof vals[0])

#define RR(name)                                                                  \
  static u64 op_##name(u64 a, u64 b) {                                           \
    u64 r;                                                                       \
    __asm__ volatile(#name " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));            \
    return r;                                                                    \
  }
RR(add) RR(sub) RR(sll) RR(slt) RR(sltu) RR(xor) RR(srl) RR(sra) RR(or) RR(and)
RR(addw) RR(subw) RR(sllw) RR(srlw) RR(sraw)
RR(mul) RR(mulh) RR(mulhsu) RR(mulhu) RR(div) RR(divu) RR(rem) RR(remu)
RR(mulw) RR(divw) RR(divuw) RR(remw) RR(remuw)

struct rr_op { const char* name; u64 (*fn)(u64, u64); };
static const struct rr_op rr_ops[] = {
#define E(n) {#n, op_##n},
    E(add) E(sub) E(sll) E(slt) E(sltu) E(xor) E(srl) E(sra) E(or) E(and)
    E(addw) E(subw) E(sllw) E(srlw) E(sraw)
    E(mul) E(mulh) E(mulhsu) E(mulhu) E(div) E(divu) E(rem) E(remu)
    E(mulw) E(divw) E(divuw) E(remw) E(remuw)
#undef E
};

#define RI(name, imm)                                                            \
  static u64 op_##name##_##imm(u64 a) {                                          \
    u64 r;                                                                       \
    __asm__ volatile(#name " %0, %1, " #imm : "=r"(r) : "r"(a));                 \
    return r;                                                                    \
  }
#define RIN(name, tag, imm)                                                      \
  static u64 op_##name##_##tag(u64 a) {                                          \
    u64 r;                                                                       \
    __asm__ volatile(#name " %0, %1, " #imm : "=r"(r) : "r"(a));                 \
    return r;                                                                    \
  }
RI(addi, 0) RI(addi, 1) RI(addi, 2047) RIN(addi, m1, -1) RIN(addi, m2048, -2048)
RI(slti, 0) RI(slti, 1) RIN(slti, m1, -1) RI(slti, 2047) RIN(slti, m2048, -2048)
RI(sltiu, 0) RI(sltiu, 1) RIN(sltiu, m1, -1) RI(sltiu, 2047) RIN(sltiu, m2048, -2048)
RI(xori, 0) RIN(xori, m1, -1) RI(xori, 1365) RIN(xori, m2048, -2048)
RI(ori, 0) RIN(ori, m1, -1) RI(ori, 1365) RIN(ori, m2048, -2048)
RI(andi, 0) RIN(andi, m1, -1) RI(andi, 1365) RIN(andi, m2048, -2048)
RI(slli, 0) RI(slli, 1) RI(slli, 31) RI(slli, 32) RI(slli, 63)
RI(srli, 0) RI(srli, 1) RI(srli, 31) RI(srli, 32) RI(srli, 63)
RI(srai, 0) RI(srai, 1) RI(srai, 31) RI(srai, 32) RI(srai, 63)
RI(addiw, 0) RI(addiw, 1) RIN(addiw, m1, -1) RI(addiw, 2047) RIN(addiw, m2048, -2048)
RI(slliw, 0) RI(slliw, 1) RI(slliw, 31)
RI(srliw, 0) RI(srliw, 1) RI(srliw, 31)
RI(sraiw, 0) RI(sraiw, 1) RI(sraiw, 31)

struct ri_op { const char* name; u64 (*fn)(u64); };
static const struct ri_op ri_ops[] = {
#define E(n, i) {#n " " #i, op_##n##_##i},
    E(addi, 0) E(addi, 1) E(addi, 2047) E(addi, m1) E(addi, m2048)
    E(slti, 0) E(slti, 1) E(slti, m1) E(slti, 2047) E(slti, m2048)
    E(sltiu, 0) E(sltiu, 1) E(sltiu, m1) E(sltiu, 2047) E(sltiu, m2048)
    E(xori, 0) E(xori, m1) E(xori, 1365) E(xori, m2048)
    E(ori, 0) E(ori, m1) E(ori, 1365) E(ori, m2048)
    E(andi, 0) E(andi, m1) E(andi, 1365) E(andi, m2048)
    E(slli, 0) E(slli, 1) E(slli, 31) E(slli, 32) E(slli, 63)
    E(srli, 0) E(srli, 1) E(srli, 31) E(srli, 32) E(srli, 63)
    E(srai, 0) E(srai, 1) E(srai, 31) E(srai, 32) E(srai, 63)
    E(addiw, 0) E(addiw, 1) E(addiw, m1) E(addiw, 2047) E(addiw, m2048)
    E(slliw, 0) E(slliw, 1) E(slliw, 31)
    E(srliw, 0) E(srliw, 1) E(srliw, 31)
    E(sraiw, 0) E(sraiw, 1) E(sraiw, 31)
#undef E
};

/* Branches: bit i of the result = branch taken for vals[i] as rs2. */
#define BR(name)                                                                 \
  static u64 br_##name(u64 a, u64 b) {                                           \
    u64 r = 0;                                                                   \
    __asm__ volatile(#name " %1, %2, 1f\n li %0, 0\n j 2f\n1: li %0, 1\n2:"      \
                     : "=&r"(r) : "r"(a), "r"(b));                               \
    return r;                                                                    \
  }
BR(beq) BR(bne) BR(blt) BR(bge) BR(bltu) BR(bgeu)
static const struct rr_op br_ops[] = {
#define E(n) {#n, br_##n},
    E(beq) E(bne) E(blt) E(bge) E(bltu) E(bgeu)
#undef E
};

extern void int_jumps(u64* out);
extern void int_loads(u64* out, const void* src);
extern void int_stores(void* dst);
extern void int_misc(u64* out);

static u64 mem_src[4] __attribute__((aligned(16))) = {0x8899aabbccddeeffu, 0x0123456789abcdefu, 0xfedcba9876543210u, 0};
static u64 mem_dst[16] __attribute__((aligned(16)));

int main(void) {
  for (unsigned o = 0; o < sizeof rr_ops / sizeof rr_ops[0]; o++) {
    for (unsigned i = 0; i < NV; i++) {
      printf_("%s %lx:", rr_ops[o].name, vals[i]);
      for (unsigned j = 0; j < NV; j++) {
        u64 r = rr_ops[o].fn(vals[i], vals[j]);
        printf_(" %lx", r);
      }
      putchar_('\n');
    }
  }
  for (unsigned o = 0; o < sizeof ri_ops / sizeof ri_ops[0]; o++) {
    printf_("%s:", ri_ops[o].name);
    for (unsigned i = 0; i < NV; i++) printf_(" %lx", ri_ops[o].fn(vals[i]));
    putchar_('\n');
  }
  for (unsigned o = 0; o < sizeof br_ops / sizeof br_ops[0]; o++) {
    printf_("%s:", br_ops[o].name);
    for (unsigned i = 0; i < NV; i++) {
      u64 bits = 0;
      for (unsigned j = 0; j < NV; j++) bits |= br_ops[o].fn(vals[i], vals[j]) << j;
      printf_(" %x", (u32)bits);
    }
    putchar_('\n');
  }

  u64 out[32];
  memset(out, 0, sizeof out);
  int_jumps(out);
  for (int i = 0; i < 8; i++) printf_("jump[%d] = %lx\n", i, out[i]);

  memset(out, 0, sizeof out);
  int_loads(out, mem_src);
  for (int i = 0; i < 20; i++) printf_("load[%d] = %lx\n", i, out[i]);

  memset(mem_dst, 0x5a, sizeof mem_dst);
  int_stores(mem_dst);
  for (int i = 0; i < 9; i++) printf_("store[%d] = %lx\n", i, mem_dst[i]);

  memset(out, 0, sizeof out);
  int_misc(out);
  for (int i = 0; i < 12; i++) printf_("misc[%d] = %lx\n", i, out[i]);

  /* Self-checks of the architecturally defined corner cases. */
  check_eq("div by zero = -1", op_div(5, 0), ~0ul);
  check_eq("divu by zero = all ones", op_divu(5, 0), ~0ul);
  check_eq("rem by zero = dividend", op_rem(5, 0), 5);
  check_eq("remu by zero = dividend", op_remu(5, 0), 5);
  check_eq("div overflow", op_div(0x8000000000000000ul, ~0ul), 0x8000000000000000ul);
  check_eq("rem overflow", op_rem(0x8000000000000000ul, ~0ul), 0);
  check_eq("divw by zero", op_divw(5, 0), ~0ul);
  check_eq("divuw by zero", op_divuw(5, 0), ~0ul);
  check_eq("remw by zero sign-extends", op_remw(0x80000000ul, 0), 0xffffffff80000000ul);
  check_eq("remuw by zero sign-extends", op_remuw(0xfffffffful, 0), ~0ul);
  check_eq("divw overflow", op_divw(0x80000000ul, ~0ul), 0xffffffff80000000ul);
  check_eq("remw overflow", op_remw(0x80000000ul, ~0ul), 0);
  check_eq("sllw shamt 5 bits", op_sllw(1, 33), 2);
  check_eq("sll shamt 6 bits", op_sll(1, 65), 2);
  check_eq("sraw sign", op_sraw(0x80000000ul, 31), ~0ul);
  check_eq("mulh", op_mulh(~0ul, ~0ul), 0);
  check_eq("mulhu", op_mulhu(~0ul, ~0ul), ~0ul - 1);
  check_eq("mulhsu", op_mulhsu(~0ul, ~0ul), ~0ul);
  return check_failures;
}
