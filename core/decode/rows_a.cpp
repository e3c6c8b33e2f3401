#include "core/decode/table.h"
#include "core/semantics/rv_a.h"

namespace lockstep::core::decode {
namespace {
using F = Format;
constexpr u32 amo(u32 funct5, u32 funct3) { return (funct5 << 27) | (funct3 << 12) | 0x2f; }
constexpr u32 kAmoMask = 0xf800707f;
constexpr u32 kLrMask = 0xf9f0707f;  // rs2 must be zero
constexpr InsnRow kRows[] = {
    {"lr.w", kLrMask, amo(0x02, 2), F::Lr, Ext::A, sem::lr_w},
    {"sc.w", kAmoMask, amo(0x03, 2), F::Amo, Ext::A, sem::sc_w},
    {"amoswap.w", kAmoMask, amo(0x01, 2), F::Amo, Ext::A, sem::amoswap_w},
    {"amoadd.w", kAmoMask, amo(0x00, 2), F::Amo, Ext::A, sem::amoadd_w},
    {"amoxor.w", kAmoMask, amo(0x04, 2), F::Amo, Ext::A, sem::amoxor_w},
    {"amoand.w", kAmoMask, amo(0x0c, 2), F::Amo, Ext::A, sem::amoand_w},
    {"amoor.w", kAmoMask, amo(0x08, 2), F::Amo, Ext::A, sem::amoor_w},
    {"amomin.w", kAmoMask, amo(0x10, 2), F::Amo, Ext::A, sem::amomin_w},
    {"amomax.w", kAmoMask, amo(0x14, 2), F::Amo, Ext::A, sem::amomax_w},
    {"amominu.w", kAmoMask, amo(0x18, 2), F::Amo, Ext::A, sem::amominu_w},
    {"amomaxu.w", kAmoMask, amo(0x1c, 2), F::Amo, Ext::A, sem::amomaxu_w},
    {"lr.d", kLrMask, amo(0x02, 3), F::Lr, Ext::A, sem::lr_d},
    {"sc.d", kAmoMask, amo(0x03, 3), F::Amo, Ext::A, sem::sc_d},
    {"amoswap.d", kAmoMask, amo(0x01, 3), F::Amo, Ext::A, sem::amoswap_d},
    {"amoadd.d", kAmoMask, amo(0x00, 3), F::Amo, Ext::A, sem::amoadd_d},
    {"amoxor.d", kAmoMask, amo(0x04, 3), F::Amo, Ext::A, sem::amoxor_d},
    {"amoand.d", kAmoMask, amo(0x0c, 3), F::Amo, Ext::A, sem::amoand_d},
    {"amoor.d", kAmoMask, amo(0x08, 3), F::Amo, Ext::A, sem::amoor_d},
    {"amomin.d", kAmoMask, amo(0x10, 3), F::Amo, Ext::A, sem::amomin_d},
    {"amomax.d", kAmoMask, amo(0x14, 3), F::Amo, Ext::A, sem::amomax_d},
    {"amominu.d", kAmoMask, amo(0x18, 3), F::Amo, Ext::A, sem::amominu_d},
    {"amomaxu.d", kAmoMask, amo(0x1c, 3), F::Amo, Ext::A, sem::amomaxu_d},
};
}  // namespace
std::span<const InsnRow> rows_a() { return kRows; }
}  // namespace lockstep::core::decode
