#include "core/decode/table.h"
#include "core/semantics/rv_m.h"

namespace lockstep::core::decode {
namespace {
using F = Format;
constexpr InsnRow kRows[] = {
    {"mul", 0xfe00707f, 0x02000033, F::R, Ext::M, sem::mul},
    {"mulh", 0xfe00707f, 0x02001033, F::R, Ext::M, sem::mulh},
    {"mulhsu", 0xfe00707f, 0x02002033, F::R, Ext::M, sem::mulhsu},
    {"mulhu", 0xfe00707f, 0x02003033, F::R, Ext::M, sem::mulhu},
    {"div", 0xfe00707f, 0x02004033, F::R, Ext::M, sem::div},
    {"divu", 0xfe00707f, 0x02005033, F::R, Ext::M, sem::divu},
    {"rem", 0xfe00707f, 0x02006033, F::R, Ext::M, sem::rem},
    {"remu", 0xfe00707f, 0x02007033, F::R, Ext::M, sem::remu},
    {"mulw", 0xfe00707f, 0x0200003b, F::R, Ext::M, sem::mulw},
    {"divw", 0xfe00707f, 0x0200403b, F::R, Ext::M, sem::divw},
    {"divuw", 0xfe00707f, 0x0200503b, F::R, Ext::M, sem::divuw},
    {"remw", 0xfe00707f, 0x0200603b, F::R, Ext::M, sem::remw},
    {"remuw", 0xfe00707f, 0x0200703b, F::R, Ext::M, sem::remuw},
};
}  // namespace
std::span<const InsnRow> rows_m() { return kRows; }
}  // namespace lockstep::core::decode
