// Every 16-bit encoding, against objdump and against the RVC chapter's reserved/HINT rules.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "core/decode/disasm.h"
#include "core/decode/table.h"
#include "objdump.h"
#include "reference.h"

using namespace lockstep::core;
using namespace lockstep::core::decode;
using namespace lockstep::tests::decode;

namespace {

// Where binutils 2.40 and the RISC-V unprivileged specification (chapter "C", RV64) disagree,
// the specification wins. Returns why, or nullptr when objdump is taken as the reference.
const char* spec_overrides_objdump(u16 v) {
  // objdump prints "c.addi16sp x2,0"; the spec: "C.ADDI16SP ... nzimm=0 is reserved".
  if ((v & 0xef83) == 0x6101 && (v & 0x107c) == 0) return "c.addi16sp with nzimm=0 is reserved";
  return nullptr;
}

Insn decoded(u16 v, bool& legal) {
  Insn i;
  legal = decode16(v, i);
  return i;
}

// One objdump run over all 16-bit encodings, compared once; the test cases below report parts.
struct Walk {
  std::string error;  // objdump could not be run
  Failures failures, disasm_failures;
  size_t legal_count = 0, overridden = 0;
};

Walk walk_all() {
  Walk out;
  std::vector<u32> words;
  for (u32 v = 0; v < 0x10000; ++v) {
    if ((v & 3) != 3) words.push_back(v);
  }
  const RefRun ref = objdump_words(words, 2);
  out.error = ref.error;
  if (!ref.error.empty()) return out;

  const CsrNames no_csrs;
  Failures& failures = out.failures;
  Failures& disasm_failures = out.disasm_failures;
  size_t& legal_count = out.legal_count;
  size_t& overridden = out.overridden;
  size_t k = 0;
  for (u32 v = 0; v < 0x10000; ++v) {
    bool legal = false;
    const Insn i = decoded(static_cast<u16>(v), legal);
    const std::string at = hex(v, 2);
    if (i.len != 2 || i.raw != v || legal != (i.row != 0xffff)) failures.add("len/raw/row bookkeeping", at);
    if ((v & 3) == 3) {  // not a 16-bit instruction: decode16 must refuse it
      if (legal) failures.add("low bits 11 decoded as compressed", at);
      continue;
    }
    const size_t index = k++;
    const std::optional<RefInsn>& r = ref.insns[index];
    bool want_legal = r.has_value();
    // The all-zero halfword is the defined illegal instruction; objdump names it "c.unimp".
    if (r && r->mnemonic == "c.unimp") want_legal = false;
    if (const char* why = spec_overrides_objdump(static_cast<u16>(v))) {
      ++overridden;
      if (legal) failures.add(std::string("decodes, but ") + why, at);
      continue;
    }
    if (legal != want_legal) {
      if (legal) {
        failures.add("lockstep decodes " + std::string(row(i.row).mnemonic) + ", objdump: illegal", at);
      } else {
        failures.add("lockstep: illegal, objdump: " + r->mnemonic, at + " " + r->mnemonic + " " + r->operands);
      }
      continue;
    }
    if (!legal) continue;
    ++legal_count;
    std::string error;
    const auto want = expect_from(*r, 2 * index, no_csrs, error);
    if (!want) {
      failures.add("reference parse", at + ": " + error);
      continue;
    }
    if (std::string d = compare(i, *want); !d.empty()) {
      failures.add("fields of " + std::string(row(i.row).mnemonic), at + " (" + r->mnemonic + " " + r->operands + "): " + d);
    }
    if (std::string d = compare_disasm(disassemble(i, 2 * index), *r, *want); !d.empty()) {
      disasm_failures.add("disassembly of " + std::string(row(i.row).mnemonic),
                          at + " (" + r->mnemonic + " " + r->operands + "): " + d);
    }
    if (row(i.row).ext != Ext::C) failures.add("compressed encoding decoded by a 32-bit row", at);
  }
  return out;
}

const Walk& walk() {
  static const Walk kWalk = walk_all();
  return kWalk;
}

}  // namespace

TEST_CASE("decode16: all 65,536 encodings agree with objdump (spec where they differ)") {
  const Walk& w = walk();
  INFO(w.error);
  REQUIRE(w.error.empty());
  w.failures.report();
  CHECK_MESSAGE(w.failures.total == 0, "decoder and objdump disagree");
  CHECK(w.overridden == 1);
  // RV64C (RV64GC's compressed set) has 46,743 legal 16-bit encodings, HINTs included: objdump
  // 2.40 decodes 46,745, less c.unimp and the reserved c.addi16sp 0.
  CHECK(w.legal_count == 46743);
}

