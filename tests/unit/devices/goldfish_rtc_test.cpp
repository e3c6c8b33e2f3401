// Goldfish RTC against QEMU 7.2's hw/rtc/goldfish_rtc.c on the virt board, with the RTC on the
// virtual clock. "QEMU" marks behaviour measured on Debian's qemu-system-riscv64 7.2.22.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/virtual_clock.h"
#include "devices/goldfish_rtc.h"
#include "devices/irq_line.h"

using namespace lockstep;
using core::u32;
using core::u64;
using devices::GoldfishRtc;

namespace {

enum : u64 {
  TIME_LOW = 0x00,
  TIME_HIGH = 0x04,
  ALARM_LOW = 0x08,
  ALARM_HIGH = 0x0c,
  IRQ_ENABLED = 0x10,
  CLEAR_ALARM = 0x14,
  ALARM_STATUS = 0x18,
  CLEAR_INTERRUPT = 0x1c,
};

struct LineProbe : devices::IrqSink {
  std::vector<bool> calls;
  bool level = false;
  void set_irq(unsigned irq, bool l) override {
    CHECK(irq == 11);
    calls.push_back(l);
    level = l;
  }
};

struct Rig {
  u64 icount = 0;
  core::VirtualClock clock;
  LineProbe line;
  GoldfishRtc rtc;
  explicit Rig(u64 base = GoldfishRtc::kDefaultBaseNs)
      : clock(make_clock(&icount)), rtc(clock, base, devices::IrqLine{&line, 11}) {}
  static core::VirtualClock make_clock(const u64* icount) {
    core::VirtualClock c;
    c.running_icount = icount;
    return c;
  }
  u64 rd(u64 off, unsigned size = 4) {
    u64 v = 0xdead;
    REQUIRE(rtc.read(off, size, v));
    return v;
  }
  void wr(u64 off, u64 v, unsigned size = 4) { REQUIRE(rtc.write(off, size, v)); }
  // Arms the alarm at absolute RTC time `t` the way Linux does (high half first).
  void arm(u64 t) {
    wr(ALARM_HIGH, t >> 32);
    wr(ALARM_LOW, t & 0xffffffff);
  }
};

}  // namespace

TEST_CASE("rtc: time is base + virtual ns; registers start clear") {
  Rig r;
  CHECK(GoldfishRtc::kDefaultBaseNs == 1767225600000000000ull);  // 2026-01-01T00:00:00Z
  r.icount = 1000;
  // An MMIO read is part of the executing instruction: it sees the inclusive clock.
  const u64 want = GoldfishRtc::kDefaultBaseNs + 1001;
  CHECK(r.rd(TIME_LOW) == (want & 0xffffffff));
  CHECK(r.rd(TIME_HIGH) == (want >> 32));
  CHECK(r.rtc.time_ns() == want);
  CHECK(r.rtc.time_ns(false) == want - 1);
  CHECK(r.rd(ALARM_LOW) == 0);
  CHECK(r.rd(ALARM_HIGH) == 0);
  CHECK(r.rd(IRQ_ENABLED) == 0);
  CHECK(r.rd(ALARM_STATUS) == 0);
  CHECK(r.rd(CLEAR_ALARM) == 0);      // write-only registers read 0 (QEMU)
  CHECK(r.rd(CLEAR_INTERRUPT) == 0);
  CHECK(r.rd(0x20) == 0);
  CHECK(r.rtc.next_deadline_ns() == GoldfishRtc::kNotArmed);
  CHECK(r.line.calls.empty());
}

TEST_CASE("rtc: the base is taken relative to the clock at construction (QEMU's realize)") {
  u64 icount = 500;
  core::VirtualClock clock;
  clock.running_icount = &icount;
  GoldfishRtc rtc(clock, 1'000'000);
  CHECK(rtc.state().tick_offset == 1'000'000 - 500);
  CHECK(rtc.time_ns(false) == 1'000'000);
}

TEST_CASE("rtc: reading TIME_LOW latches TIME_HIGH") {
  Rig r(0x1ffffff00ull);
  CHECK(r.rd(TIME_LOW) == 0xffffff01u);  // inclusive clock: 1
  CHECK(r.rd(TIME_HIGH) == 1);
  r.icount = 0x200;  // time is now 0x2_0000_0100 (+1 inclusive)
  CHECK(r.rd(TIME_HIGH) == 1);  // still the latched half
  CHECK(r.rd(TIME_HIGH) == 1);
  CHECK(r.rd(TIME_LOW) == 0x101);
  CHECK(r.rd(TIME_HIGH) == 2);
  CHECK(r.rtc.state().time_high == 2);
  // An 8-byte read is TIME_LOW then TIME_HIGH: a coherent 64-bit time (QEMU).
  r.icount = 0x1000;
  CHECK(r.rd(TIME_LOW, 8) == 0x1ffffff00ull + 0x1001);
}

