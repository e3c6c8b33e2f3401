#include "reference.h"

#include <cstdlib>
#include <map>
#include <string_view>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/decode/disasm.h"
#include "core/decode/table.h"

namespace lockstep::tests::decode {
namespace {

// Operand syntax, one letter per operand, as objdump prints it:
//   d rd   s rs1   t rs2   r rs3   D rd and rs1 (compressed two-address forms)
//   (s) rs1 in parentheses   i immediate (decimal or 0x hex)   U 20-bit upper immediate (lui, c.lui)
//   B absolute branch/jump target (imm = target - pc)   C CSR name or number (imm)
//   Z 5-bit CSR immediate (rs1)   M optional rounding mode (rne..rmm, unknown; absent = dyn)
//   P,Q fence predecessor/successor sets
struct Syntax {
  const char* row;     // lockstep row mnemonic
  const char* layout;  // comma-separated operand letters
  int rd = -1, rs1 = -1, rs2 = -1;  // operands fixed by the expansion (-1: from the text or unchecked)
  int64_t imm = kNoImm;
  int rm_absent = 7;  // rounding mode when objdump prints none
  static constexpr int64_t kNoImm = INT64_MIN;
};

const std::map<std::string, Syntax, std::less<>>& syntax_table() {
  static const std::map<std::string, Syntax, std::less<>> table = [] {
    std::map<std::string, Syntax, std::less<>> t;
    auto same = [&](std::initializer_list<const char*> names, const char* layout) {
      for (const char* n : names) t[n] = Syntax{n, layout};
    };
    // RV64I
    same({"lui", "auipc"}, "d,U");
    same({"jal"}, "d,B");
    same({"jalr", "lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", "flw", "fld"}, "d,i,(s)");
    same({"beq", "bne", "blt", "bge", "bltu", "bgeu"}, "s,t,B");
    same({"sb", "sh", "sw", "sd", "fsw", "fsd"}, "t,i,(s)");
    same({"addi", "slti", "sltiu", "xori", "ori", "andi", "addiw", "slli", "srli", "srai", "slliw", "srliw", "sraiw"},
         "d,s,i");
    same({"add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and", "addw", "subw", "sllw", "srlw", "sraw",
          "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu", "mulw", "divw", "divuw", "remw", "remuw"},
         "d,s,t");
    same({"fence"}, "P,Q");
    // fence.tso is FENCE with fm=1000, pred=succ=rw (imm = 0x833).
    t["fence.tso"] = Syntax{"fence", "", 0, 0, -1, 0x833};
    same({"fence.i", "ecall", "ebreak", "sret", "mret", "wfi"}, "");
    same({"sfence.vma"}, "s,t");
    same({"csrrw", "csrrs", "csrrc"}, "d,C,s");
    same({"csrrwi", "csrrsi", "csrrci"}, "d,C,Z");
    // objdump names csrrw x0,cycle,x0 "unimp" even with no-aliases.
    t["unimp"] = Syntax{"csrrw", "", 0, 0, -1, 0xc00};
    // A (suffixes .aq/.rl/.aqrl are split off before lookup)
    same({"lr.w", "lr.d"}, "d,(s)");
    same({"sc.w", "sc.d", "amoswap.w", "amoadd.w", "amoxor.w", "amoand.w", "amoor.w", "amomin.w", "amomax.w",
          "amominu.w", "amomaxu.w", "amoswap.d", "amoadd.d", "amoxor.d", "amoand.d", "amoor.d", "amomin.d", "amomax.d",
          "amominu.d", "amomaxu.d"},
         "d,t,(s)");
    // F and D
    same({"fmadd.s", "fmsub.s", "fnmsub.s", "fnmadd.s", "fmadd.d", "fmsub.d", "fnmsub.d", "fnmadd.d"}, "d,s,t,r,M");
    same({"fadd.s", "fsub.s", "fmul.s", "fdiv.s", "fadd.d", "fsub.d", "fmul.d", "fdiv.d"}, "d,s,t,M");
    same({"fsgnj.s", "fsgnjn.s", "fsgnjx.s", "fmin.s", "fmax.s", "feq.s", "flt.s", "fle.s", "fsgnj.d", "fsgnjn.d",
          "fsgnjx.d", "fmin.d", "fmax.d", "feq.d", "flt.d", "fle.d"},
         "d,s,t");
    same({"fsqrt.s", "fcvt.w.s", "fcvt.wu.s", "fcvt.l.s", "fcvt.lu.s", "fcvt.s.w", "fcvt.s.wu", "fcvt.s.l", "fcvt.s.lu",
          "fsqrt.d", "fcvt.s.d", "fcvt.w.d", "fcvt.wu.d", "fcvt.l.d", "fcvt.lu.d", "fcvt.d.l", "fcvt.d.lu"},
         "d,s,M");
    // binutils 2.40 accepts the exact conversions only with rm=000 and prints no rounding mode.
    for (const char* n : {"fcvt.d.s", "fcvt.d.w", "fcvt.d.wu"}) t[n] = Syntax{n, "d,s,M", -1, -1, -1, Syntax::kNoImm, 0};
    same({"fmv.x.w", "fclass.s", "fmv.w.x", "fmv.x.d", "fclass.d", "fmv.d.x"}, "d,s");

    // RV64C, with the fixed operands of each expansion (RISC-V unprivileged ISA, chapter "C").
    t["c.addi4spn"] = Syntax{"c.addi4spn", "d,s,i"};              // addi rd', x2, nzuimm
    same({"c.fld", "c.lw", "c.ld", "c.fldsp", "c.lwsp", "c.ldsp"}, "d,i,(s)");
    same({"c.fsd", "c.sw", "c.sd", "c.fsdsp", "c.swsp", "c.sdsp"}, "t,i,(s)");
    same({"c.addi", "c.addiw", "c.addi16sp", "c.srli", "c.srai", "c.andi", "c.slli"}, "D,i");
    t["c.nop"] = Syntax{"c.addi", "", 0, 0, -1, 0};
    t["c.li"] = Syntax{"c.li", "d,i", -1, 0};                      // addi rd, x0, imm
    t["c.lui"] = Syntax{"c.lui", "d,U"};
    // RV128's shift-by-64 names; in RV64 shamt=0 is a HINT: a shift by 0.
    t["c.slli64"] = Syntax{"c.slli", "D", -1, -1, -1, 0};
    t["c.srli64"] = Syntax{"c.srli", "D", -1, -1, -1, 0};
    t["c.srai64"] = Syntax{"c.srai", "D", -1, -1, -1, 0};
    same({"c.sub", "c.xor", "c.or", "c.and", "c.subw", "c.addw", "c.add"}, "D,t");
    t["c.mv"] = Syntax{"c.mv", "d,t", -1, 0};                      // add rd, x0, rs2
    t["c.j"] = Syntax{"c.j", "B", 0};                              // jal x0, offset
    t["c.beqz"] = Syntax{"c.beqz", "s,B", -1, -1, 0};              // beq rs1', x0, offset
    t["c.bnez"] = Syntax{"c.bnez", "s,B", -1, -1, 0};
    t["c.jr"] = Syntax{"c.jr", "s", 0, -1, -1, 0};                 // jalr x0, 0(rs1)
    t["c.jalr"] = Syntax{"c.jalr", "s", 1, -1, -1, 0};             // jalr x1, 0(rs1)
    t["c.ebreak"] = Syntax{"c.ebreak", ""};
    return t;
  }();
  return table;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  size_t start = 0;
  for (;;) {
    const size_t p = s.find(sep, start);
    out.emplace_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

// "x8,-12(x2)" -> "x8", "-12", "(x2)".
std::vector<std::string> operand_tokens(std::string_view text) {
  std::vector<std::string> out;
  for (std::string& piece : split(text, ',')) {
    const size_t paren = piece.find('(');
    if (paren != std::string::npos && paren > 0) {
      out.push_back(piece.substr(0, paren));
      out.push_back(piece.substr(paren));
    } else {
      out.push_back(piece);
    }
  }
  return out;
}

bool parse_int(const std::string& s, int64_t& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  if (s.starts_with("0x")) {
    v = static_cast<int64_t>(std::strtoull(s.c_str(), &end, 16));
  } else if (s.starts_with("-0x")) {
    v = -static_cast<int64_t>(std::strtoull(s.c_str() + 1, &end, 16));
  } else {
    v = std::strtoll(s.c_str(), &end, 10);
  }
  return errno == 0 && *end == '\0';
}

bool parse_reg(std::string s, int& n, std::vector<std::string>& regs) {
  if (s.size() >= 2 && s.front() == '(' && s.back() == ')') s = s.substr(1, s.size() - 2);
  if (s.size() < 2 || (s[0] != 'x' && s[0] != 'f')) return false;
  int64_t v = 0;
  if (!parse_int(s.substr(1), v) || v < 0 || v > 31) return false;
  n = static_cast<int>(v);
  regs.push_back(s);
  return true;
}

// Fence sets as objdump prints them: "iorw", "w", "unknown" (empty set).
bool parse_fence_set(const std::string& s, int& bits) {
  bits = 0;
  if (s == "unknown") return true;
  for (char c : s) {
    switch (c) {
      case 'i': bits |= 8; break;
      case 'o': bits |= 4; break;
      case 'r': bits |= 2; break;
      case 'w': bits |= 1; break;
      default: return false;
    }
  }
  return !s.empty();
}

}  // namespace

void Failures::add(const std::string& kind, const std::string& example) {
  auto& [count, first] = by_kind[kind];
  if (count++ == 0) first = example;
  ++total;
}

void Failures::report() const {
  for (const auto& [kind, v] : by_kind) MESSAGE(kind, ": ", v.first, " encodings, e.g. ", v.second);
}

std::string hex(uint32_t v, unsigned width) { return fmt::format("0x{:0{}x}", v, width * 2); }

std::optional<Expected> expect_from(const RefInsn& ref, uint64_t pc, const CsrNames& csrs, std::string& error) {
  std::string mnemonic = ref.mnemonic;
  std::optional<int> aqrl;
  if (mnemonic.starts_with("lr.") || mnemonic.starts_with("sc.") || mnemonic.starts_with("amo")) {
    aqrl = 0;
    for (auto [suffix, bits] : {std::pair{".aqrl", 3}, std::pair{".aq", 2}, std::pair{".rl", 1}}) {
      if (mnemonic.ends_with(suffix)) {
        mnemonic.resize(mnemonic.size() - std::string_view(suffix).size());
        aqrl = bits;
        break;
      }
    }
  }
  const auto& table = syntax_table();
  const auto it = table.find(mnemonic);
  if (it == table.end()) {
    error = fmt::format("objdump mnemonic '{}' is not in the reference syntax table", ref.mnemonic);
    return std::nullopt;
  }
  const Syntax& syn = it->second;
  Expected e;
  e.row = syn.row;
  if (syn.rd >= 0) e.rd = syn.rd;
  if (syn.rs1 >= 0) e.rs1 = syn.rs1;
  if (syn.rs2 >= 0) e.rs2 = syn.rs2;
  if (syn.imm != Syntax::kNoImm) e.imm = syn.imm;
  if (aqrl) e.rm = aqrl;

  const std::vector<std::string> ops = operand_tokens(ref.operands);
  std::vector<std::string> letters = split(syn.layout, ',');
  const bool optional_rm = !letters.empty() && letters.back() == "M";
  if (optional_rm && ops.size() + 1 == letters.size()) {
    letters.pop_back();
    e.rm = syn.rm_absent;
  }
  if (ops.size() != letters.size()) {
    error = fmt::format("'{} {}': expected operands '{}'", ref.mnemonic, ref.operands, syn.layout);
    return std::nullopt;
  }
  int fence_pred = -1, fence_succ = -1;
  for (size_t k = 0; k < letters.size(); ++k) {
    const std::string& l = letters[k];
    const std::string& op = ops[k];
    bool ok = true;
    int reg = 0;
    int64_t v = 0;
    if (l == "d" || l == "s" || l == "t" || l == "r" || l == "D" || l == "(s)") {
      ok = parse_reg(op, reg, e.regs) && (l != "(s)" || op.front() == '(');
      if (l == "d" || l == "D") e.rd = reg;
      if (l == "s" || l == "D" || l == "(s)") e.rs1 = reg;
      if (l == "t") e.rs2 = reg;
      if (l == "r") e.rs3 = reg;
    } else if (l == "i") {
      ok = parse_int(op, v);
      e.imm = v;
    } else if (l == "U") {
      ok = parse_int(op, v) && v >= 0 && v < (1 << 20);
      e.imm = static_cast<int32_t>(static_cast<uint32_t>(v) << 12);
    } else if (l == "B") {
      ok = parse_int(op, v);
      e.imm = static_cast<int64_t>(static_cast<uint64_t>(v) - pc);
    } else if (l == "C") {
      const auto csr = csrs.find(op);
      ok = csr != csrs.end();
      if (ok) e.imm = csr->second;
    } else if (l == "Z") {
      ok = parse_int(op, v) && v >= 0 && v < 32;
      e.rs1 = static_cast<int>(v);
    } else if (l == "M") {
      static constexpr const char* kRm[] = {"rne", "rtz", "rdn", "rup", "rmm"};
      ok = false;
      for (int n = 0; n < 5; ++n) {
        if (op == kRm[n]) {
          e.rm = n;
          ok = true;
        }
      }
      if (op == "unknown") {
        e.rm = 5;  // or 6: compare() accepts either
        ok = true;
      }
      if (op == "dyn") {
        e.rm = 7;
        ok = true;
      }
    } else if (l == "P") {
      ok = parse_fence_set(op, fence_pred);
    } else if (l == "Q") {
      ok = parse_fence_set(op, fence_succ);
    } else {
      ok = false;
    }
    if (!ok) {
      error = fmt::format("'{} {}': operand {} '{}' does not parse as '{}'", ref.mnemonic, ref.operands, k + 1, op, l);
      return std::nullopt;
    }
  }
  if (fence_pred >= 0) e.imm = (fence_pred << 4) | fence_succ;  // fm=0000 (objdump decodes no other fm as fence)
  return e;
}

std::string compare_disasm(const std::string& text, const RefInsn& ref, const Expected& want) {
  std::string mnemonic = ref.mnemonic;
  std::vector<std::string> want_regs = want.regs;
  if (mnemonic == "unimp") {  // objdump's name for csrrw x0,cycle,x0, even with no-aliases
    mnemonic = "csrrw";
    want_regs = {"x0", "x0"};
  }
  if (mnemonic == "c.slli64" || mnemonic == "c.srli64" || mnemonic == "c.srai64") mnemonic.resize(6);
  const size_t space = text.find(' ');
  const std::string got_mnemonic = text.substr(0, space);
  std::vector<std::string> got_regs;
  if (space != std::string::npos) {
    std::string token;
    auto flush = [&] {
      for (unsigned r = 0; r < 32; ++r) {
        if (token == core::decode::xreg_name(r)) got_regs.push_back(fmt::format("x{}", r));
        if (token == core::decode::freg_name(r)) got_regs.push_back(fmt::format("f{}", r));
      }
      token.clear();
    };
    for (char c : text.substr(space + 1)) {
      if (c == ',' || c == '(' || c == ')' || c == ' ') {
        flush();
      } else {
        token.push_back(c);
      }
    }
    flush();
  }
  std::string diff;
  if (got_mnemonic != mnemonic) diff += fmt::format(" mnemonic '{}' (objdump '{}')", got_mnemonic, mnemonic);
  if (got_regs != want_regs) {
    diff += fmt::format(" registers {} (objdump {})", fmt::join(got_regs, ","), fmt::join(want_regs, ","));
  }
  return diff.empty() ? diff : fmt::format("'{}':{}", text, diff);
}

std::string compare(const core::Insn& got, const Expected& want) {
  std::string diff;
  const std::string_view row = core::decode::row(got.row).mnemonic;
  if (row != want.row) return fmt::format("row {} (want {})", row, want.row);
  auto check = [&](const char* name, std::optional<int64_t> w, int64_t g) {
    if (w && *w != g) diff += fmt::format(" {}={} (want {})", name, g, *w);
  };
  auto opt = [](std::optional<int> v) { return v ? std::optional<int64_t>(*v) : std::nullopt; };
  check("rd", opt(want.rd), got.rd);
  check("rs1", opt(want.rs1), got.rs1);
  check("rs2", opt(want.rs2), got.rs2);
  check("rs3", opt(want.rs3), got.rs3);
  check("imm", want.imm, got.imm);
  if (want.rm == 5) {
    if (got.rm != 5 && got.rm != 6) diff += fmt::format(" rm={} (want 5 or 6)", got.rm);
  } else {
    check("rm", opt(want.rm), got.rm);
  }
  return diff.empty() ? diff : fmt::format("{}:{}", row, diff);
}

}  // namespace lockstep::tests::decode
