// What watchpoints see: the memory an instruction touches, for every load, store and AMO row.
#include <doctest/doctest.h>

#include <string>

#include "core/decode/table.h"
#include "replay/gdb/memory_access.h"

namespace gdb = lockstep::replay::gdb;
namespace decode = lockstep::core::decode;

namespace {

// By mnemonic: loads l?/fl?, stores s?/fs? (compressed ones too, sp-relative or not), lr/sc, AMOs.
bool is_memory_mnemonic(std::string m) {
  if (m.starts_with("c.")) m = m.substr(2);
  if (m.ends_with("sp") && m != "addi16sp" && m != "addi4spn") m.resize(m.size() - 2);
  if (m.starts_with("amo") || m.starts_with("lr.") || m.starts_with("sc.")) return true;
  static const char* kPlain[] = {"lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", "flw", "fld",
                                 "sb", "sh", "sw", "sd", "fsw", "fsd"};
  for (const char* p : kPlain)
    if (m == p) return true;
  return false;
}

}  // namespace

TEST_CASE("memory access: every load, store and AMO row is classified, nothing else") {
  for (const auto& r : decode::all_rows()) {
    INFO(std::string(r.mnemonic));
    CHECK(gdb::classifies(r.fn) == is_memory_mnemonic(std::string(r.mnemonic)));
  }
}

TEST_CASE("memory access: address, size and direction from operands and registers") {
  lockstep::core::Hart h;
  lockstep::core::Insn i;
  h.x[2] = 0x1000;  // sp
  REQUIRE(decode::decode16(0x4592, i));  // c.lwsp a1, 4(sp)
  auto a = gdb::memory_access(h, i);
  REQUIRE(a);
  CHECK(a->address == 0x1004);
  CHECK(a->size == 4);
  CHECK(a->reads);
  CHECK_FALSE(a->writes);
  h.x[10] = 0x2000;
  REQUIRE(decode::decode32(0xfeb53c23, i));  // sd a1, -8(a0)
  a = gdb::memory_access(h, i);
  REQUIRE(a);
  CHECK(a->address == 0x1ff8);
  CHECK(a->size == 8);
  CHECK(a->writes);
  REQUIRE(decode::decode32(0x00b5202f, i));  // amoadd.w zero, a1, (a0)
  a = gdb::memory_access(h, i);
  REQUIRE(a);
  CHECK((a->address == 0x2000 && a->size == 4 && a->reads && a->writes));
  REQUIRE(decode::decode32(0x18b5362f, i));  // sc.d a2, a1, (a0)
  a = gdb::memory_access(h, i);
  REQUIRE(a);
  CHECK((a->writes && !a->reads && a->conditional));
  REQUIRE(decode::decode32(0x00b50533, i));  // add a0, a0, a1
  CHECK_FALSE(gdb::memory_access(h, i));
}
