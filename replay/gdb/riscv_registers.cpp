#include "replay/gdb/riscv_registers.h"

#include <array>
#include <cstring>

#include <fmt/format.h>

#include "core/csr.h"
#include "core/csr_bits.h"
#include "core/decode/disasm.h"

namespace lockstep::replay::gdb {
namespace {

namespace csr = core::csr;

// Names of the single CSRs (privileged spec v1.12, Sdtrig); numbered families are below.
struct NamedCsr {
  std::uint16_t number;
  std::string_view name;
};
constexpr NamedCsr kNamed[] = {
    {csr::fflags, "fflags"}, {csr::frm, "frm"}, {csr::fcsr, "fcsr"},
    {csr::cycle, "cycle"}, {csr::time, "time"}, {csr::instret, "instret"},
    {csr::sstatus, "sstatus"}, {csr::sie, "sie"}, {csr::stvec, "stvec"}, {csr::scounteren, "scounteren"},
    {csr::senvcfg, "senvcfg"}, {csr::sscratch, "sscratch"}, {csr::sepc, "sepc"}, {csr::scause, "scause"},
    {csr::stval, "stval"}, {csr::sip, "sip"}, {csr::satp, "satp"},
    {csr::mvendorid, "mvendorid"}, {csr::marchid, "marchid"}, {csr::mimpid, "mimpid"}, {csr::mhartid, "mhartid"},
    {csr::mconfigptr, "mconfigptr"},
    {csr::mstatus, "mstatus"}, {csr::misa, "misa"}, {csr::medeleg, "medeleg"}, {csr::mideleg, "mideleg"},
    {csr::mie, "mie"}, {csr::mtvec, "mtvec"}, {csr::mcounteren, "mcounteren"}, {csr::menvcfg, "menvcfg"},
    {csr::mcountinhibit, "mcountinhibit"}, {csr::mscratch, "mscratch"}, {csr::mepc, "mepc"},
    {csr::mcause, "mcause"}, {csr::mtval, "mtval"}, {csr::mip, "mip"}, {csr::mseccfg, "mseccfg"},
    {csr::mcycle, "mcycle"}, {csr::minstret, "minstret"},
    {csr::tselect, "tselect"}, {csr::tdata1, "tdata1"}, {csr::tdata2, "tdata2"}, {csr::tdata3, "tdata3"},
    {0x7A4, "tinfo"}, {0x7A5, "tcontrol"}, {0x7A8, "mcontext"}, {0x5A8, "scontext"},
};

// Numbered families: name + (number - first + offset).
struct CsrFamily {
  std::uint16_t first, last;
  std::string_view prefix;
  unsigned offset;
};
constexpr CsrFamily kFamilies[] = {
    {csr::hpmcounter3, csr::hpmcounter31, "hpmcounter", 3},
    {csr::mhpmcounter3, csr::mhpmcounter31, "mhpmcounter", 3},
    {csr::mhpmevent3, csr::mhpmevent31, "mhpmevent", 3},
    {csr::pmpcfg0, csr::pmpcfg15, "pmpcfg", 0},
    {csr::pmpaddr0, csr::pmpaddr63, "pmpaddr", 0},
};

// The FP control CSRs are described in the FPU feature (where gdb looks first), 32 bits wide.
bool in_fpu_feature(std::uint16_t n) { return n == csr::fflags || n == csr::frm || n == csr::fcsr; }

unsigned register_bytes(unsigned regnum) {
  return regnum >= kRegFirstCsr && regnum < kRegPriv && in_fpu_feature(static_cast<std::uint16_t>(regnum - kRegFirstCsr))
             ? 4
             : 8;
}

// CSR access as M-mode with the FPU on, whatever mode the hart is in: what a debugger may see
// and change. Only the mode and FS are borrowed, and put back.
template <typename F>
auto as_machine_mode(core::Hart& h, F&& access) {
  const core::Priv priv = h.priv;
  const core::u64 fs = h.csr.mstatus & csr::kFS;
  h.priv = core::Priv::M;
  h.csr.mstatus |= csr::kFS;
  auto result = access();
  h.priv = priv;
  // A write of mstatus (or fcsr, which marks FS dirty) keeps its own FS.
  if (!(result.changed_fs)) h.csr.mstatus = (h.csr.mstatus & ~csr::kFS) | fs;
  core::update_translation_keys(h);
  return result;
}

struct CsrAccess {
  bool ok;
  core::u64 value;
  bool changed_fs;
};

std::vector<std::uint8_t> le_bytes(core::u64 v, unsigned n) {
  std::vector<std::uint8_t> out(n);
  for (unsigned i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * i));
  return out;
}

std::string build_xml() {
  std::string x =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n"
      "<architecture>riscv:rv64</architecture>\n<feature name=\"org.gnu.gdb.riscv.cpu\">\n";
  for (unsigned r = 0; r < 32; ++r) {
    const char* type = r == 1 ? "code_ptr" : r == 2 ? "data_ptr" : "int";
    x += fmt::format("  <reg name=\"{}\" bitsize=\"64\" type=\"{}\" regnum=\"{}\"/>\n", core::decode::xreg_name(r), type, r);
  }
  x += fmt::format("  <reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"{}\"/>\n</feature>\n", kRegPc);
  x += "<feature name=\"org.gnu.gdb.riscv.fpu\">\n"
       "  <union id=\"riscv_double\"><field name=\"float\" type=\"ieee_single\"/>"
       "<field name=\"double\" type=\"ieee_double\"/></union>\n";
  for (unsigned r = 0; r < 32; ++r)
    x += fmt::format("  <reg name=\"{}\" bitsize=\"64\" type=\"riscv_double\" regnum=\"{}\"/>\n",
                     core::decode::freg_name(r), kRegFirstFpr + r);
  for (std::uint16_t n : {std::uint16_t{csr::fflags}, std::uint16_t{csr::frm}, std::uint16_t{csr::fcsr}})
    x += fmt::format("  <reg name=\"{}\" bitsize=\"32\" type=\"int\" regnum=\"{}\"/>\n", csr_name(n), kRegFirstCsr + n);
  x += "</feature>\n<feature name=\"org.gnu.gdb.riscv.csr\">\n";
  for (std::uint16_t n : implemented_csrs()) {
    if (in_fpu_feature(n)) continue;
    const std::string_view name = csr_name(n);
    x += name.empty() ? fmt::format("  <reg name=\"csr{}\" bitsize=\"64\" type=\"int\" regnum=\"{}\"/>\n", n, kRegFirstCsr + n)
                      : fmt::format("  <reg name=\"{}\" bitsize=\"64\" type=\"int\" regnum=\"{}\"/>\n", name, kRegFirstCsr + n);
  }
  x += fmt::format(
      "</feature>\n<feature name=\"org.gnu.gdb.riscv.virtual\">\n  <reg name=\"priv\" bitsize=\"64\" type=\"int\" "
      "regnum=\"{}\"/>\n</feature>\n</target>\n",
      kRegPriv);
  return x;
}

}  // namespace

