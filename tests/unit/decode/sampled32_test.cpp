// 32-bit encodings against objdump: every row with random operand bits, random words, and a
// list of edge encodings, all in one objdump run.
#include <map>
#include <optional>
#include <random>
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

constexpr unsigned kSamplesPerRow = 1250;  // ~200k encodings over the RV64GC rows
constexpr unsigned kRandomWords = 100000;
constexpr u32 kSeed = 20240601;

// Encodings worth naming: system instructions next to the ones lockstep implements, other
// extensions' opcodes, and all-ones / all-zero patterns.
constexpr u32 kEdgeWords[] = {
    0x00000073,  // ecall
    0x00100073,  // ebreak
    0x00200073,  // uret (N extension, gone from the spec): illegal
    0x10200073,  // sret
    0x30200073,  // mret
    0x7b200073,  // dret (debug mode only)
    0x10500073,  // wfi
    0x12000073,  // sfence.vma x0,x0
    0x12b50073,  // sfence.vma x10,x11
    0x12000873,  // sfence.vma with rd != 0: reserved
    0x22000073,  // hfence.vvma (H): illegal
    0x62000073,  // hfence.gvma (H): illegal
    0x16000073,  // sinval.vma (Svinval): illegal
    0x00d00073,  // wrs.nto (Zawrs): illegal
    0xc0001073,  // csrrw x0,cycle,x0: objdump's "unimp"
    0xc00010f3,  // csrrw x1,cycle,x0
    0xfff02073,  // csrrs x0,0xfff,x0
    0x00004073,  // funct3=100 in SYSTEM: illegal
    0x0ff0000f,  // fence iorw,iorw
    0x8330000f,  // fence.tso
    0x0100000f,  // pause (fence w,0)
    0x0000000f,  // fence 0,0
    0x0000100f,  // fence.i
    0x0010200f,  // cbo.clean (Zicbom): illegal
    0x00000013,  // nop
    0x00000033,  // add x0,x0,x0
    0xffffffff,  // all ones (a >=192-bit length encoding): illegal
    0x00000003,  // lb x0,0(x0)
    0x00007003,  // funct3=111 LOAD: illegal (ldu is RV128)
    0x00004023,  // funct3=100 STORE: illegal (sq is RV128)
    0x00000057,  // OP-V: illegal
    0x04000053,  // fadd.h (Zfh): illegal
    0x06000053,  // fadd.q (Q): illegal
    0x00004007,  // flq (Q): illegal
    0x40007033,  // andn (Zbb): illegal
    0x20002033,  // sh1add (Zba): illegal
    0x0000002b,  // custom-1: illegal
    0x0000005b,  // custom-2: illegal
    0x0000007b,  // custom-3: illegal
    0x0000000b,  // custom-0: illegal
    0xe0000053,  // fmv.x.w x0,f0
    0xe0001053,  // fclass.s x0,f0
    0xe0101053,  // fclass.s with rs2 != 0: illegal
    0x1000202f,  // lr.w x0,(x0)
    0x1010202f,  // lr.w with rs2 != 0: illegal
    0x4800202f,  // AMO funct5=01001: illegal
};

// Where binutils 2.40 and the RISC-V specification disagree, the specification wins. These
// classes are legal by the spec but illegal to objdump; the test compares lockstep's decode of
// the word with objdump's decode of the word with the ignored fields cleared (`normal`).
struct Normalised {
  bool applies;
  u32 normal;
  const char* why;
  bool rm_from_word = false;  // the normal form has rm=000; the word's own rm is expected
};
Normalised spec_normalise(u32 w) {
  // FENCE: "implementations shall ignore" rd and rs1 (reserved for finer-grain fences) and
  // "shall treat all such reserved configurations [of fm] as normal fences with fm=0000".
  // objdump decodes only rd=rs1=0 with fm=0000 (or the exact fence.tso encoding).
  if ((w & 0x707f) == 0x000f && (w & 0xf00fff80) != 0 && w != 0x8330000f) {
    return {true, w & 0x0ff0707f, "fence with rd/rs1/fm set"};
  }
  // FENCE.I (Zifencei): "base implementations shall ignore these fields" (imm, rs1, rd).
  if ((w & 0x707f) == 0x100f && w != 0x100f) return {true, 0x100f, "fence.i with imm/rs1/rd set"};
  // FCVT.D.S, FCVT.D.W, FCVT.D.WU have an rm field like every other conversion (they are exact,
  // so it has no effect); binutils 2.40 decodes them only with rm=000 (2.42 accepts any rm).
  const u32 op = w & 0xfff0007f;
  if ((op == 0x42000053 || op == 0xd2000053 || op == 0xd2100053) && (w & 0x7000) != 0) {
    return {true, w & ~0x7000u, "fcvt.d.{s,w,wu} with rm != 000", true};
  }
  return {false, 0, nullptr};
}

