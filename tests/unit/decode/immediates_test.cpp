// Immediates at their extremes (and each scattered bit) for every format, hand-encoded and
// hand-computed from the ISA manual's figures. Sign: only I, S, B, U, J, CI, CB-andi, CB-branch
// and CJ immediates sign-extend; CSR numbers, shift amounts and the scaled compressed offsets do not.
#include <string>

#include <doctest/doctest.h>

#include "core/decode/table.h"
#include "reference.h"

using namespace lockstep::core;
using namespace lockstep::core::decode;

namespace {

constexpr int kAny = -1;
struct Case {
  u32 raw;
  const char* row;
  int rd, rs1, rs2;
  i64 imm;
  const char* text;  // the instruction in assembler syntax, for the reader
};

constexpr Case kCases[] = {
    // I-type
    {0xfff10093, "addi", 1, 2, kAny, -1, "addi x1,x2,-1"},
    {0x80000013, "addi", 0, 0, kAny, -2048, "addi x0,x0,-2048"},
    {0x7ff00013, "addi", 0, 0, kAny, 2047, "addi x0,x0,2047"},
    {0x800f80e7, "jalr", 1, 31, kAny, -2048, "jalr x1,-2048(x31)"},
    {0x7ff0bf83, "ld", 31, 1, kAny, 2047, "ld x31,2047(x1)"},
    {0x80016083, "lwu", 1, 2, kAny, -2048, "lwu x1,-2048(x2)"},
    // S-type: imm[11:5] in 31:25, imm[4:0] in 11:7
    {0x81f0b023, "sd", kAny, 1, 31, -2048, "sd x31,-2048(x1)"},
    {0x7e002fa3, "sw", kAny, 0, 0, 2047, "sw x0,2047(x0)"},
    {0xfe000fa3, "sb", kAny, 0, 0, -1, "sb x0,-1(x0)"},
    {0x000010a3, "sh", kAny, 0, 0, 1, "sh x0,1(x0)"},
    {0x02001023, "sh", kAny, 0, 0, 32, "sh x0,32(x0)"},
    // B-type: imm[12|10:5] in 31:25, imm[4:1|11] in 11:7
    {0x80000063, "beq", kAny, 0, 0, -4096, "beq x0,x0,.-4096"},
    {0x7fffffe3, "bgeu", kAny, 31, 31, 4094, "bgeu x31,x31,.+4094"},
    {0x00001163, "bne", kAny, 0, 0, 2, "bne x0,x0,.+2"},
    {0x000040e3, "blt", kAny, 0, 0, 2048, "blt x0,x0,.+2048 (imm[11] in bit 7)"},
    {0x02005063, "bge", kAny, 0, 0, 32, "bge x0,x0,.+32 (imm[5] in bit 25)"},
    // U-type
    {0xfffff0b7, "lui", 1, kAny, kAny, -4096, "lui x1,0xfffff"},
    {0x800000b7, "lui", 1, kAny, kAny, -2147483648LL, "lui x1,0x80000"},
    {0x7ffffF97, "auipc", 31, kAny, kAny, 0x7ffff000, "auipc x31,0x7ffff"},
    {0x00001017, "auipc", 0, kAny, kAny, 0x1000, "auipc x0,0x1"},
    // J-type: imm[20|10:1|11|19:12] in 31:12
    {0x8000006f, "jal", 0, kAny, kAny, -1048576, "jal x0,.-1048576"},
    {0x7ffff0ef, "jal", 1, kAny, kAny, 1048574, "jal x1,.+1048574"},
    {0x0010006f, "jal", 0, kAny, kAny, 2048, "jal x0,.+2048 (imm[11] in bit 20)"},
    {0x0000106f, "jal", 0, kAny, kAny, 4096, "jal x0,.+4096 (imm[12] in bit 12)"},
    {0x0020006f, "jal", 0, kAny, kAny, 2, "jal x0,.+2 (imm[1] in bit 21)"},
    // Shift amounts (unsigned; 6 bits in RV64, 5 for the W forms)
    {0x03f09093, "slli", 1, 1, kAny, 63, "slli x1,x1,63"},
    {0x43f0d093, "srai", 1, 1, kAny, 63, "srai x1,x1,63"},
    {0x0200d093, "srli", 1, 1, kAny, 32, "srli x1,x1,32"},
    {0x01f0909b, "slliw", 1, 1, kAny, 31, "slliw x1,x1,31"},
    {0x41f0d09b, "sraiw", 1, 1, kAny, 31, "sraiw x1,x1,31"},
    // CSR numbers are unsigned 12-bit; the CSR immediate sits in rs1
    {0xfff01073, "csrrw", 0, 0, kAny, 0xfff, "csrrw x0,0xfff,x0"},
    {0x800120f3, "csrrs", 1, 2, kAny, 0x800, "csrrs x1,0x800,x2"},
    {0xffffd0f3, "csrrwi", 1, 31, kAny, 0xfff, "csrrwi x1,0xfff,31"},
    // fence: fm|pred|succ, unsigned
    {0x0ff0000f, "fence", kAny, kAny, kAny, 0xff, "fence iorw,iorw"},
    {0x8330000f, "fence", kAny, kAny, kAny, 0x833, "fence.tso"},

    // CIW: c.addi4spn nzuimm[5:4|9:6|2|3] in 12:5, scaled by 4, rs1 = x2
    {0x1fe0, "c.addi4spn", 8, 2, kAny, 1020, "c.addi4spn x8,x2,1020"},
    {0x005c, "c.addi4spn", 15, 2, kAny, 4, "c.addi4spn x15,x2,4"},
    {0x0020, "c.addi4spn", 8, 2, kAny, 8, "c.addi4spn x8,x2,8"},
    // CL/CS: uimm[5:3] in 12:10, uimm[2|6] (word) or uimm[7:6] (double) in 6:5
    {0x5fe0, "c.lw", 8, 15, kAny, 124, "c.lw x8,124(x15)"},
    {0xc040, "c.sw", kAny, 8, 8, 4, "c.sw x8,4(x8)"},
    {0x7c7c, "c.ld", 15, 8, kAny, 248, "c.ld x15,248(x8)"},
    {0xfd64, "c.sd", kAny, 10, 9, 248, "c.sd x9,248(x10)"},
    {0x2400, "c.fld", 8, 8, kAny, 8, "c.fld f8,8(x8)"},
    {0xa020, "c.fsd", kAny, 8, 8, 64, "c.fsd f8,64(x8)"},
    // CI: imm[5] in 12, imm[4:0] in 6:2, signed
    {0x1081, "c.addi", 1, 1, kAny, -32, "c.addi x1,-32"},
    {0x0ffd, "c.addi", 31, 31, kAny, 31, "c.addi x31,31"},
    {0x30fd, "c.addiw", 1, 1, kAny, -1, "c.addiw x1,-1"},
    {0x5501, "c.li", 10, 0, kAny, -32, "c.li x10,-32"},
    {0x7081, "c.lui", 1, kAny, kAny, -131072, "c.lui x1,0xfffe0"},
    {0x6ffd, "c.lui", 31, kAny, kAny, 0x1f000, "c.lui x31,0x1f"},
    {0x6185, "c.lui", 3, kAny, kAny, 0x1000, "c.lui x3,0x1"},
    // c.addi16sp: nzimm[9|4|6|8:7|5] in 12, 6:2, scaled by 16, rd = rs1 = x2
    {0x7101, "c.addi16sp", 2, 2, kAny, -512, "c.addi16sp x2,-512"},
    {0x617d, "c.addi16sp", 2, 2, kAny, 496, "c.addi16sp x2,496"},
    {0x6141, "c.addi16sp", 2, 2, kAny, 16, "c.addi16sp x2,16 (imm[4] in bit 6)"},
    {0x6121, "c.addi16sp", 2, 2, kAny, 64, "c.addi16sp x2,64 (imm[6] in bit 5)"},
    // CI shifts and CB: shamt[5] in 12, shamt[4:0] in 6:2, unsigned; c.andi signed
    {0x1ffe, "c.slli", 31, 31, kAny, 63, "c.slli x31,63"},
    {0x907d, "c.srli", 8, 8, kAny, 63, "c.srli x8,63"},
    {0x9781, "c.srai", 15, 15, kAny, 32, "c.srai x15,32"},
    {0x9881, "c.andi", 9, 9, kAny, -32, "c.andi x9,-32"},
    {0x887d, "c.andi", 8, 8, kAny, 31, "c.andi x8,31"},
    // CI loads from sp: c.lwsp uimm[5|4:2|7:6], c.ldsp uimm[5|4:3|8:6]
    {0x50fe, "c.lwsp", 1, 2, kAny, 252, "c.lwsp x1,252(x2)"},
    {0x4f92, "c.lwsp", 31, 2, kAny, 4, "c.lwsp x31,4(x2)"},
    {0x70fe, "c.ldsp", 1, 2, kAny, 504, "c.ldsp x1,504(x2)"},
    {0x60a2, "c.ldsp", 1, 2, kAny, 8, "c.ldsp x1,8(x2)"},
    {0x2086, "c.fldsp", 1, 2, kAny, 64, "c.fldsp f1,64(x2)"},
    // CSS stores to sp: c.swsp uimm[5:2|7:6], c.sdsp uimm[5:3|8:6]
    {0xdffe, "c.swsp", kAny, 2, 31, 252, "c.swsp x31,252(x2)"},
    {0xff82, "c.sdsp", kAny, 2, 0, 504, "c.sdsp x0,504(x2)"},
    {0xe402, "c.sdsp", kAny, 2, 0, 8, "c.sdsp x0,8(x2)"},
    {0xa402, "c.fsdsp", kAny, 2, 0, 8, "c.fsdsp f0,8(x2)"},
    // CB branches: offset[8|4:3] in 12:10, offset[7:6|2:1|5] in 6:2, rs2 = x0
    {0xd001, "c.beqz", kAny, 8, 0, -256, "c.beqz x8,.-256"},
    {0xeffd, "c.bnez", kAny, 15, 0, 254, "c.bnez x15,.+254"},
    {0xc005, "c.beqz", kAny, 8, 0, 32, "c.beqz x8,.+32 (offset[5] in bit 2)"},
    {0xc009, "c.beqz", kAny, 8, 0, 2, "c.beqz x8,.+2 (offset[1] in bit 3)"},
    {0xc401, "c.beqz", kAny, 8, 0, 8, "c.beqz x8,.+8 (offset[3] in bit 10)"},
    {0xc021, "c.beqz", kAny, 8, 0, 64, "c.beqz x8,.+64 (offset[6] in bit 5)"},
    // CJ: offset[11|4|9:8|10|6|7|3:1|5] in 12:2, rd = x0
    {0xb001, "c.j", 0, kAny, kAny, -2048, "c.j .-2048"},
    {0xaffd, "c.j", 0, kAny, kAny, 2046, "c.j .+2046"},
    {0xa009, "c.j", 0, kAny, kAny, 2, "c.j .+2 (offset[1] in bit 3)"},
    {0xa801, "c.j", 0, kAny, kAny, 16, "c.j .+16 (offset[4] in bit 11)"},
    {0xa101, "c.j", 0, kAny, kAny, 1024, "c.j .+1024 (offset[10] in bit 8)"},
    {0xa201, "c.j", 0, kAny, kAny, 256, "c.j .+256 (offset[8] in bit 9)"},
    {0xa081, "c.j", 0, kAny, kAny, 64, "c.j .+64 (offset[6] in bit 7)"},
    {0xa041, "c.j", 0, kAny, kAny, 128, "c.j .+128 (offset[7] in bit 6)"},
    {0xa005, "c.j", 0, kAny, kAny, 32, "c.j .+32 (offset[5] in bit 2)"},
    // CR: fixed operands of the expansions
    {0x8082, "c.jr", 0, 1, kAny, 0, "c.jr x1 = jalr x0,0(x1)"},
    {0x9f82, "c.jalr", 1, 31, kAny, 0, "c.jalr x31 = jalr x1,0(x31)"},
    {0x80fe, "c.mv", 1, 0, 31, kAny, "c.mv x1,x31 = add x1,x0,x31"},
    {0x9f86, "c.add", 31, 31, 1, kAny, "c.add x31,x1"},
    {0x9002, "c.ebreak", kAny, kAny, kAny, kAny, "c.ebreak"},
    // CA
    {0x8c1d, "c.sub", 8, 8, 15, kAny, "c.sub x8,x15"},
    {0x9fa1, "c.addw", 15, 15, 8, kAny, "c.addw x15,x8"},
};

}  // namespace

