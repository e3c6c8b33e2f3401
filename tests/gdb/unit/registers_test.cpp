// gdb's view of a hart: register numbers, the target description, CSR names, side-effect-free reads.
#include <doctest/doctest.h>

#include <ios>

#include "core/csr_bits.h"
#include "replay/gdb/riscv_registers.h"

namespace gdb = lockstep::replay::gdb;
namespace csr = lockstep::core::csr;
using lockstep::core::Hart;
using lockstep::core::Priv;

namespace {

std::uint64_t value(const std::vector<std::uint8_t>& b) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < b.size(); ++i) v |= std::uint64_t{b[i]} << (8 * i);
  return v;
}

std::vector<std::uint8_t> bytes(std::uint64_t v, unsigned n = 8) {
  std::vector<std::uint8_t> b(n);
  for (unsigned i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(v >> (8 * i));
  return b;
}

}  // namespace

TEST_CASE("registers: every CSR core implements has a name (a new CSR needs one in riscv_registers.cpp)") {
  const auto csrs = gdb::implemented_csrs();
  CHECK(csrs.size() > 100);
  for (std::uint16_t n : csrs) {
    INFO("CSR 0x" << std::hex << n);
    CHECK_FALSE(gdb::csr_name(n).empty());
  }
  CHECK(gdb::csr_name(csr::mstatus) == "mstatus");
  CHECK(gdb::csr_name(csr::pmpaddr0 + 15) == "pmpaddr15");
  CHECK(gdb::csr_name(csr::mhpmcounter3 + 1) == "mhpmcounter4");
}

TEST_CASE("registers: the target description has gdb's RISC-V features and numbers") {
  const std::string& xml = gdb::riscv_target_xml();
  for (const char* f : {"org.gnu.gdb.riscv.cpu", "org.gnu.gdb.riscv.fpu", "org.gnu.gdb.riscv.csr", "org.gnu.gdb.riscv.virtual"})
    CHECK(xml.find(f) != std::string::npos);
  CHECK(xml.find("<architecture>riscv:rv64</architecture>") != std::string::npos);
  CHECK(xml.find("name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"32\"") != std::string::npos);
  CHECK(xml.find("name=\"ft0\" bitsize=\"64\" type=\"riscv_double\" regnum=\"33\"") != std::string::npos);
  CHECK(xml.find("name=\"fcsr\" bitsize=\"32\" type=\"int\" regnum=\"68\"") != std::string::npos);
  CHECK(xml.find("name=\"mstatus\" bitsize=\"64\" type=\"int\" regnum=\"833\"") != std::string::npos);
  CHECK(xml.find("name=\"priv\" bitsize=\"64\" type=\"int\" regnum=\"4161\"") != std::string::npos);
  // The FP control CSRs are described once (in the FPU feature).
  CHECK(xml.find("name=\"fflags\"") == xml.rfind("name=\"fflags\""));
}

TEST_CASE("registers: reads and writes by gdb number") {
  Hart h;
  h.x[5] = 0x1234;
  h.pc = 0x80000000;
  h.f[3] = 0x4000000000000000;
  CHECK(value(gdb::read_register(h, 5).value()) == 0x1234);
  CHECK(value(gdb::read_register(h, gdb::kRegPc).value()) == 0x80000000);
  CHECK(value(gdb::read_register(h, gdb::kRegFirstFpr + 3).value()) == 0x4000000000000000);
  CHECK(gdb::write_register(h, 0, bytes(7)).ok());
  CHECK(h.x[0] == 0);  // x0 stays zero
  CHECK(gdb::write_register(h, 10, bytes(99)).ok());
  CHECK(h.x[10] == 99);
  CHECK_FALSE(gdb::write_register(h, 10, bytes(99, 4)).ok());  // wrong size
  CHECK_FALSE(gdb::read_register(h, 5000).ok());
  CHECK_FALSE(gdb::read_register(h, gdb::kRegFirstCsr + 0x7ff).ok());  // no such CSR
}

TEST_CASE("registers: CSRs read as M-mode would, leaving the hart's mode and FS alone") {
  Hart h;
  h.priv = Priv::U;
  h.csr.mstatus = 0;  // FS off: fflags is illegal to the guest, readable to the debugger
  h.csr.mscratch = 0xabc;
  h.csr.fflags = 3;
  CHECK(value(gdb::read_register(h, gdb::kRegFirstCsr + csr::mscratch).value()) == 0xabc);
  auto ff = gdb::read_register(h, gdb::kRegFirstCsr + csr::fflags);
  REQUIRE(ff.ok());
  CHECK(ff.value().size() == 4);
  CHECK(value(ff.value()) == 3);
  CHECK(h.priv == Priv::U);
  CHECK((h.csr.mstatus & csr::kFS) == 0);
  CHECK(value(gdb::read_register(h, gdb::kRegPriv).value()) == 0);
  // Writes follow the CSR rules: WARL mtvec modes, read-only mhartid.
  CHECK(gdb::write_register(h, gdb::kRegFirstCsr + csr::mtvec, bytes(0x80000003)).ok());
  CHECK(h.csr.mtvec == 0);  // reserved mode: ignored, as on QEMU
  CHECK_FALSE(gdb::write_register(h, gdb::kRegFirstCsr + csr::mhartid, bytes(1)).ok());
  CHECK(gdb::write_register(h, gdb::kRegFirstCsr + csr::mstatus, bytes(csr::kFS | csr::kMIE)).ok());
  CHECK((h.csr.mstatus & csr::kFS) == csr::kFS);  // a written mstatus keeps its FS
  CHECK(h.priv == Priv::U);
  CHECK(gdb::write_register(h, gdb::kRegPriv, bytes(1)).ok());
  CHECK(h.priv == Priv::S);
  CHECK_FALSE(gdb::write_register(h, gdb::kRegPriv, bytes(2)).ok());
}
