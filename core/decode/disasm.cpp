#include "core/decode/disasm.h"

#include <fmt/format.h>

#include "core/decode/table.h"

namespace lockstep::core::decode {
namespace {

constexpr const char* kX[] = {"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
                              "a1",   "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
                              "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
constexpr const char* kF[] = {"ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6",  "ft7",  "fs0", "fs1", "fa0",
                              "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7",  "fs2",  "fs3", "fs4", "fs5",
                              "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"};
constexpr const char* kRm[] = {"rne", "rtz", "rdn", "rup", "rmm", "rm5", "rm6", "dyn"};

bool is_fp_name(std::string_view m) { return m.starts_with("f") && !m.starts_with("fence"); }

const char* aqrl_suffix(u8 bits) {
  static constexpr const char* kSuffix[] = {"", ".rl", ".aq", ".aqrl"};
  return kSuffix[bits & 3];
}

// pred/succ sets as objdump prints them ("iorw").
std::string fence_set(u32 bits) {
  std::string s;
  if (bits & 8) s += 'i';
  if (bits & 4) s += 'o';
  if (bits & 2) s += 'r';
  if (bits & 1) s += 'w';
  return s.empty() ? "0" : s;
}

}  // namespace

const char* xreg_name(unsigned r) { return kX[r & 31]; }
const char* freg_name(unsigned r) { return kF[r & 31]; }

std::string disassemble(const Insn& i, u64 pc) {
  if (i.row == 0xffff) return i.len == 2 ? fmt::format(".2byte 0x{:x}", i.raw) : fmt::format(".4byte 0x{:x}", i.raw);
  const InsnRow& r = row(i.row);
  const std::string_view m = r.mnemonic;
  // FP operand registers: which operands are f-registers depends on the mnemonic.
  const bool fp = is_fp_name(m) || m == "c.fld" || m == "c.fsd" || m == "c.fldsp" || m == "c.fsdsp";
  const bool rd_int = m.starts_with("fcvt.w") || m.starts_with("fcvt.l") || m.starts_with("fmv.x") ||
                      m.starts_with("feq") || m.starts_with("flt") || m.starts_with("fle") || m.starts_with("fclass");
  const bool rs1_int = m.starts_with("fcvt.s.w") || m.starts_with("fcvt.s.l") || m.starts_with("fcvt.d.w") ||
                       m.starts_with("fcvt.d.l") || m.starts_with("fmv.w.x") || m.starts_with("fmv.d.x") ||
                       m == "flw" || m == "fld" || m == "fsw" || m == "fsd" || m.starts_with("c.f");
  auto rd = [&] { return fp && !rd_int ? freg_name(i.rd) : xreg_name(i.rd); };
  auto rs1 = [&] { return fp && !rs1_int ? freg_name(i.rs1) : xreg_name(i.rs1); };
  auto rs2 = [&] { return fp ? freg_name(i.rs2) : xreg_name(i.rs2); };
  switch (r.format) {
    case Format::R: return fmt::format("{} {},{},{}", m, rd(), rs1(), rs2());
    case Format::R4:
      return fmt::format("{} {},{},{},{},{}", m, rd(), rs1(), rs2(), freg_name(i.rs3), kRm[i.rm]);
    case Format::RFrm: return fmt::format("{} {},{},{},{}", m, rd(), rs1(), rs2(), kRm[i.rm]);
    case Format::R1Frm: return fmt::format("{} {},{},{}", m, rd(), rs1(), kRm[i.rm]);
    case Format::R1: return fmt::format("{} {},{}", m, rd(), rs1());
    case Format::I:
      if (m == "jalr" || m[0] == 'l' || m == "flw" || m == "fld")
        return fmt::format("{} {},{}({})", m, rd(), i.imm, xreg_name(i.rs1));
      return fmt::format("{} {},{},{}", m, rd(), rs1(), i.imm);
    case Format::IShift:
    case Format::IShiftW: return fmt::format("{} {},{},0x{:x}", m, rd(), rs1(), i.imm);
    case Format::S: return fmt::format("{} {},{}({})", m, rs2(), i.imm, xreg_name(i.rs1));
    case Format::B: return fmt::format("{} {},{},{:x}", m, rs1(), rs2(), pc + static_cast<u64>(i.imm));
    case Format::U: return fmt::format("{} {},0x{:x}", m, rd(), (static_cast<u64>(i.imm) >> 12) & 0xfffff);
    case Format::J: return fmt::format("{} {},{:x}", m, rd(), pc + static_cast<u64>(i.imm));
    case Format::Csr: return fmt::format("{} {},0x{:x},{}", m, rd(), i.imm, xreg_name(i.rs1));
    case Format::CsrI: return fmt::format("{} {},0x{:x},{}", m, rd(), i.imm, i.rs1);
    case Format::Amo: return fmt::format("{}{} {},{},({})", m, aqrl_suffix(i.rm), rd(), rs2(), xreg_name(i.rs1));
    case Format::Lr: return fmt::format("{}{} {},({})", m, aqrl_suffix(i.rm), rd(), xreg_name(i.rs1));
    case Format::Fence: {
      if (m != "fence") return std::string(m);
      const u32 fm = (i.raw >> 28) & 0xf, pred = (i.raw >> 24) & 0xf, succ = (i.raw >> 20) & 0xf;
      if (fm == 8 && pred == 3 && succ == 3) return "fence.tso";
      return fmt::format("fence {},{}", fence_set(pred), fence_set(succ));
    }
    case Format::None: return std::string(m);
    case Format::SfenceVma: return fmt::format("{} {},{}", m, xreg_name(i.rs1), xreg_name(i.rs2));
    case Format::CR:
      if (m == "c.jr" || m == "c.jalr") return fmt::format("{} {}", m, xreg_name(i.rs1));
      return fmt::format("{} {},{}", m, xreg_name(i.rd), xreg_name(i.rs2));
    case Format::CJ: return fmt::format("{} {:x}", m, pc + static_cast<u64>(i.imm));
    case Format::CBBranch: return fmt::format("{} {},{:x}", m, xreg_name(i.rs1), pc + static_cast<u64>(i.imm));
    case Format::CLw:
    case Format::CLd:
    case Format::CILwsp:
    case Format::CILdsp: return fmt::format("{} {},{}({})", m, rd(), i.imm, xreg_name(i.rs1));
    case Format::CSw:
    case Format::CSd:
    case Format::CSSSwsp:
    case Format::CSSSdsp: return fmt::format("{} {},{}({})", m, rs2(), i.imm, xreg_name(i.rs1));
    case Format::CA: return fmt::format("{} {},{}", m, xreg_name(i.rd), xreg_name(i.rs2));
    case Format::CIWAddi4spn: return fmt::format("{} {},sp,{}", m, xreg_name(i.rd), i.imm);
    case Format::CILui: return fmt::format("{} {},0x{:x}", m, xreg_name(i.rd), (static_cast<u64>(i.imm) >> 12) & 0xfffff);
    default: return fmt::format("{} {},{}", m, xreg_name(i.rd), i.imm);
  }
}

}  // namespace lockstep::core::decode