TEST_CASE("decode: immediates at their extremes, every format") {
  for (const Case& c : kCases) {
    CAPTURE(c.text);
    CAPTURE(lockstep::tests::decode::hex(c.raw, (c.raw & 3) == 3 ? 4 : 2));
    Insn i;
    REQUIRE(lockstep::core::decode::decode(c.raw, i));
    CHECK(row(i.row).mnemonic == c.row);
    CHECK(i.len == ((c.raw & 3) == 3 ? 4 : 2));
    if (c.rd != kAny) CHECK(int{i.rd} == c.rd);
    if (c.rs1 != kAny) CHECK(int{i.rs1} == c.rs1);
    if (c.rs2 != kAny) CHECK(int{i.rs2} == c.rs2);
    if (c.imm != kAny) CHECK(i.imm == c.imm);
  }
}

TEST_CASE("decode: A and F/D operand fields") {
  Insn i;
  // amoswap.d.aqrl x1,x2,(x3): aq/rl in rm (bit 1 = aq, bit 0 = rl)
  REQUIRE(decode32(0x0e21b0af, i));
  CHECK(row(i.row).mnemonic == "amoswap.d");
  CHECK(i.rd == 1);
  CHECK(i.rs1 == 3);
  CHECK(i.rs2 == 2);
  CHECK(i.rm == 3);
  // lr.w.aq x1,(x2)
  REQUIRE(decode32(0x140120af, i));
  CHECK(row(i.row).mnemonic == "lr.w");
  CHECK(i.rm == 2);
  // fmadd.d f1,f2,f3,f31,rmm
  REQUIRE(decode32(0xfa3140c3, i));
  CHECK(row(i.row).mnemonic == "fmadd.d");
  CHECK(i.rd == 1);
  CHECK(i.rs1 == 2);
  CHECK(i.rs2 == 3);
  CHECK(i.rs3 == 31);
  CHECK(i.rm == 4);
}
