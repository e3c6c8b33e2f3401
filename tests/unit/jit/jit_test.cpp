// The JIT's pieces on their own: region planning, compiling and running a region with exact
// budgets, and the RAM dirty bitmap the inline store path relies on.
#include <doctest/doctest.h>

#include <cstring>

#include "core/address_space.h"
#include "core/code_cache.h"
#include "core/csr.h"
#include "core/memory.h"
#include "jit/compiler.h"
#include "jit/region.h"

using namespace lockstep;
using core::u32;
using core::u64;

namespace {

constexpr u64 kRam = 0x80000000;
// 0: addi a0,a0,1   4: addi a1,a1,2   8: bne a0,a2,0   c: addi a3,a3,7   10: ret
constexpr u32 kLoop[] = {0x00150513, 0x00258593, 0xfec51ce3, 0x00768693, 0x00008067};

struct Machine {
  core::AddressSpace bus;
  core::CodeCache code;
  core::Hart h;
  core::RamBlock* ram;
  Machine() {
    ram = bus.add_ram("ram", kRam, 1 << 20);
    h.bus = &bus;
    h.code = &code;
    h.pc = kRam;
    core::set_priv(h, core::Priv::M);
    core::flush_translations(h);
    std::memcpy(ram->host, kLoop, sizeof kLoop);
  }
};

}  // namespace

TEST_CASE("a loop region: planned with its back edge, run with exact budgets") {
  Machine m;
  const jit::RegionPlan plan = jit::plan_region(m.ram->host, kRam, kRam, 512, [](u64) { return true; });
  REQUIRE(plan.blocks.size() == 2);  // the loop body (ends at bne) and the tail
  CHECK(plan.blocks[0].insns.size() == 3);
  CHECK(plan.blocks[0].taken_block == 0);
  CHECK(plan.blocks[0].fallthrough_block == 1);
  CHECK(plan.blocks[1].insns.size() == 2);

  auto compiler = jit::Compiler::create();
  REQUIRE_MESSAGE(compiler.ok(), (compiler.ok() ? "" : compiler.error().message));
  auto fns = compiler.value()->compile({&plan});
  REQUIRE_MESSAGE(fns.ok(), (fns.ok() ? "" : fns.error().message));
  const jit::RegionFn fn = fns.value().functions[0];

  SUBCASE("to the end of the loop") {
    m.h.x[12] = 10;  // a2: ten iterations
    // Budget for everything: 10 * 3 + addi, and the ret leaves the region (Jump, retired).
    const unsigned rc = fn(&m.h, 1000, 0);
    CHECK(rc == 0);
    CHECK(m.h.x[10] == 10);
    CHECK(m.h.x[11] == 20);
    CHECK(m.h.x[13] == 7);
    CHECK(m.h.icount == 32);
    CHECK(m.h.pc == 0);  // ret to ra = 0
  }
  SUBCASE("a budget that ends inside the loop stops at a block boundary, never past it") {
    m.h.x[12] = 10;
    const unsigned rc = fn(&m.h, 8, 0);  // room for two iterations (6), not a third (9)
    CHECK(rc == 0);
    CHECK(m.h.icount == 6);
    CHECK(m.h.pc == kRam);
    CHECK(m.h.x[10] == 2);
    // Entering again at the loop block with more budget continues exactly.
    CHECK(fn(&m.h, 1000, 0) == 0);
    CHECK(m.h.icount == 32);
    CHECK(m.h.x[11] == 20);
  }
  SUBCASE("entering at the second block") {
    m.h.pc = kRam + 12;
    CHECK(fn(&m.h, 1000, 1) == 0);
    CHECK(m.h.x[13] == 7);
    CHECK(m.h.icount == 2);
  }
  compiler.value()->drop_all();
}

TEST_CASE("RAM dirty bitmap: the first store to a page marks it, also after clearing") {
  Machine m;
  const u64 page = 5;
  const u64 addr = kRam + page * core::kPageSize + 8;
  CHECK_FALSE(m.ram->page_dirty(page));
  REQUIRE(core::store<u64>(m.h, addr, 0x1234));  // slow path: marks the page, fills the TLB
  CHECK(m.ram->page_dirty(page));
  REQUIRE(core::store<u64>(m.h, addr + 8, 0x5678));  // fast path
  m.ram->clear_all_dirty();
  CHECK_FALSE(m.ram->page_dirty(page));
  core::flush_translations(m.h);  // what a migration round does after clearing
  REQUIRE(core::store<u64>(m.h, addr, 0x9abc));
  CHECK(m.ram->page_dirty(page));
  m.ram->clear_dirty(page);
  CHECK_FALSE(m.ram->page_dirty(page));
  // Device DMA and image loading mark pages too.
  REQUIRE(m.bus.dma_write(kRam + 9 * core::kPageSize, "x", 1));
  CHECK(m.ram->page_dirty(9));
}
