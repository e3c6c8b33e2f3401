// PLIC register model against QEMU 7.2 (values measured on Debian's qemu-system-riscv64 7.2.22
// with bare-metal probes on -M virt), its outputs into mip, and wiring with the UART and RTC.
#include <doctest/doctest.h>

#include <cstring>
#include <iterator>
#include <memory>
#include <vector>

#include "core/csr_bits.h"
#include "core/hart.h"
#include "core/virtual_clock.h"
#include "devices/goldfish_rtc.h"
#include "devices/plic.h"
#include "devices/uart16550.h"

using namespace lockstep;
using devices::Plic;
using core::u32;
using core::u64;

namespace {

constexpr u64 kMEIP = core::csr::kMEIP;
constexpr u64 kSEIP = core::csr::kSEIP;

u64 prio(unsigned source) { return 4 * u64{source}; }
u64 pending(unsigned word) { return 0x1000 + 4 * u64{word}; }
u64 enable(unsigned ctx, unsigned word = 0) { return 0x2000 + 0x80 * u64{ctx} + 4 * u64{word}; }
u64 threshold(unsigned ctx) { return 0x200000 + 0x1000 * u64{ctx}; }
u64 claim(unsigned ctx) { return 0x200004 + 0x1000 * u64{ctx}; }

struct Board {
  std::vector<std::unique_ptr<core::Hart>> harts;
  std::unique_ptr<Plic> plic;
  explicit Board(unsigned n = 2) {
    std::vector<core::Hart*> ptrs;
    for (unsigned k = 0; k < n; ++k) {
      harts.push_back(std::make_unique<core::Hart>());
      ptrs.push_back(harts.back().get());
    }
    plic = std::make_unique<Plic>(ptrs);
  }
  u64 rd(u64 off) {
    u64 v = 0xdeadbeef;
    REQUIRE(plic->read(off, 4, v));
    return v;
  }
  void wr(u64 off, u64 v) { REQUIRE(plic->write(off, 4, v)); }
  u64 mip(unsigned hart) const { return harts[hart]->csr.mip; }
};

}  // namespace

TEST_CASE("plic: reset state reads zero everywhere and drives no external interrupt") {
  Board b;
  CHECK(b.plic->num_contexts() == 4);
  for (unsigned s = 1; s <= 96; ++s) CHECK(b.rd(prio(s)) == 0);
  for (unsigned w = 0; w < 4; ++w) CHECK(b.rd(pending(w)) == 0);
  for (unsigned c = 0; c < 4; ++c) {
    for (unsigned w = 0; w < 3; ++w) CHECK(b.rd(enable(c, w)) == 0);
    CHECK(b.rd(threshold(c)) == 0);
    CHECK(b.rd(claim(c)) == 0);
  }
  CHECK(b.mip(0) == 0);
  CHECK(b.mip(1) == 0);
  CHECK(b.plic->state().num_addrs == 4);
  CHECK(b.plic->state().num_enables == 12);
}

TEST_CASE("plic: priority registers are WARL (value % 8) for sources 1..96; 0x0 and 0x184+ are not registers") {
  Board b;
  const std::pair<u64, u64> writes[] = {{0xff, 7}, {8, 0}, {9, 1}, {0x80000003, 3}, {0xffffffff, 7}, {5, 5}};
  for (auto [w, want] : writes) {
    b.wr(prio(1), w);
    CHECK(b.rd(prio(1)) == want);
  }
  b.wr(prio(95), 3);
  CHECK(b.rd(prio(95)) == 3);
  CHECK(b.plic->state().source_priority[95] == 3);
  // Source 96 has a priority register (QEMU stores it one past its array) but no pending bit.
  b.wr(prio(96), 0xffffffff);
  CHECK(b.rd(prio(96)) == 7);
  CHECK(b.plic->state().source96_priority == 7);
  // Offset 0 (source 0) and everything from 0x184 up to the pending block: read 0, writes ignored.
  for (u64 off : {u64{0}, u64{0x184}, u64{0x188}, u64{0x1fc}, u64{0x200}, u64{0xffc}}) {
    b.wr(off, 0xffffffff);
    CHECK(b.rd(off) == 0);
  }
  CHECK(b.plic->state().source_priority[0] == 0);
}

