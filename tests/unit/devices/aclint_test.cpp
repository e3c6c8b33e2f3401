#include <doctest/doctest.h>

#include <cstring>

#include "core/csr_bits.h"
#include "devices/aclint.h"
#include "devices/sifive_test.h"

using namespace lockstep;
using core::u64;

namespace {

struct Rig {
  core::Hart h0, h1;
  u64 icount = 0;
  core::VirtualClock clock;
  devices::AclintMswi mswi{{&h0, &h1}};
  devices::AclintMtimer mtimer{{&h0, &h1}, clock, 10'000'000};
  Rig() {
    clock.running_icount = &icount;
    mtimer.reset();
  }
  u64 rd(core::MmioDevice& d, u64 off, unsigned size) {
    u64 v = 0xdead;
    REQUIRE(d.read(off, size, v));
    return v;
  }
};

constexpr u64 kMtime = 0x7ff8;  // within the mtimer window (CLINT + 0x4000)

}  // namespace

TEST_CASE("msip drives mip.MSIP per hart; only 4-byte accesses") {
  Rig r;
  CHECK(r.mswi.write(4, 4, 1));
  CHECK((r.h1.csr.mip & core::csr::kMSIP) != 0);
  CHECK((r.h0.csr.mip & core::csr::kMSIP) == 0);
  CHECK(r.rd(r.mswi, 4, 4) == 1);
  CHECK(r.mswi.write(4, 4, 0xfffffffe));  // only bit 0 counts
  CHECK((r.h1.csr.mip & core::csr::kMSIP) == 0);
  u64 v;
  CHECK_FALSE(r.mswi.read(0, 1, v));
  CHECK_FALSE(r.mswi.read(0, 8, v));
  CHECK_FALSE(r.mswi.write(2, 4, 1));
  CHECK(r.rd(r.mswi, 4 * 7, 4) == 0);  // a hart that does not exist reads 0
}

TEST_CASE("mtime counts 10 MHz of virtual time; reads count the reading instruction") {
  Rig r;
  r.icount = 999;  // the load is instruction 1000: 1000 ns
  CHECK(r.rd(r.mtimer, kMtime, 8) == 10);
  CHECK(r.mtimer.mtime(false) == 9);  // between instructions: 999 ns
  r.clock.offset_ns = 1'000'000;
  CHECK(r.rd(r.mtimer, kMtime, 4) == 10010);
  CHECK(r.rd(r.mtimer, kMtime + 4, 4) == 0);
}

TEST_CASE("past mtime the mtimer does not answer (the access faults); below it a missing hart reads 0") {
  Rig r;
  u64 v = 0;
  for (u64 off : {kMtime + 8, kMtime + 0x700, u64{0xbff8}}) {
    CAPTURE(off);
    CHECK_FALSE(r.mtimer.read(off, 4, v));
    CHECK_FALSE(r.mtimer.read(off, 8, v));
    CHECK_FALSE(r.mtimer.write(off, 8, 1));
  }
  CHECK(r.rd(r.mtimer, 0x100, 8) == 0);
  CHECK(r.rd(r.mtimer, kMtime - 8, 8) == 0);
}

TEST_CASE("MTIP is pending from reset (mtimecmp = 0) and follows QEMU's deadline rule") {
  Rig r;
  CHECK((r.h0.csr.mip & core::csr::kMTIP) != 0);
  r.icount = 149;  // the store is instruction 150: mtime 1
  CHECK(r.mtimer.write(0, 8, 3));
  CHECK((r.h0.csr.mip & core::csr::kMTIP) == 0);
  // QEMU: deadline = now + (mtimecmp - mtime) * 100 ns = 150 + 200 = 350, not 300.
  CHECK(r.mtimer.next_deadline_ns() == 350);
  r.icount = 349;
  r.mtimer.fire_due();
  CHECK((r.h0.csr.mip & core::csr::kMTIP) == 0);
  r.icount = 350;
  r.mtimer.fire_due();
  CHECK((r.h0.csr.mip & core::csr::kMTIP) != 0);
  CHECK(r.mtimer.next_deadline_ns() == ~u64{0});
}

TEST_CASE("mtimecmp halves and sizes") {
  Rig r;
  CHECK(r.mtimer.write(8, 4, 0x55667788));        // hart 1, low half
  CHECK(r.mtimer.write(12, 4, 0x11223344));       // high half
  CHECK(r.rd(r.mtimer, 8, 8) == 0x1122334455667788);
  CHECK(r.rd(r.mtimer, 12, 4) == 0x11223344);
  u64 v;
  CHECK_FALSE(r.mtimer.read(8, 2, v));
  CHECK_FALSE(r.mtimer.read(4, 8, v));  // misaligned 8-byte access
  CHECK_FALSE(r.mtimer.write(0, 1, 1));
}

TEST_CASE("writing mtime moves time for every comparison") {
  Rig r;
  r.icount = 99;
  CHECK(r.mtimer.write(0, 8, 1000));
  CHECK((r.h0.csr.mip & core::csr::kMTIP) == 0);
  CHECK(r.mtimer.write(kMtime, 8, 5000));
  CHECK(r.rd(r.mtimer, kMtime, 8) == 5000);
  CHECK((r.h0.csr.mip & core::csr::kMTIP) != 0);
}

TEST_CASE("the same accesses give the same state (determinism)") {
  auto run = [] {
    Rig r;
    for (u64 k = 0; k < 50; ++k) {
      r.icount += 37;
      (void)r.mtimer.write((k & 1) * 8, 8, k * 13);
      r.mtimer.fire_due();
      (void)r.mswi.write((k & 1) * 4, 4, k & 2);
    }
    const auto& s = r.mtimer.state();
    return std::make_tuple(s.mtimecmp, s.deadline_ns, s.time_delta, r.h0.csr.mip, r.h1.csr.mip);
  };
  CHECK(run() == run());
}

TEST_CASE("sifive_test: pass, fail with a code, reset; 2- and 4-byte accesses only") {
  devices::PowerRequest request;
  devices::SifiveTest t(request);
  CHECK(t.write(0, 4, 0x1234));  // not a command: ignored
  CHECK(request.kind == devices::PowerRequest::None);
  CHECK(t.write(0, 4, (7u << 16) | 0x3333));
  CHECK(request.kind == devices::PowerRequest::Exit);
  CHECK(request.exit_code == 7);
  CHECK(t.write(0, 4, 0x5555));
  CHECK(request.exit_code == 0);
  CHECK(t.write(0, 2, 0x7777));
  CHECK(request.kind == devices::PowerRequest::Reset);
  u64 v;
  CHECK_FALSE(t.read(0, 1, v));
  CHECK_FALSE(t.write(0, 8, 0x5555));
  CHECK(t.read(0, 4, v));
  CHECK(v == 0);
}
