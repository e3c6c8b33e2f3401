// Sdtrig as QEMU 7.2 has it: the CSR rules of tselect/tdata1-3/tinfo and when a trigger matches
// (core/triggers.h). The guest tests/guests/priv/triggers.c checks the same against QEMU itself.
#include <doctest/doctest.h>

#include "core/csr.h"
#include "core/triggers.h"

using namespace lockstep::core;

namespace {

constexpr u64 kT2 = u64{2} << 60, kT6 = u64{6} << 60;
constexpr u64 kLoad = 1, kStore = 2, kExec = 4, kU = 8, kS = 16, kM = 64;

Hart hart_with_triggers() {
  Hart h;
  h.sdtrig = true;
  return h;
}

u64 read(Hart& h, u16 n) {
  u64 v = 0;
  REQUIRE(csr_read(h, n, v));
  return v;
}

void set(Hart& h, unsigned i, u64 tdata1, u64 tdata2) {
  REQUIRE(csr_write(h, csr::tselect, i));
  REQUIRE(csr_write(h, csr::tdata1, kT2));
  REQUIRE(csr_write(h, csr::tdata2, tdata2));
  REQUIRE(csr_write(h, csr::tdata1, tdata1));
}

}  // namespace

TEST_CASE("triggers: without the debug property every trigger CSR is illegal") {
  Hart h;  // sdtrig off: machine versions before virt-2.1
  u64 v = 0;
  for (u16 n : {csr::tselect, csr::tdata1, csr::tdata2, csr::tdata3, csr::tinfo}) {
    CHECK_FALSE(csr_read(h, n, v));
    CHECK_FALSE(csr_write(h, n, 0));
  }
}

TEST_CASE("triggers: reset values, tinfo, tselect and privilege") {
  Hart h = hart_with_triggers();
  CHECK(read(h, csr::tselect) == 0);
  CHECK(read(h, csr::tdata1) == kT2);
  CHECK(read(h, csr::tdata2) == 0);
  CHECK(read(h, csr::tdata3) == 0);
  CHECK(read(h, csr::tinfo) == 0x44);  // types 2 and 6
  CHECK(csr_write(h, csr::tinfo, 0));  // ignored, legal
  CHECK(read(h, csr::tinfo) == 0x44);
  CHECK(csr_write(h, csr::tselect, 1));
  CHECK(csr_write(h, csr::tselect, 2));  // ignored: two triggers
  CHECK(read(h, csr::tselect) == 1);
  CHECK(csr_write(h, csr::tdata3, 0x123));  // ignored: neither type has tdata3 in QEMU 7.2
  CHECK(read(h, csr::tdata3) == 0);
  h.priv = Priv::S;
  u64 v = 0;
  CHECK_FALSE(csr_read(h, csr::tselect, v));
  CHECK_FALSE(csr_write(h, csr::tdata1, kT2));
}