TEST_CASE("plic: pending bits follow rising lines only, are read-only, and only a claim clears them") {
  Board b;
  b.plic->set_irq(10, true);
  CHECK(b.rd(pending(0)) == (1u << 10));
  b.plic->set_irq(10, false);  // QEMU 7.2: a low level changes nothing
  CHECK(b.rd(pending(0)) == (1u << 10));
  b.plic->set_irq(33, true);
  b.plic->set_irq(95, true);
  CHECK(b.rd(pending(1)) == (1u << 1));
  CHECK(b.rd(pending(2)) == (1u << 31));
  b.wr(pending(0), 0);  // read-only
  b.wr(pending(0), 0xffffffff);
  CHECK(b.rd(pending(0)) == (1u << 10));
  // Word 3 is inside QEMU's pending range (15 bytes) but past its array: reads 0 here.
  CHECK(b.rd(pending(3)) == 0);
  CHECK(b.rd(0x1010) == 0);
  // Lines that do not exist are ignored.
  b.plic->set_irq(96, true);
  b.plic->set_irq(1000, true);
  CHECK(b.rd(pending(3)) == 0);
  CHECK(b.plic->state().pending[0] == (1u << 10));
}

TEST_CASE("plic: enable words per context, 3 words each, other words and contexts are not registers") {
  Board b(1);  // 2 contexts
  b.wr(enable(0, 0), 0xffffffff);
  b.wr(enable(0, 2), 0x12345678);
  b.wr(enable(1, 1), 0x80000001);
  CHECK(b.rd(enable(0, 0)) == 0xffffffff);  // bit 0 (source 0) too: QEMU stores the whole word
  CHECK(b.rd(enable(0, 2)) == 0x12345678);
  CHECK(b.rd(enable(1, 1)) == 0x80000001);
  b.wr(enable(0, 3), 0xffffffff);
  CHECK(b.rd(enable(0, 3)) == 0);
  b.wr(0x207c, 0xffffffff);
  CHECK(b.rd(0x207c) == 0);
  b.wr(enable(2, 0), 0xffffffff);  // no context 2 with one hart
  CHECK(b.rd(enable(2, 0)) == 0);
  b.wr(threshold(2), 3);
  CHECK(b.rd(threshold(2)) == 0);
  CHECK(b.rd(claim(2)) == 0);
  // Only threshold (+0) and claim (+4) exist in a context page.
  b.wr(0x200008, 5);
  CHECK(b.rd(0x200008) == 0);
  CHECK(b.rd(0x200ffc) == 0);
  CHECK(b.rd(0x5ffffc) == 0);
}

TEST_CASE("plic: thresholds are WARL and mask priorities at or below them") {
  Board b;
  b.wr(threshold(0), 8);
  CHECK(b.rd(threshold(0)) == 0);
  b.wr(threshold(0), 0xf);
  CHECK(b.rd(threshold(0)) == 7);
  b.wr(threshold(0), 2);
  b.wr(prio(10), 2);
  b.wr(enable(0), 1u << 10);
  b.plic->set_irq(10, true);
  CHECK((b.mip(0) & kMEIP) == 0);
  CHECK(b.rd(claim(0)) == 0);  // priority must be strictly greater than the threshold
  CHECK(b.rd(pending(0)) == (1u << 10));
  b.wr(prio(10), 3);
  CHECK((b.mip(0) & kMEIP) != 0);
  b.wr(threshold(0), 3);
  CHECK((b.mip(0) & kMEIP) == 0);
  b.wr(threshold(0), 0);
  CHECK((b.mip(0) & kMEIP) != 0);
  CHECK(b.rd(claim(0)) == 10);
}

TEST_CASE("plic: priority 0 never interrupts") {
  Board b;
  b.wr(enable(0), 0xffffffff);
  b.plic->set_irq(5, true);
  CHECK((b.mip(0) & kMEIP) == 0);
  CHECK(b.rd(claim(0)) == 0);
  CHECK(b.rd(pending(0)) == (1u << 5));
}

TEST_CASE("plic: claim picks the highest priority, ties to the lowest source; complete releases") {
  Board b;
  b.wr(prio(10), 1);
  b.wr(prio(11), 1);
  b.wr(prio(40), 1);
  b.wr(enable(0, 0), (1u << 10) | (1u << 11));
  b.wr(enable(0, 1), 1u << 8);
  b.plic->set_irq(11, true);
  b.plic->set_irq(10, true);
  b.plic->set_irq(40, true);
  CHECK(b.rd(claim(0)) == 10);
  CHECK(b.rd(claim(0)) == 11);
  CHECK(b.rd(claim(0)) == 40);
  CHECK(b.rd(claim(0)) == 0);
  CHECK(b.plic->state().claimed[0] == ((1u << 10) | (1u << 11)));
  CHECK(b.plic->state().claimed[1] == (1u << 8));
  CHECK(b.rd(pending(0)) == 0);
  b.wr(claim(0), 10);
  b.wr(claim(0), 11);
  b.wr(claim(0), 40);
  CHECK(b.plic->state().claimed[0] == 0);

  b.wr(prio(11), 2);
  b.plic->set_irq(10, true);
  b.plic->set_irq(11, true);
  CHECK(b.rd(claim(0)) == 11);
  CHECK(b.rd(claim(0)) == 10);
}