std::string_view csr_name(std::uint16_t number) {
  for (const auto& c : kNamed)
    if (c.number == number) return c.name;
  static std::array<std::string, 4096> family_names;  // built on first use, never changed after
  for (const auto& f : kFamilies) {
    if (number < f.first || number > f.last) continue;
    std::string& s = family_names[number];
    if (s.empty()) s = fmt::format("{}{}", f.prefix, number - f.first + f.offset);
    return s;
  }
  return {};
}

std::vector<std::uint16_t> implemented_csrs() {
  core::Hart probe;
  probe.priv = core::Priv::M;
  probe.csr.mstatus |= csr::kFS;
  std::vector<std::uint16_t> out;
  for (unsigned n = 0; n < 4096; ++n) {
    core::u64 v;
    if (core::csr_read(probe, static_cast<std::uint16_t>(n), v)) out.push_back(static_cast<std::uint16_t>(n));
  }
  return out;
}

const std::string& riscv_target_xml() {
  static const std::string xml = build_xml();
  return xml;
}

Result<std::vector<std::uint8_t>> read_register(core::Hart& h, unsigned regnum) {
  if (regnum < 32) return le_bytes(h.x[regnum], 8);
  if (regnum == kRegPc) return le_bytes(h.pc, 8);
  if (regnum >= kRegFirstFpr && regnum < kRegFirstFpr + 32) return le_bytes(h.f[regnum - kRegFirstFpr], 8);
  if (regnum == kRegPriv) return le_bytes(static_cast<core::u64>(h.priv), 8);
  if (regnum >= kRegFirstCsr && regnum < kRegPriv) {
    const auto n = static_cast<std::uint16_t>(regnum - kRegFirstCsr);
    const CsrAccess a = as_machine_mode(h, [&] {
      CsrAccess r{false, 0, false};
      r.ok = core::csr_read(h, n, r.value);
      return r;
    });
    if (a.ok) return le_bytes(a.value, register_bytes(regnum));
  }
  return Error{fmt::format("no register {}", regnum)};
}

Status write_register(core::Hart& h, unsigned regnum, std::span<const std::uint8_t> value) {
  if (value.size() != register_bytes(regnum)) return Error{fmt::format("register {} takes {} bytes", regnum, register_bytes(regnum))};
  core::u64 v = 0;
  std::memcpy(&v, value.data(), value.size());
  if (regnum < 32) {
    h.set_x(regnum, v);
  } else if (regnum == kRegPc) {
    h.pc = v;
  } else if (regnum >= kRegFirstFpr && regnum < kRegFirstFpr + 32) {
    h.f[regnum - kRegFirstFpr] = v;
  } else if (regnum == kRegPriv) {
    if (v != 0 && v != 1 && v != 3) return Error{"priv is 0 (U), 1 (S) or 3 (M)"};
    core::set_priv(h, static_cast<core::Priv>(v));
  } else if (regnum >= kRegFirstCsr && regnum < kRegPriv) {
    const auto n = static_cast<std::uint16_t>(regnum - kRegFirstCsr);
    const CsrAccess a = as_machine_mode(h, [&] {
      return CsrAccess{core::csr_write(h, n, v), v, n == csr::mstatus || n == csr::sstatus || in_fpu_feature(n)};
    });
    if (!a.ok) return Error{fmt::format("CSR 0x{:x} cannot be written", n)};
  } else {
    return Error{fmt::format("no register {}", regnum)};
  }
  return Ok{};
}

}  // namespace lockstep::replay::gdb