TEST_CASE("rtc: writing TIME_LOW/TIME_HIGH moves the time (QEMU's tick_offset)") {
  Rig r;
  r.icount = 100;
  r.wr(TIME_HIGH, 0x12);
  r.rd(TIME_LOW);
  CHECK(r.rd(TIME_HIGH) == 0x12);
  const u64 low_before = (GoldfishRtc::kDefaultBaseNs + 101) & 0xffffffff;
  r.icount = 200;
  CHECK(r.rd(TIME_LOW) == ((low_before + 100) & 0xffffffff));
  r.wr(TIME_LOW, 0x100);
  r.icount = 300;
  CHECK(r.rd(TIME_LOW) == 0x100 + 100);
  CHECK(r.rd(TIME_HIGH) == 0x12);
  CHECK(r.rtc.time_ns(false) == (u64{0x12} << 32) + 0x100 + 99);
  r.wr(TIME_LOW, 0x0000003400000000ull, 8);  // 8 bytes: low then high
  CHECK(r.rtc.time_ns() == u64{0x34} << 32);
  r.wr(TIME_HIGH, 0);
  r.wr(TIME_LOW, 0);
  CHECK(r.rtc.time_ns() == 0);
  r.icount = 1300;
  CHECK(r.rtc.time_ns() == 1000);
}

TEST_CASE("rtc: alarm fires at the exact virtual time") {
  Rig r;
  r.wr(IRQ_ENABLED, 1);
  r.icount = 100;
  const u64 alarm = GoldfishRtc::kDefaultBaseNs + 5000;
  r.arm(alarm);
  CHECK(r.rd(ALARM_STATUS) == 1);
  CHECK(r.rd(ALARM_LOW) == (alarm & 0xffffffff));
  CHECK(r.rd(ALARM_HIGH) == (alarm >> 32));
  CHECK(r.rd(ALARM_LOW, 8) == alarm);
  CHECK(r.rtc.next_deadline_ns() == 5000);  // virtual ns: alarm - tick_offset
  r.icount = 4999;
  r.rtc.fire_due();
  CHECK(r.rd(ALARM_STATUS) == 1);  // an instruction executing now reads TIME == alarm, not yet fired
  CHECK(r.rtc.time_ns() == alarm);
  CHECK_FALSE(r.line.level);
  r.icount = 5000;
  r.rtc.fire_due();
  CHECK(r.rd(ALARM_STATUS) == 0);
  CHECK(r.rtc.state().irq_pending == 1);
  CHECK(r.line.level);
  CHECK(r.rtc.next_deadline_ns() == GoldfishRtc::kNotArmed);
  r.wr(CLEAR_INTERRUPT, 0);
  CHECK_FALSE(r.line.level);
  CHECK(r.rtc.state().irq_pending == 0);
  r.icount = 100000;
  r.rtc.fire_due();  // fires once only
  CHECK_FALSE(r.line.level);
}

TEST_CASE("rtc: alarm not in the future fires inside the ALARM_LOW write (QEMU)") {
  Rig r;
  r.icount = 10;
  r.wr(ALARM_HIGH, (GoldfishRtc::kDefaultBaseNs + 11) >> 32);
  r.wr(ALARM_LOW, (GoldfishRtc::kDefaultBaseNs + 11) & 0xffffffff);  // == time seen by this write
  CHECK(r.rd(ALARM_STATUS) == 0);
  CHECK(r.rtc.state().irq_pending == 1);
  CHECK_FALSE(r.line.level);  // not enabled
  r.wr(IRQ_ENABLED, 1);
  CHECK(r.line.level);
  r.wr(CLEAR_INTERRUPT, 1);
  // One in the future by 1 ns arms instead.
  r.wr(ALARM_LOW, (GoldfishRtc::kDefaultBaseNs + 13) & 0xffffffff);
  CHECK(r.rd(ALARM_STATUS) == 1);
  CHECK(r.rtc.next_deadline_ns() == 13);
  // The QEMU probe: an 8-byte write of 0x0000000500000007 to ALARM: the low half first, against
  // the old high half, lies in the past and fires; the high half then does not re-arm.
  r.wr(ALARM_LOW, 0x0000000500000007ull, 8);
  CHECK(r.rd(ALARM_LOW) == 7);
  CHECK(r.rd(ALARM_HIGH) == 5);
  CHECK(r.rd(ALARM_STATUS) == 0);
  CHECK(r.line.level);
}