TEST_CASE("plic: a claimed source re-raised stays pending but cannot be claimed until completed") {
  Board b;
  b.wr(prio(10), 1);
  b.wr(enable(0), 1u << 10);
  b.plic->set_irq(10, true);
  CHECK((b.mip(0) & kMEIP) != 0);
  CHECK(b.rd(claim(0)) == 10);
  CHECK(b.rd(pending(0)) == 0);
  CHECK((b.mip(0) & kMEIP) == 0);
  b.plic->set_irq(10, true);  // the device drives its line again while claimed
  CHECK(b.rd(pending(0)) == (1u << 10));
  CHECK((b.mip(0) & kMEIP) == 0);
  CHECK(b.rd(claim(0)) == 0);
  b.wr(claim(0), 10);
  CHECK((b.mip(0) & kMEIP) != 0);
  CHECK(b.rd(claim(0)) == 10);
  b.wr(claim(0), 10);
  // Line still "high" at the device but not driven again: the interrupt is gone (QEMU 7.2).
  CHECK((b.mip(0) & kMEIP) == 0);
  CHECK(b.rd(claim(0)) == 0);
}

TEST_CASE("plic: hostile completes and claims") {
  Board b;
  CHECK(b.rd(claim(0)) == 0);  // nothing pending
  CHECK(b.plic->state().claimed[0] == 0);
  b.wr(claim(0), 10);  // complete of a source nobody claimed: no effect
  b.wr(claim(0), 0);
  b.wr(claim(0), 96);  // >= num_sources: ignored
  b.wr(claim(0), 1000);
  b.wr(claim(0), 0xffffffff);
  for (u32 w : b.plic->state().claimed) CHECK(w == 0);
  // Claimed bits are global: context 1 may complete what context 0 claimed.
  b.wr(prio(10), 1);
  b.wr(enable(0), 1u << 10);
  b.plic->set_irq(10, true);
  CHECK(b.rd(claim(0)) == 10);
  b.wr(claim(1), 10);
  CHECK(b.plic->state().claimed[0] == 0);
  b.plic->set_irq(10, true);
  CHECK(b.rd(claim(0)) == 10);
  // Completing while disabled still releases it.
  b.wr(enable(0), 0);
  b.wr(claim(0), 10);
  CHECK(b.plic->state().claimed[0] == 0);
}

TEST_CASE("plic: contexts 2k/2k+1 drive hart k's MEIP/SEIP and nothing else") {
  Board b(2);
  for (auto& h : b.harts) h->csr.mip = core::csr::kMTIP | core::csr::kSSIP;
  b.wr(prio(7), 1);
  b.plic->set_irq(7, true);
  const u64 keep = core::csr::kMTIP | core::csr::kSSIP;
  struct Case {
    unsigned ctx, hart;
    u64 bit;
  } cases[] = {{0, 0, kMEIP}, {1, 0, kSEIP}, {2, 1, kMEIP}, {3, 1, kSEIP}};
  for (const Case& c : cases) {
    CAPTURE(c.ctx);
    b.wr(enable(c.ctx), 1u << 7);
    b.wr(prio(7), 1);  // enable writes do not update the outputs; a priority write does
    CHECK(b.mip(c.hart) == (keep | c.bit));
    CHECK(b.mip(1 - c.hart) == keep);
    b.wr(enable(c.ctx), 0);
    b.wr(prio(7), 1);
    CHECK(b.mip(0) == keep);
    CHECK(b.mip(1) == keep);
  }
  // Both contexts of hart 0 at once; an S claim drops SEIP and (claimed is global) MEIP too.
  b.wr(enable(0), 1u << 7);
  b.wr(enable(1), 1u << 7);
  b.wr(prio(7), 1);
  CHECK(b.mip(0) == (keep | kMEIP | kSEIP));
  CHECK(b.rd(claim(1)) == 7);
  CHECK(b.mip(0) == keep);
  b.wr(claim(1), 7);
  CHECK(b.mip(0) == keep);  // not pending any more
}

