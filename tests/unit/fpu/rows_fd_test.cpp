// The F/D decode rows against encodings produced by riscv64-unknown-elf-as (-march=rv64g).
#include <set>
#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "core/decode/table.h"

using namespace lockstep::core;
using namespace lockstep::core::decode;

namespace {
struct Encoded {
  u32 word;
  const char* mnemonic;
};
// riscv64-unknown-elf-objdump -d -M no-aliases of one instance of each instruction.
constexpr Encoded kAssembled[] = {
    {0x00812087, "flw"},  // flw ft1,8(sp)
    {0xfe32ae27, "fsw"},  // fsw ft3,-4(t0)
    {0x203100c3, "fmadd.s"},  // fmadd.s ft1,ft2,ft3,ft4,rne
    {0x407312c7, "fmsub.s"},  // fmsub.s ft5,ft6,ft7,fs0,rtz
    {0x60b524cb, "fnmsub.s"},  // fnmsub.s fs1,fa0,fa1,fa2,rdn
    {0x80f736cf, "fnmadd.s"},  // fnmadd.s fa3,fa4,fa5,fa6,rup
    {0x003140d3, "fadd.s"},  // fadd.s ft1,ft2,ft3,rmm
    {0x083170d3, "fsub.s"},  // fsub.s ft1,ft2,ft3
    {0x103170d3, "fmul.s"},  // fmul.s ft1,ft2,ft3
    {0x183170d3, "fdiv.s"},  // fdiv.s ft1,ft2,ft3
    {0x580170d3, "fsqrt.s"},  // fsqrt.s ft1,ft2
    {0x203100d3, "fsgnj.s"},  // fsgnj.s ft1,ft2,ft3
    {0x203110d3, "fsgnjn.s"},  // fsgnjn.s ft1,ft2,ft3
    {0x203120d3, "fsgnjx.s"},  // fsgnjx.s ft1,ft2,ft3
    {0x283100d3, "fmin.s"},  // fmin.s ft1,ft2,ft3
    {0x283110d3, "fmax.s"},  // fmax.s ft1,ft2,ft3
    {0xc00110d3, "fcvt.w.s"},  // fcvt.w.s ra,ft2,rtz
    {0xc01170d3, "fcvt.wu.s"},  // fcvt.wu.s ra,ft2
    {0xc02170d3, "fcvt.l.s"},  // fcvt.l.s ra,ft2
    {0xc03170d3, "fcvt.lu.s"},  // fcvt.lu.s ra,ft2
    {0xe00100d3, "fmv.x.w"},  // fmv.x.w ra,ft2
    {0xe00110d3, "fclass.s"},  // fclass.s ra,ft2
    {0xa03120d3, "feq.s"},  // feq.s ra,ft2,ft3
    {0xa03110d3, "flt.s"},  // flt.s ra,ft2,ft3
    {0xa03100d3, "fle.s"},  // fle.s ra,ft2,ft3
    {0xd00170d3, "fcvt.s.w"},  // fcvt.s.w ft1,sp
    {0xd01170d3, "fcvt.s.wu"},  // fcvt.s.wu ft1,sp
    {0xd02170d3, "fcvt.s.l"},  // fcvt.s.l ft1,sp
    {0xd03170d3, "fcvt.s.lu"},  // fcvt.s.lu ft1,sp
    {0xf00100d3, "fmv.w.x"},  // fmv.w.x ft1,sp
    {0x00813087, "fld"},  // fld ft1,8(sp)
    {0xfe32be27, "fsd"},  // fsd ft3,-4(t0)
    {0x223170c3, "fmadd.d"},  // fmadd.d ft1,ft2,ft3,ft4
    {0x427372c7, "fmsub.d"},  // fmsub.d ft5,ft6,ft7,fs0
    {0x62b574cb, "fnmsub.d"},  // fnmsub.d fs1,fa0,fa1,fa2
    {0x82f776cf, "fnmadd.d"},  // fnmadd.d fa3,fa4,fa5,fa6
    {0x023170d3, "fadd.d"},  // fadd.d ft1,ft2,ft3
    {0x0a3170d3, "fsub.d"},  // fsub.d ft1,ft2,ft3
    {0x123170d3, "fmul.d"},  // fmul.d ft1,ft2,ft3
    {0x1a3170d3, "fdiv.d"},  // fdiv.d ft1,ft2,ft3
    {0x5a0170d3, "fsqrt.d"},  // fsqrt.d ft1,ft2
    {0x223100d3, "fsgnj.d"},  // fsgnj.d ft1,ft2,ft3
    {0x223110d3, "fsgnjn.d"},  // fsgnjn.d ft1,ft2,ft3
    {0x223120d3, "fsgnjx.d"},  // fsgnjx.d ft1,ft2,ft3
    {0x2a3100d3, "fmin.d"},  // fmin.d ft1,ft2,ft3
    {0x2a3110d3, "fmax.d"},  // fmax.d ft1,ft2,ft3
    {0x401170d3, "fcvt.s.d"},  // fcvt.s.d ft1,ft2
    {0x420100d3, "fcvt.d.s"},  // fcvt.d.s ft1,ft2
    {0xa23120d3, "feq.d"},  // feq.d ra,ft2,ft3
    {0xa23110d3, "flt.d"},  // flt.d ra,ft2,ft3
    {0xa23100d3, "fle.d"},  // fle.d ra,ft2,ft3
    {0xe20110d3, "fclass.d"},  // fclass.d ra,ft2
    {0xc20170d3, "fcvt.w.d"},  // fcvt.w.d ra,ft2
    {0xc21170d3, "fcvt.wu.d"},  // fcvt.wu.d ra,ft2
    {0xc22170d3, "fcvt.l.d"},  // fcvt.l.d ra,ft2
    {0xc23170d3, "fcvt.lu.d"},  // fcvt.lu.d ra,ft2
    {0xe20100d3, "fmv.x.d"},  // fmv.x.d ra,ft2
    {0xd20100d3, "fcvt.d.w"},  // fcvt.d.w ft1,sp
    {0xd21100d3, "fcvt.d.wu"},  // fcvt.d.wu ft1,sp
    {0xd22170d3, "fcvt.d.l"},  // fcvt.d.l ft1,sp
    {0xd23170d3, "fcvt.d.lu"},  // fcvt.d.lu ft1,sp
    {0xf20100d3, "fmv.d.x"},  // fmv.d.x ft1,sp
};
}  // namespace