TEST_CASE("rtc: IRQ_ENABLED gates the line; CLEAR_INTERRUPT and CLEAR_ALARM") {
  Rig r;
  r.wr(IRQ_ENABLED, 0xff);
  CHECK(r.rd(IRQ_ENABLED) == 1);
  r.wr(IRQ_ENABLED, 0x2);
  CHECK(r.rd(IRQ_ENABLED) == 0);
  r.arm(GoldfishRtc::kDefaultBaseNs + 50);
  r.icount = 50;
  r.rtc.fire_due();
  CHECK_FALSE(r.line.level);
  r.wr(IRQ_ENABLED, 1);
  CHECK(r.line.level);
  r.wr(IRQ_ENABLED, 0);
  CHECK_FALSE(r.line.level);
  r.wr(IRQ_ENABLED, 1);
  r.wr(CLEAR_INTERRUPT, 0);
  CHECK_FALSE(r.line.level);
  r.arm(GoldfishRtc::kDefaultBaseNs + 1000);
  CHECK(r.rd(ALARM_STATUS) == 1);
  r.wr(CLEAR_ALARM, 0);
  CHECK(r.rd(ALARM_STATUS) == 0);
  CHECK(r.rtc.next_deadline_ns() == GoldfishRtc::kNotArmed);
  r.icount = 1u << 30;
  r.rtc.fire_due();
  CHECK_FALSE(r.line.level);
  r.wr(ALARM_STATUS, 1);  // read-only
  r.wr(0x20, 1);
  CHECK(r.rd(ALARM_STATUS) == 0);
}

TEST_CASE("rtc: an armed deadline is not moved by ALARM_HIGH or TIME writes (QEMU's timer)") {
  Rig r;
  r.arm(GoldfishRtc::kDefaultBaseNs + 5000);
  REQUIRE(r.rtc.next_deadline_ns() == 5000);
  r.wr(ALARM_HIGH, 0x7fffffff);
  r.wr(TIME_HIGH, 0x1);
  CHECK(r.rtc.next_deadline_ns() == 5000);
  CHECK(r.rd(ALARM_STATUS) == 1);
  r.icount = 5000;
  r.rtc.fire_due();
  CHECK(r.rd(ALARM_STATUS) == 0);
  CHECK(r.rtc.state().irq_pending == 1);
}

TEST_CASE("rtc: an alarm beyond 2^63 ns from the offset fires at once (QEMU clamps the expiry)") {
  Rig r;
  r.arm(~u64{0});
  CHECK(r.rd(ALARM_STATUS) == 1);
  CHECK(r.rtc.next_deadline_ns() == 0);
  r.rtc.fire_due();
  CHECK(r.rd(ALARM_STATUS) == 0);
  CHECK(r.rtc.state().irq_pending == 1);
}

TEST_CASE("rtc: accesses: 4 and 8 bytes, aligned, inside the 0x24-byte window (QEMU)") {
  Rig r;
  u64 v = 0;
  for (unsigned size : {1u, 2u, 3u, 0u, 16u}) {
    CAPTURE(size);
    CHECK_FALSE(r.rtc.read(TIME_LOW, size, v));
    CHECK_FALSE(r.rtc.write(IRQ_ENABLED, size, 1));
  }
  CHECK_FALSE(r.rtc.read(0x24, 4, v));
  CHECK_FALSE(r.rtc.read(0x20, 8, v));  // would reach past the window
  CHECK_FALSE(r.rtc.write(0x20, 8, 0));
  CHECK_FALSE(r.rtc.read(0xffc, 4, v));
  CHECK_FALSE(r.rtc.read(2, 4, v));
  CHECK_FALSE(r.rtc.read(4, 8, v));
  CHECK_FALSE(r.rtc.write(0x12, 4, 1));
  CHECK_FALSE(r.rtc.write(0x0c, 8, 1));
  CHECK_FALSE(r.rtc.peek(0x24, 4, v));
  CHECK(r.rd(IRQ_ENABLED) == 0);
  CHECK(r.rtc.state().time_high == 0);
  CHECK(r.rd(0x10, 8) == 0);
  CHECK(r.rd(0x18, 8) == 0);
  r.wr(0x10, 0xffffffff00000001ull, 8);  // IRQ_ENABLED = 1, CLEAR_ALARM
  CHECK(r.rd(IRQ_ENABLED) == 1);
}