TEST_CASE("plic: enable writes do not re-evaluate the outputs (QEMU 7.2), other updates do") {
  Board b;
  b.wr(prio(10), 1);
  b.plic->set_irq(10, true);
  b.wr(enable(0), 1u << 10);
  CHECK((b.mip(0) & kMEIP) == 0);     // measured: mip stays 0 after the enable write
  b.plic->set_irq(10, false);          // a falling line does not update either
  CHECK((b.mip(0) & kMEIP) == 0);
  CHECK(b.plic->peek_claim(0) == 10);  // but a claim would find it
  b.wr(threshold(0), 0);               // threshold write updates
  CHECK((b.mip(0) & kMEIP) != 0);
  b.wr(enable(0), 0);
  CHECK((b.mip(0) & kMEIP) != 0);  // still set after disabling (measured)
  b.plic->update_irq();
  CHECK((b.mip(0) & kMEIP) == 0);
}

TEST_CASE("plic: only aligned 4-byte accesses inside the window are valid") {
  Board b;
  u64 v = 0;
  for (unsigned size : {1u, 2u, 8u, 3u, 0u, 16u}) {
    CAPTURE(size);
    CHECK_FALSE(b.plic->read(4, size, v));
    CHECK_FALSE(b.plic->write(4, size, 1));
  }
  for (u64 off : {u64{1}, u64{2}, u64{6}, u64{0x200005}}) {
    CHECK_FALSE(b.plic->read(off, 4, v));
    CHECK_FALSE(b.plic->write(off, 4, 1));
  }
  CHECK_FALSE(b.plic->read(0x600000, 4, v));
  CHECK_FALSE(b.plic->write(0x600000, 4, 1));
  CHECK_FALSE(b.plic->read(~u64{0} - 3, 4, v));
  CHECK(b.plic->read(0x5ffffc, 4, v));
  CHECK(b.rd(prio(1)) == 0);  // the refused byte write did nothing
  CHECK_FALSE(b.plic->peek(2, 4, v));
}

TEST_CASE("plic: peek reads registers without claiming") {
  Board b;
  b.wr(prio(12), 4);
  b.wr(enable(0), 1u << 12);
  b.wr(threshold(0), 1);
  b.plic->set_irq(12, true);
  u64 v = 0;
  REQUIRE(b.plic->peek(claim(0), 4, v));
  CHECK(v == 12);
  REQUIRE(b.plic->peek(claim(0), 4, v));
  CHECK(v == 12);
  CHECK(b.plic->state().claimed[0] == 0);
  CHECK(b.plic->state().pending[0] == (1u << 12));
  CHECK((b.mip(0) & kMEIP) != 0);
  for (u64 off : {prio(12), pending(0), enable(0), threshold(0), u64{0}, u64{0x200008}}) {
    REQUIRE(b.plic->peek(off, 4, v));
    CHECK(v == b.rd(off));
  }
  CHECK(b.plic->peek_claim(1) == 0);
  CHECK(b.plic->peek_claim(99) == 0);
  CHECK(b.rd(claim(0)) == 12);
  REQUIRE(b.plic->peek(claim(0), 4, v));
  CHECK(v == 0);
}

TEST_CASE("plic: reset clears every register and lowers MEIP/SEIP") {
  Board b;
  b.wr(prio(3), 5);
  b.wr(prio(96), 5);
  b.wr(enable(1), 1u << 3);
  b.wr(enable(0), 1u << 3);
  b.wr(threshold(3), 2);
  b.plic->set_irq(3, true);
  b.plic->set_irq(4, true);
  b.plic->update_irq();
  CHECK(b.rd(claim(0)) == 3);
  CHECK((b.mip(0) & (kMEIP | kSEIP)) == 0);
  b.plic->set_irq(3, true);
  b.wr(claim(1), 3);
  b.plic->update_irq();
  CHECK((b.mip(0) & kSEIP) != 0);
  b.harts[0]->csr.mip |= core::csr::kMTIP;
  b.plic->reset();
  CHECK(b.mip(0) == core::csr::kMTIP);
  const Plic::State& s = b.plic->state();
  Board fresh;
  CHECK(std::memcmp(&s, &fresh.plic->state(), sizeof s) == 0);
}

TEST_CASE("plic: more harts than the board allows are ignored") {
  Board b(Plic::kMaxHarts + 2);
  CHECK(b.plic->num_contexts() == 2 * Plic::kMaxHarts);
  u64 v = 0;
  REQUIRE(b.plic->read(enable(2 * Plic::kMaxHarts), 4, v));
  CHECK(v == 0);
}