// Encodings objdump decodes that lockstep, by the specification, must not.
const char* spec_rejects(const std::string& objdump_mnemonic) {
  // URET belonged to the N extension, which was never ratified and is gone from the
  // privileged specification; RV64GC has no user-mode trap return.
  if (objdump_mnemonic == "uret") return "uret (N extension, not in the specification)";
  // DRET (debug specification): "an illegal instruction exception" outside Debug Mode, and
  // lockstep implements no Debug Mode.
  if (objdump_mnemonic == "dret") return "dret outside Debug Mode";
  return nullptr;
}

// One objdump run over all sampled words, compared once; the test cases below report parts.
struct Sample {
  std::string error;  // objdump could not be run, or the CSR name table is unusable
  Failures failures, disasm_failures;
  std::map<std::string, size_t> overridden;
  std::vector<bool> row_seen;
  size_t rows32 = 0;
};

Sample sample_all() {
  Sample out;
  std::mt19937 rng(kSeed);
  std::vector<u32> words;  // the objdump batch
  // 1. CSR names: csrrs x0,<n>,x0 for every n.
  const size_t csr_base = words.size();
  for (u32 n = 0; n < 4096; ++n) words.push_back(0x00002073u | (n << 20));
  // 2. Every 32-bit row, with random bits outside its mask.
  const size_t sample_base = words.size();
  for (const InsnRow& r : all_rows()) {
    if (r.ext == Ext::C) continue;
    ++out.rows32;
    for (unsigned k = 0; k < kSamplesPerRow; ++k) words.push_back(r.match | (rng() & ~r.mask));
  }
  // 3. Random 32-bit words (low bits 11; bits 4:2 = 111 are longer instructions, checked apart).
  std::vector<u32> longer;
  for (unsigned k = 0; k < kRandomWords; ++k) {
    const u32 w = rng() | 3;
    if (((w >> 2) & 7) == 7) {
      longer.push_back(w);
    } else {
      words.push_back(w);
    }
  }
  // 4. Edge encodings.
  for (u32 w : kEdgeWords) (((w >> 2) & 7) == 7 ? longer : words).push_back(w);
  const size_t checked_end = words.size();
  // 5. The normal forms of the words where the spec overrides objdump.
  std::vector<size_t> normal_index(checked_end, 0);
  for (size_t k = sample_base; k < checked_end; ++k) {
    if (const Normalised n = spec_normalise(words[k]); n.applies) {
      normal_index[k] = words.size();
      words.push_back(n.normal);
    }
  }

  const RefRun ref = objdump_words(words, 4);
  out.error = ref.error;
  if (!out.error.empty()) return out;

  CsrNames csrs;
  for (u32 n = 0; n < 4096; ++n) {
    const auto& r = ref.insns[csr_base + n];
    const std::string ops = r ? r->operands : "";
    if (!r || r->mnemonic != "csrrs" || !ops.starts_with("x0,") || !ops.ends_with(",x0") ||
        !csrs.emplace(ops.substr(3, ops.size() - 6), n).second) {
      out.error = "unexpected objdump text for csrrs x0," + std::to_string(n) + ",x0: '" + ops + "'";
      return out;
    }
  }

  Failures& failures = out.failures;
  Failures& disasm_failures = out.disasm_failures;
  std::map<std::string, size_t>& overridden = out.overridden;
  std::vector<bool>& row_seen = out.row_seen;
  row_seen.assign(all_rows().size(), false);
  for (size_t k = sample_base; k < checked_end; ++k) {
    const u32 w = words[k];
    const u64 pc = 4 * k;
    Insn i;
    const bool legal = decode32(w, i);
    const std::string at = hex(w, 4);
    if (i.len != 4 || i.raw != w || legal != (i.row != 0xffff)) failures.add("len/raw/row bookkeeping", at);
    std::optional<RefInsn> r = ref.insns[k];
    std::optional<int> rm_override;
    const Normalised n = spec_normalise(w);
    if (n.applies) {
      ++overridden[n.why];
      r = ref.insns[normal_index[k]];
      if (!r) {
        failures.add(std::string("objdump rejects the normal form: ") + n.why, at);
        continue;
      }
      if (n.rm_from_word) rm_override = static_cast<int>((w >> 12) & 7);
    }
    if (r) {
      if (const char* why = spec_rejects(r->mnemonic)) {
        ++overridden[why];
        if (legal) failures.add(std::string("decodes, but ") + why, at);
        continue;
      }
    }
    if (legal != r.has_value()) {
      if (legal) {
        failures.add(std::string("lockstep decodes ") + std::string(row(i.row).mnemonic) + ", objdump: illegal", at);
      } else {
        failures.add("lockstep: illegal, objdump: " + r->mnemonic, at + " " + r->mnemonic + " " + r->operands);
      }
      continue;
    }
    if (!legal) continue;
    row_seen[i.row] = true;
    std::string error;
    auto want = expect_from(*r, n.applies ? 4 * normal_index[k] : pc, csrs, error);
    if (!want) {
      failures.add("reference parse", at + ": " + error);
      continue;
    }
    if (rm_override) want->rm = rm_override;
    if (n.applies && want->row == "fence") {
      // The ignored fields stay in the instruction; imm is the whole fm|pred|succ field.
      want->imm = static_cast<i64>(w >> 20);
    }
    if (std::string d = compare(i, *want); !d.empty()) {
      failures.add(std::string("fields of ") + std::string(row(i.row).mnemonic),
                   at + " (" + r->mnemonic + " " + r->operands + "): " + d);
    }
    if (std::string d = compare_disasm(disassemble(i, pc), *r, *want); !d.empty()) {
      disasm_failures.add(std::string("disassembly of ") + std::string(row(i.row).mnemonic),
                          at + " (" + r->mnemonic + " " + r->operands + "): " + d);
    }
  }
  for (u32 w : longer) {
    Insn i;
    if (decode32(w, i)) failures.add("48/64-bit-length encoding decoded as 32-bit", hex(w, 4));
  }
  return out;
}

const Sample& sample() {
  static const Sample kSample = sample_all();
  return kSample;
}

}  // namespace

TEST_CASE("decode32: rows with random operand bits and random words agree with objdump") {
  const Sample& s = sample();
  INFO(s.error);
  REQUIRE(s.error.empty());
  s.failures.report();
  CHECK_MESSAGE(s.failures.total == 0, "decoder and objdump disagree");
  for (const auto& [why, count] : s.overridden) MESSAGE("spec over objdump: ", why, ": ", count, " encodings");
  // Every 32-bit row was reached by some sample (a row shadowed by another would never decode).
  for (size_t k = 0; k < all_rows().size(); ++k) {
    if (all_rows()[k].ext == Ext::C) continue;
    CAPTURE(all_rows()[k].mnemonic);
    CHECK(s.row_seen[k]);
  }
  CHECK(s.rows32 > 150);
}

TEST_CASE("disassemble: sampled 32-bit encodings have objdump's mnemonic and registers") {
  const Sample& s = sample();
  INFO(s.error);
  REQUIRE(s.error.empty());
  s.disasm_failures.report();
  CHECK_MESSAGE(s.disasm_failures.total == 0, "disassemble() and objdump disagree");
}