TEST_CASE("disassemble: every legal 16-bit encoding has objdump's mnemonic and registers") {
  const Walk& w = walk();
  INFO(w.error);
  REQUIRE(w.error.empty());
  w.disasm_failures.report();
  CHECK_MESSAGE(w.disasm_failures.total == 0, "disassemble() and objdump disagree");
}

TEST_CASE("decode16: reserved encodings are illegal, HINTs decode to their row") {
  struct Rule {
    const char* what;
    u16 mask, match;          // the encodings the rule covers
    bool (*extra)(u16);       // further condition, or nullptr
    const char* row;          // nullptr: must be illegal
  };
  static const Rule kRules[] = {
      {"all-zero halfword (defined illegal)", 0xffff, 0x0000, nullptr, nullptr},
      {"c.addi4spn nzuimm=0", 0xffe3, 0x0000, nullptr, nullptr},
      {"c.lui nzimm=0 (rd != x2)", 0xf07f, 0x6001, [](u16 v) { return ((v >> 7) & 31) != 2; }, nullptr},
      {"c.addi16sp nzimm=0", 0xffff, 0x6101, nullptr, nullptr},
      {"c.lwsp rd=0", 0xef83, 0x4002, nullptr, nullptr},
      {"c.ldsp rd=0", 0xef83, 0x6002, nullptr, nullptr},
      {"c.jr rs1=0", 0xffff, 0x8002, nullptr, nullptr},
      {"c.addiw rd=0", 0xef83, 0x2001, nullptr, nullptr},
      {"quadrant 0 funct3=100 (reserved in RV64GC)", 0xe003, 0x8000, nullptr, nullptr},
      {"c.subw/c.addw space, funct2=10", 0xfc63, 0x9c41, nullptr, nullptr},
      {"c.subw/c.addw space, funct2=11", 0xfc63, 0x9c61, nullptr, nullptr},
      // HINTs (RVC chapter, "HINT instructions"): legal, executed as the instruction they are.
      {"c.nop with nzimm != 0", 0xef83, 0x0001, [](u16 v) { return (v & 0x107c) != 0; }, "c.addi"},
      {"c.addi with nzimm=0, rd != 0", 0xf07f, 0x0001, [](u16 v) { return ((v >> 7) & 31) != 0; }, "c.addi"},
      {"c.li rd=0", 0xef83, 0x4001, nullptr, "c.li"},
      {"c.lui rd=0, nzimm != 0", 0xef83, 0x6001, [](u16 v) { return (v & 0x107c) != 0; }, "c.lui"},
      {"c.slli rd=0", 0xef83, 0x0002, nullptr, "c.slli"},
      {"c.slli shamt=0", 0xf07f, 0x0002, nullptr, "c.slli"},
      {"c.srli shamt=0", 0xfc7f, 0x8001, nullptr, "c.srli"},
      {"c.srai shamt=0", 0xfc7f, 0x8401, nullptr, "c.srai"},
      {"c.mv rd=0, rs2 != 0", 0xff83, 0x8002, [](u16 v) { return (v & 0x7c) != 0; }, "c.mv"},
      {"c.add rd=0, rs2 != 0", 0xff83, 0x9002, [](u16 v) { return (v & 0x7c) != 0; }, "c.add"},
  };
  for (const Rule& rule : kRules) {
    CAPTURE(rule.what);
    unsigned covered = 0, wrong = 0;
    u16 first_wrong = 0;
    for (u32 v = 0; v < 0x10000; ++v) {
      const u16 h = static_cast<u16>(v);
      if ((h & rule.mask) != rule.match || (rule.extra && !rule.extra(h))) continue;
      ++covered;
      bool legal = false;
      const Insn i = decoded(h, legal);
      const bool ok = rule.row ? legal && row(i.row).mnemonic == rule.row : !legal;
      if (!ok && wrong++ == 0) first_wrong = h;
    }
    CHECK(covered > 0);
    CAPTURE(hex(first_wrong, 2));
    CHECK(wrong == 0);
  }
}

TEST_CASE("decode16: HINT operands are kept (executed as the base instruction)") {
  Insn i;
  REQUIRE(decode16(0x0005, i));  // c.addi x0,1 (c.nop HINT)
  CHECK(i.rd == 0);
  CHECK(i.rs1 == 0);
  CHECK(i.imm == 1);
  REQUIRE(decode16(0x4005, i));  // c.li x0,1
  CHECK(i.rd == 0);
  CHECK(i.rs1 == 0);
  CHECK(i.imm == 1);
  REQUIRE(decode16(0x0082, i));  // c.slli x1,0 (shamt=0 HINT)
  CHECK(i.rd == 1);
  CHECK(i.rs1 == 1);
  CHECK(i.imm == 0);
  REQUIRE(decode16(0x800a, i));  // c.mv x0,x2
  CHECK(i.rd == 0);
  CHECK(i.rs1 == 0);
  CHECK(i.rs2 == 2);
}