TEST_CASE("triggers: what a tdata1 write leaves (QEMU's validate functions)") {
  struct Case {
    u64 written, reads;
  };
  const Case cases[] = {
      {0, kT2},                                        // type 0: ignored
      {u64{3} << 60 | kM | kLoad, kT2},                // icount: ignored
      {kT2 | 0x0fff'ffff'ffff'ffff, kT2 | 0x5f},       // size 15 unsupported; match/chain/action/... 0
      {kT2 | u64{1} << 21 | u64{1} << 16 | kM, kT2 | u64{1} << 21 | u64{1} << 16 | kM},  // 8 bytes kept
      {kT2 | u64{1} << 21 | kM, kT2 | kM},             // 6 bytes: any
      {kT2 | u64{1} << 59 | kM | kExec, kT2 | kM | kExec},  // dmode reads 0
      {kT6 | 0x0fff'ffff'ffff'ffff, kT6 | 0x180'005f},  // vu, vs kept
      {kT6 | u64{5} << 16 | kS | kStore, kT6 | u64{5} << 16 | kS | kStore},
      {kT6 | u64{4} << 16 | kS | kStore, kT6 | kS | kStore},
  };
  for (const Case& c : cases) {
    Hart h = hart_with_triggers();
    CAPTURE(c.written);
    REQUIRE(csr_write(h, csr::tdata1, c.written));
    CHECK(read(h, csr::tdata1) == c.reads);
    CHECK(check_trigger_state(h.csr.triggers).ok());
  }
}

TEST_CASE("triggers: arming, and the data TLBs dropped when a load/store trigger is set") {
  Hart h = hart_with_triggers();
  CHECK(h.triggers_armed == 0);
  set(h, 0, kT2 | kExec, 0x1000);  // no mode bit: QEMU inserts nothing
  CHECK(h.triggers_armed == 0);
  set(h, 0, kT2 | kM | kExec, 0x1000);
  CHECK(h.triggers_armed == kArmedExec);
  h.load_tlb.slot(0x2000).tag = 2;
  h.store_tlb.slot(0x2000).tag = 2;
  set(h, 1, kT2 | kU | kStore, 0x2000);
  CHECK(h.triggers_armed == (kArmedExec | kArmedWatch));
  CHECK(h.load_tlb.slot(0x2000).tag == ~u64{0});
  CHECK(h.store_tlb.slot(0x2000).tag == ~u64{0});
  set(h, 1, kT2 | kU | kStore, ~u64{0} - 2);  // 8 bytes from there wrap: QEMU refuses the watchpoint
  CHECK(h.triggers_armed == kArmedExec);
  Hart off = h;
  off.sdtrig = false;
  rearm_triggers(off);
  CHECK(off.triggers_armed == 0);
}

TEST_CASE("triggers: execute matches pc and the current privilege, with QEMU's any-breakpoint rule") {
  Hart h = hart_with_triggers();
  set(h, 0, kT2 | kU | kExec, 0x1000);
  h.pc = 0x1000;
  CHECK_FALSE(exec_trigger_fires(h));
  h.priv = Priv::U;
  CHECK(exec_trigger_fires(h));
  h.pc = 0x1002;
  CHECK_FALSE(exec_trigger_fires(h));
  // Trigger 1, for M at another address, makes trigger 0 fire in M too.
  h.priv = Priv::M;
  set(h, 1, kT2 | kM | kExec, 0x3000);
  h.pc = 0x1000;
  CHECK(exec_trigger_fires(h));
  h.pc = 0x3000;
  CHECK(exec_trigger_fires(h));
}

TEST_CASE("triggers: load/store ranges as QEMU's watchpoints cover them") {
  Hart h = hart_with_triggers();
  set(h, 0, kT2 | kM | kLoad, 0x1000);  // any size: 8 bytes
  CHECK(watch_fires(h, 0x1007, 1, kWatchLoad));
  CHECK_FALSE(watch_fires(h, 0x1008, 1, kWatchLoad));
  CHECK(watch_fires(h, 0xfff, 2, kWatchLoad));
  CHECK_FALSE(watch_fires(h, 0x1000, 4, kWatchStore));
  set(h, 0, kT2 | u64{3} << 16 | kM | kStore, 0x2000);  // "4 bytes": the encoding 3 as a length
  CHECK(watch_fires(h, 0x2002, 1, kWatchStore));
  CHECK_FALSE(watch_fires(h, 0x2003, 1, kWatchStore));
  // QEMU's arithmetic for a zero or wrapping length: [addr, addr + len - 1] as unsigned values.
  CHECK(watch_fires(h, 0x2001, 0, kWatchStore));
  CHECK(watch_on_page(h, 0x2ff8));
  CHECK_FALSE(watch_on_page(h, 0x3000));
  // The current privilege decides, not MPRV's.
  h.csr.mstatus |= csr::kMPRV;
  CHECK(watch_fires(h, 0x2000, 4, kWatchStore));
  h.priv = Priv::S;
  CHECK_FALSE(watch_fires(h, 0x2000, 4, kWatchStore));
}

TEST_CASE("triggers: a loaded state must be one a guest can reach") {
  TriggerState t;
  CHECK(check_trigger_state(t).ok());
  t.tselect = 2;
  CHECK(check_trigger_state(t).error().message == "env.trigger_cur 2 is not a trigger (there are 2)");
  t = TriggerState{};
  t.tdata1[1] = 0;
  CHECK_FALSE(check_trigger_state(t).ok());
  t = TriggerState{};
  t.tdata1[0] = kT2 | (u64{1} << 12);  // action 1 (debug mode): never left by a write
  CHECK_FALSE(check_trigger_state(t).ok());
  t = TriggerState{};
  t.tdata3[0] = 1;
  CHECK_FALSE(check_trigger_state(t).ok());
}
