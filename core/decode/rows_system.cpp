#include "core/decode/table.h"
#include "core/semantics/rv_system.h"

namespace lockstep::core::decode {
namespace {
using F = Format;
constexpr InsnRow kRows[] = {
    {"ecall", 0xffffffff, 0x00000073, F::None, Ext::Priv, sem::ecall},
    {"ebreak", 0xffffffff, 0x00100073, F::None, Ext::Priv, sem::ebreak},
    {"sret", 0xffffffff, 0x10200073, F::None, Ext::Priv, sem::sret},
    {"mret", 0xffffffff, 0x30200073, F::None, Ext::Priv, sem::mret},
    {"wfi", 0xffffffff, 0x10500073, F::None, Ext::Priv, sem::wfi},
    {"sfence.vma", 0xfe007fff, 0x12000073, F::SfenceVma, Ext::Priv, sem::sfence_vma},
    {"csrrw", 0x707f, 0x1073, F::Csr, Ext::Zicsr, sem::csrrw},
    {"csrrs", 0x707f, 0x2073, F::Csr, Ext::Zicsr, sem::csrrs},
    {"csrrc", 0x707f, 0x3073, F::Csr, Ext::Zicsr, sem::csrrc},
    {"csrrwi", 0x707f, 0x5073, F::CsrI, Ext::Zicsr, sem::csrrwi},
    {"csrrsi", 0x707f, 0x6073, F::CsrI, Ext::Zicsr, sem::csrrsi},
    {"csrrci", 0x707f, 0x7073, F::CsrI, Ext::Zicsr, sem::csrrci},
    {"fence.i", 0x707f, 0x100f, F::Fence, Ext::Zifencei, sem::fence_i},
};
}  // namespace
std::span<const InsnRow> rows_system() { return kRows; }
}  // namespace lockstep::core::decode
