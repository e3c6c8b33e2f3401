#include "core/decode/table.h"
#include "core/semantics/rv_fd.h"
#include "core/semantics/rv_i.h"
#include "core/semantics/rv_system.h"

// RV64C: each row names the semantics of its 32-bit expansion. Fixed operands of the
// expansion (x0, x1, sp) sit in fixed_rd / fixed_rs1. Rows are matched most-specific mask first.
namespace lockstep::core::decode {
namespace {
using F = Format;
constexpr u8 kSp = 2, kZero = 0, kRa = 1, kAny = 0xff;
constexpr InsnRow kRows[] = {
    {"c.addi4spn", 0xe003, 0x0000, F::CIWAddi4spn, Ext::C, sem::addi, kImmNonZero, kAny, kSp},
    {"c.fld", 0xe003, 0x2000, F::CLd, Ext::C, sem::fld},
    {"c.lw", 0xe003, 0x4000, F::CLw, Ext::C, sem::lw},
    {"c.ld", 0xe003, 0x6000, F::CLd, Ext::C, sem::ld},
    {"c.fsd", 0xe003, 0xa000, F::CSd, Ext::C, sem::fsd},
    {"c.sw", 0xe003, 0xc000, F::CSw, Ext::C, sem::sw},
    {"c.sd", 0xe003, 0xe000, F::CSd, Ext::C, sem::sd},
    {"c.addi", 0xe003, 0x0001, F::CI, Ext::C, sem::addi},
    {"c.addiw", 0xe003, 0x2001, F::CI, Ext::C, sem::addiw, kRdNonZero},
    {"c.li", 0xe003, 0x4001, F::CI, Ext::C, sem::addi, kNone, kAny, kZero},
    {"c.addi16sp", 0xef83, 0x6101, F::CIAddi16sp, Ext::C, sem::addi, kImmNonZero, kSp, kSp},
    {"c.lui", 0xe003, 0x6001, F::CILui, Ext::C, sem::lui, kImmNonZero},
    {"c.srli", 0xec03, 0x8001, F::CBShift, Ext::C, sem::srli},
    {"c.srai", 0xec03, 0x8401, F::CBShift, Ext::C, sem::srai},
    {"c.andi", 0xec03, 0x8801, F::CBAndi, Ext::C, sem::andi},
    {"c.sub", 0xfc63, 0x8c01, F::CA, Ext::C, sem::sub},
    {"c.xor", 0xfc63, 0x8c21, F::CA, Ext::C, sem::xor_},
    {"c.or", 0xfc63, 0x8c41, F::CA, Ext::C, sem::or_},
    {"c.and", 0xfc63, 0x8c61, F::CA, Ext::C, sem::and_},
    {"c.subw", 0xfc63, 0x9c01, F::CA, Ext::C, sem::subw},
    {"c.addw", 0xfc63, 0x9c21, F::CA, Ext::C, sem::addw},
    {"c.j", 0xe003, 0xa001, F::CJ, Ext::C, sem::jal, kNone, kZero},
    {"c.beqz", 0xe003, 0xc001, F::CBBranch, Ext::C, sem::beq},
    {"c.bnez", 0xe003, 0xe001, F::CBBranch, Ext::C, sem::bne},
    {"c.slli", 0xe003, 0x0002, F::CIShift, Ext::C, sem::slli},
    {"c.fldsp", 0xe003, 0x2002, F::CILdsp, Ext::C, sem::fld, kNone, kAny, kSp},
    {"c.lwsp", 0xe003, 0x4002, F::CILwsp, Ext::C, sem::lw, kRdNonZero, kAny, kSp},
    {"c.ldsp", 0xe003, 0x6002, F::CILdsp, Ext::C, sem::ld, kRdNonZero, kAny, kSp},
    {"c.ebreak", 0xffff, 0x9002, F::None, Ext::C, sem::ebreak},
    {"c.jr", 0xf07f, 0x8002, F::CR, Ext::C, sem::jalr, kRs1NonZero, kZero},
    {"c.jalr", 0xf07f, 0x9002, F::CR, Ext::C, sem::jalr, kRs1NonZero, kRa},
    {"c.mv", 0xf003, 0x8002, F::CR, Ext::C, sem::add, kNone, kAny, kZero},
    {"c.add", 0xf003, 0x9002, F::CR, Ext::C, sem::add},
    {"c.fsdsp", 0xe003, 0xa002, F::CSSSdsp, Ext::C, sem::fsd, kNone, kAny, kSp},
    {"c.swsp", 0xe003, 0xc002, F::CSSSwsp, Ext::C, sem::sw, kNone, kAny, kSp},
    {"c.sdsp", 0xe003, 0xe002, F::CSSSdsp, Ext::C, sem::sd, kNone, kAny, kSp},
};
}  // namespace
std::span<const InsnRow> rows_c() { return kRows; }
}  // namespace lockstep::core::decode
