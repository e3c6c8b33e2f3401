#pragma once
// The reference disassembler: Debian's riscv64-unknown-elf-objdump (binutils 2.40), found on PATH
// at run time, run once over a raw binary of many instruction words.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lockstep::tests::decode {

// One line of objdump output: "c.addi4spn" + "x8,x2,8". An illegal encoding is nullopt
// (objdump prints ".2byte 0x.." / ".4byte 0x..").
struct RefInsn {
  std::string mnemonic;
  std::string operands;  // as printed, trailing "# comment" removed
};

struct RefRun {
  std::vector<std::optional<RefInsn>> insns;  // one per input word, same order
  std::string error;                           // non-empty when objdump could not be run or parsed
};

// Disassembles `words` (each `width` bytes, 2 or 4, little-endian, laid out from address 0) with
// `objdump -D -z -b binary -m riscv:rv64 -M no-aliases,numeric`. Raw binary input makes objdump
// use its default ISA, rv64gc. Every word must be exactly `width` bytes long as an instruction
// (16-bit: low bits != 11; 32-bit: low bits 11 and bits 4:2 != 111).
RefRun objdump_words(const std::vector<uint32_t>& words, unsigned width);

}  // namespace lockstep::tests::decode
