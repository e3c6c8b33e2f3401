#include "core/decode/table.h"
#include "core/semantics/rv_fd.h"

// RV64F and RV64D encodings (RISC-V unprivileged specification, chapters "F" and "D").
// The rounding-mode field (bits 14:12) is an operand of the *Frm and R4 rows, so their masks
// leave it open; rows without it fix funct3.
namespace lockstep::core::decode {
namespace {
using F = Format;
constexpr InsnRow kRows[] = {
    // F
    {"flw", 0x0000707f, 0x00002007, F::I, Ext::F, sem::flw},
    {"fsw", 0x0000707f, 0x00002027, F::S, Ext::F, sem::fsw},
    {"fmadd.s", 0x0600007f, 0x00000043, F::R4, Ext::F, sem::fmadd_s},
    {"fmsub.s", 0x0600007f, 0x00000047, F::R4, Ext::F, sem::fmsub_s},
    {"fnmsub.s", 0x0600007f, 0x0000004b, F::R4, Ext::F, sem::fnmsub_s},
    {"fnmadd.s", 0x0600007f, 0x0000004f, F::R4, Ext::F, sem::fnmadd_s},
    {"fadd.s", 0xfe00007f, 0x00000053, F::RFrm, Ext::F, sem::fadd_s},
    {"fsub.s", 0xfe00007f, 0x08000053, F::RFrm, Ext::F, sem::fsub_s},
    {"fmul.s", 0xfe00007f, 0x10000053, F::RFrm, Ext::F, sem::fmul_s},
    {"fdiv.s", 0xfe00007f, 0x18000053, F::RFrm, Ext::F, sem::fdiv_s},
    {"fsqrt.s", 0xfff0007f, 0x58000053, F::R1Frm, Ext::F, sem::fsqrt_s},
    {"fsgnj.s", 0xfe00707f, 0x20000053, F::R, Ext::F, sem::fsgnj_s},
    {"fsgnjn.s", 0xfe00707f, 0x20001053, F::R, Ext::F, sem::fsgnjn_s},
    {"fsgnjx.s", 0xfe00707f, 0x20002053, F::R, Ext::F, sem::fsgnjx_s},
    {"fmin.s", 0xfe00707f, 0x28000053, F::R, Ext::F, sem::fmin_s},
    {"fmax.s", 0xfe00707f, 0x28001053, F::R, Ext::F, sem::fmax_s},
    {"fcvt.w.s", 0xfff0007f, 0xc0000053, F::R1Frm, Ext::F, sem::fcvt_w_s},
    {"fcvt.wu.s", 0xfff0007f, 0xc0100053, F::R1Frm, Ext::F, sem::fcvt_wu_s},
    {"fcvt.l.s", 0xfff0007f, 0xc0200053, F::R1Frm, Ext::F, sem::fcvt_l_s},
    {"fcvt.lu.s", 0xfff0007f, 0xc0300053, F::R1Frm, Ext::F, sem::fcvt_lu_s},
    {"fmv.x.w", 0xfff0707f, 0xe0000053, F::R1, Ext::F, sem::fmv_x_w},
    {"fclass.s", 0xfff0707f, 0xe0001053, F::R1, Ext::F, sem::fclass_s},
    {"feq.s", 0xfe00707f, 0xa0002053, F::R, Ext::F, sem::feq_s},
    {"flt.s", 0xfe00707f, 0xa0001053, F::R, Ext::F, sem::flt_s},
    {"fle.s", 0xfe00707f, 0xa0000053, F::R, Ext::F, sem::fle_s},
    {"fcvt.s.w", 0xfff0007f, 0xd0000053, F::R1Frm, Ext::F, sem::fcvt_s_w},
    {"fcvt.s.wu", 0xfff0007f, 0xd0100053, F::R1Frm, Ext::F, sem::fcvt_s_wu},
    {"fcvt.s.l", 0xfff0007f, 0xd0200053, F::R1Frm, Ext::F, sem::fcvt_s_l},
    {"fcvt.s.lu", 0xfff0007f, 0xd0300053, F::R1Frm, Ext::F, sem::fcvt_s_lu},
    {"fmv.w.x", 0xfff0707f, 0xf0000053, F::R1, Ext::F, sem::fmv_w_x},
    // D
    {"fld", 0x0000707f, 0x00003007, F::I, Ext::D, sem::fld},
    {"fsd", 0x0000707f, 0x00003027, F::S, Ext::D, sem::fsd},
    {"fmadd.d", 0x0600007f, 0x02000043, F::R4, Ext::D, sem::fmadd_d},
    {"fmsub.d", 0x0600007f, 0x02000047, F::R4, Ext::D, sem::fmsub_d},
    {"fnmsub.d", 0x0600007f, 0x0200004b, F::R4, Ext::D, sem::fnmsub_d},
    {"fnmadd.d", 0x0600007f, 0x0200004f, F::R4, Ext::D, sem::fnmadd_d},
    {"fadd.d", 0xfe00007f, 0x02000053, F::RFrm, Ext::D, sem::fadd_d},
    {"fsub.d", 0xfe00007f, 0x0a000053, F::RFrm, Ext::D, sem::fsub_d},
    {"fmul.d", 0xfe00007f, 0x12000053, F::RFrm, Ext::D, sem::fmul_d},
    {"fdiv.d", 0xfe00007f, 0x1a000053, F::RFrm, Ext::D, sem::fdiv_d},
    {"fsqrt.d", 0xfff0007f, 0x5a000053, F::R1Frm, Ext::D, sem::fsqrt_d},
    {"fsgnj.d", 0xfe00707f, 0x22000053, F::R, Ext::D, sem::fsgnj_d},
    {"fsgnjn.d", 0xfe00707f, 0x22001053, F::R, Ext::D, sem::fsgnjn_d},
    {"fsgnjx.d", 0xfe00707f, 0x22002053, F::R, Ext::D, sem::fsgnjx_d},
    {"fmin.d", 0xfe00707f, 0x2a000053, F::R, Ext::D, sem::fmin_d},
    {"fmax.d", 0xfe00707f, 0x2a001053, F::R, Ext::D, sem::fmax_d},
    {"fcvt.s.d", 0xfff0007f, 0x40100053, F::R1Frm, Ext::D, sem::fcvt_s_d},
    {"fcvt.d.s", 0xfff0007f, 0x42000053, F::R1Frm, Ext::D, sem::fcvt_d_s},
    {"feq.d", 0xfe00707f, 0xa2002053, F::R, Ext::D, sem::feq_d},
    {"flt.d", 0xfe00707f, 0xa2001053, F::R, Ext::D, sem::flt_d},
    {"fle.d", 0xfe00707f, 0xa2000053, F::R, Ext::D, sem::fle_d},
    {"fclass.d", 0xfff0707f, 0xe2001053, F::R1, Ext::D, sem::fclass_d},
    {"fcvt.w.d", 0xfff0007f, 0xc2000053, F::R1Frm, Ext::D, sem::fcvt_w_d},
    {"fcvt.wu.d", 0xfff0007f, 0xc2100053, F::R1Frm, Ext::D, sem::fcvt_wu_d},
    {"fcvt.l.d", 0xfff0007f, 0xc2200053, F::R1Frm, Ext::D, sem::fcvt_l_d},
    {"fcvt.lu.d", 0xfff0007f, 0xc2300053, F::R1Frm, Ext::D, sem::fcvt_lu_d},
    {"fmv.x.d", 0xfff0707f, 0xe2000053, F::R1, Ext::D, sem::fmv_x_d},
    {"fcvt.d.w", 0xfff0007f, 0xd2000053, F::R1Frm, Ext::D, sem::fcvt_d_w},
    {"fcvt.d.wu", 0xfff0007f, 0xd2100053, F::R1Frm, Ext::D, sem::fcvt_d_wu},
    {"fcvt.d.l", 0xfff0007f, 0xd2200053, F::R1Frm, Ext::D, sem::fcvt_d_l},
    {"fcvt.d.lu", 0xfff0007f, 0xd2300053, F::R1Frm, Ext::D, sem::fcvt_d_lu},
    {"fmv.d.x", 0xfff0707f, 0xf2000053, F::R1, Ext::D, sem::fmv_d_x},
};
}  // namespace
std::span<const InsnRow> rows_fd() { return kRows; }
}  // namespace lockstep::core::decode