TEST_CASE("rtc: reset clears alarm and interrupt state, keeps the time and the latched high half (QEMU)") {
  Rig r;
  r.wr(TIME_HIGH, 0x12);
  r.rd(TIME_LOW);
  r.wr(IRQ_ENABLED, 1);
  r.arm((u64{0x12} << 32) + 0x80000000u);
  r.wr(TIME_HIGH, 0x34);
  const u64 offset = r.rtc.state().tick_offset;
  const size_t calls = r.line.calls.size();
  r.rtc.reset();
  CHECK(r.line.calls.size() == calls);  // QEMU's reset does not touch the line
  CHECK(r.rd(TIME_HIGH) == 0x12);
  CHECK(r.rtc.state().tick_offset == offset);
  r.rd(TIME_LOW);
  CHECK(r.rd(TIME_HIGH) == 0x34);
  CHECK(r.rd(ALARM_HIGH) == 0);
  CHECK(r.rd(ALARM_LOW) == 0);
  CHECK(r.rd(ALARM_STATUS) == 0);
  CHECK(r.rd(IRQ_ENABLED) == 0);
  CHECK(r.rtc.state().irq_pending == 0);
  CHECK(r.rtc.next_deadline_ns() == GoldfishRtc::kNotArmed);
}

TEST_CASE("rtc: peek has no side effects") {
  Rig r(0x1ffffff00ull);
  r.icount = 0x50;
  u64 v = 0;
  REQUIRE(r.rtc.peek(TIME_LOW, 4, v));
  CHECK(v == 0xffffff50u);
  CHECK(r.rtc.state().time_high == 0);
  REQUIRE(r.rtc.peek(TIME_LOW, 8, v));
  CHECK(v == 0x1ffffff50ull);
  r.icount = 0x200;
  REQUIRE(r.rtc.peek(TIME_LOW, 8, v));
  CHECK(v == 0x200000100ull);
  CHECK(r.rtc.state().time_high == 0);
  REQUIRE(r.rtc.peek(ALARM_STATUS, 4, v));
  CHECK(v == 0);
}

TEST_CASE("rtc: determinism - the same accesses give the same State bytes and line history") {
  struct Run {
    Rig r;
    void go() {
      u64 x = 0x13198a2e03707344;
      auto next = [&x] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
      };
      for (int i = 0; i < 50000; ++i) {
        const u64 v = next();
        r.icount += v % 3000;
        const u64 off = 4 * ((v >> 8) % 9);
        switch ((v >> 16) % 5) {
          case 0: {
            u64 out;
            r.rtc.read(off, 4, out);
            break;
          }
          case 1: {
            // Alarms near the current time, so that they do fire.
            const u64 value = off == ALARM_LOW ? (r.rtc.time_ns() + (v >> 40) % 20000) & 0xffffffff : v >> 24;
            r.rtc.write(off, 4, value);
            break;
          }
          case 2:
          case 3: r.rtc.fire_due(); break;
          default:
            if ((v >> 40) % 200 == 0) r.rtc.reset();
            break;
        }
      }
    }
  } a, b;
  a.go();
  b.go();
  CHECK(std::memcmp(&a.r.rtc.state(), &b.r.rtc.state(), sizeof(GoldfishRtc::State)) == 0);
  CHECK(a.r.line.calls == b.r.line.calls);
  CHECK(std::count(a.r.line.calls.begin(), a.r.line.calls.end(), true) > 0);
}

TEST_CASE("rtc: qemu_post_load re-arms from alarm_next, or fires if it is not in the future (QEMU)") {
  Rig r;
  r.wr(IRQ_ENABLED, 1);
  r.arm(GoldfishRtc::kDefaultBaseNs + 9000);
  r.wr(CLEAR_ALARM, 0);  // not running, alarm_next kept
  r.icount = 100;
  r.rtc.qemu_post_load();
  CHECK(r.rd(ALARM_STATUS) == 1);
  CHECK(r.rtc.next_deadline_ns() == 9000);
  CHECK_FALSE(r.line.level);
  r.wr(CLEAR_ALARM, 0);
  r.icount = 9000;  // between instructions: time == alarm, not in the future
  r.rtc.qemu_post_load();
  CHECK(r.rd(ALARM_STATUS) == 0);
  CHECK(r.rtc.state().irq_pending == 1);
  CHECK(r.line.level);
}