// The UART's line on source 10, as QEMU's virt wires it; this replays the sequence measured on
// QEMU 7.2 (tests run with IER toggles, claim, complete).
TEST_CASE("plic: UART source 10 through the PLIC, as measured on QEMU") {
  Board b(1);
  devices::Uart16550 uart([](core::u8) {}, nullptr, devices::IrqLine{b.plic.get(), 10});
  auto uart_wr = [&](u64 off, u64 v) { REQUIRE(uart.write(off, 1, v)); };
  auto uart_rd = [&](u64 off) {
    u64 v = 0;
    REQUIRE(uart.read(off, 1, v));
    return v;
  };
  b.wr(prio(10), 1);
  b.wr(enable(0), 1u << 10);
  CHECK(b.rd(pending(0)) == 0);
  uart_wr(1, 0x02);  // IER.THRI with THR empty: THRE interrupt
  CHECK(b.rd(pending(0)) == (1u << 10));
  CHECK((b.mip(0) & kMEIP) != 0);
  CHECK(b.rd(claim(0)) == 10);
  CHECK(b.rd(pending(0)) == 0);
  CHECK((b.mip(0) & kMEIP) == 0);
  CHECK(b.rd(claim(0)) == 0);
  b.wr(claim(0), 10);
  CHECK(b.rd(pending(0)) == 0);  // the UART's level is still high, but it was not driven again
  CHECK((b.mip(0) & kMEIP) == 0);
  CHECK(b.rd(claim(0)) == 0);
  CHECK(uart_rd(2) == 0x02);  // IIR: THRE still indicated; reading it acknowledges (line low)
  CHECK(b.rd(pending(0)) == 0);
  uart_wr(1, 0x00);
  uart_wr(1, 0x02);
  CHECK(b.rd(pending(0)) == (1u << 10));
  CHECK(b.rd(claim(0)) == 10);
  uart_wr(1, 0x00);
  CHECK(b.rd(pending(0)) == 0);
  uart_wr(1, 0x02);  // raised while claimed
  CHECK(b.rd(pending(0)) == (1u << 10));
  CHECK(b.rd(claim(0)) == 0);
  uart_wr(1, 0x00);
  b.wr(claim(0), 10);
  CHECK(b.rd(pending(0)) == (1u << 10));
  CHECK((b.mip(0) & kMEIP) != 0);
}

TEST_CASE("plic: RTC source 11 through the PLIC") {
  Board b(1);
  u64 icount = 0;
  core::VirtualClock clock;
  clock.running_icount = &icount;
  devices::GoldfishRtc rtc(clock, 0, devices::IrqLine{b.plic.get(), 11});
  b.wr(prio(11), 1);
  b.wr(enable(0), 1u << 11);
  REQUIRE(rtc.write(0x08, 4, 100));  // alarm at 100 ns
  rtc.fire_due();
  CHECK(b.rd(pending(0)) == 0);
  icount = 100;
  rtc.fire_due();
  CHECK(b.rd(pending(0)) == 0);  // IRQ_ENABLED = 0
  REQUIRE(rtc.write(0x10, 4, 1));
  CHECK(b.rd(pending(0)) == (1u << 11));
  CHECK((b.mip(0) & kMEIP) != 0);
  CHECK(b.rd(claim(0)) == 11);
  REQUIRE(rtc.write(0x1c, 4, 1));
  b.wr(claim(0), 11);
  CHECK((b.mip(0) & kMEIP) == 0);
}

TEST_CASE("plic: determinism - the same accesses give the same State bytes and mip") {
  auto run = [](Board& b) {
    u64 x = 0x9e3779b97f4a7c15;
    auto next = [&x] {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      return x;
    };
    const u64 offsets[] = {prio(1), prio(10), prio(11), prio(40), prio(95), prio(96), pending(0), pending(1),
                           enable(0), enable(1), enable(2, 1), enable(3, 2), threshold(0), threshold(1),
                           threshold(2), threshold(3), claim(0), claim(1), claim(2), claim(3)};
    for (int i = 0; i < 20000; ++i) {
      const u64 r = next();
      const u64 off = offsets[r % std::size(offsets)];
      switch ((r >> 8) % 4) {
        case 0: {
          u64 v;
          b.plic->read(off, 4, v);
          break;
        }
        case 1: b.plic->write(off, 4, (r >> 16) % 3 == 0 ? (r >> 20) % 100 : r >> 32); break;
        default: b.plic->set_irq(static_cast<unsigned>((r >> 12) % 100), (r >> 40) & 1); break;
      }
    }
  };
  Board a(2), c(2);
  run(a);
  run(c);
  CHECK(std::memcmp(&a.plic->state(), &c.plic->state(), sizeof(Plic::State)) == 0);
  CHECK(a.mip(0) == c.mip(0));
  CHECK(a.mip(1) == c.mip(1));
  // The sequence did exercise something.
  Board fresh(2);
  CHECK(std::memcmp(&a.plic->state(), &fresh.plic->state(), sizeof(Plic::State)) != 0);
}