TEST_CASE("every F/D instruction matches exactly its own row") {
  std::set<std::string> seen;
  for (const Encoded& e : kAssembled) {
    INFO(e.mnemonic);
    int hits = 0;
    for (const InsnRow& r : rows_fd()) {
      if ((e.word & r.mask) != r.match) continue;
      ++hits;
      CHECK(r.mnemonic == std::string_view(e.mnemonic));
      const bool dbl = r.mnemonic.ends_with(".d") || r.mnemonic == "fld" || r.mnemonic == "fsd" ||
                       r.mnemonic == "fcvt.d.s" || r.mnemonic.starts_with("fcvt.d.") ||
                       r.mnemonic.starts_with("fmv.d.") || r.mnemonic.starts_with("fcvt.s.d");
      CHECK(r.ext == (dbl ? Ext::D : Ext::F));
    }
    CHECK(hits == 1);
    seen.insert(e.mnemonic);
  }
  CHECK(seen.size() == rows_fd().size());
  CHECK(rows_fd().size() == 62);
}

TEST_CASE("rows are well formed: match within mask, an opcode of the F/D space, a function") {
  for (const InsnRow& r : rows_fd()) {
    INFO(std::string(r.mnemonic));
    CHECK((r.match & ~r.mask) == 0);
    CHECK((r.mask & 0x7f) == 0x7f);
    const u32 op = r.match & 0x7f;
    CHECK((op == 0x07 || op == 0x27 || op == 0x43 || op == 0x47 || op == 0x4b || op == 0x4f || op == 0x53));
    CHECK(static_cast<bool>(r.fn));
    // rows with a rounding-mode operand leave bits 14:12 open; the others fix them
    const bool has_rm = r.format == Format::R4 || r.format == Format::RFrm || r.format == Format::R1Frm;
    CHECK(((r.mask & 0x7000) == 0) == has_rm);
  }
  // no two rows overlap
  const auto rows = rows_fd();
  for (size_t a = 0; a < rows.size(); ++a) {
    for (size_t b = a + 1; b < rows.size(); ++b) {
      const u32 common = rows[a].mask & rows[b].mask;
      CHECK_MESSAGE((rows[a].match & common) != (rows[b].match & common),
                    std::string(rows[a].mnemonic) << " overlaps " << std::string(rows[b].mnemonic));
    }
  }
}
