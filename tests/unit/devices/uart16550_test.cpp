// 16550A UART against QEMU 7.2's serial.c on the virt board. Expected values marked "QEMU" were
// measured on Debian's qemu-system-riscv64 7.2.22 (-M virt -icount shift=0) with bare-metal probes.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "core/virtual_clock.h"
#include "devices/irq_line.h"
#include "devices/uart16550.h"

using namespace lockstep;
using core::u64;
using core::u8;
using devices::Uart16550;

namespace {

enum : u64 { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

// Records every level the UART drives.
struct LineProbe : devices::IrqSink {
  std::vector<std::pair<unsigned, bool>> calls;
  bool level = false;
  void set_irq(unsigned irq, bool l) override {
    calls.emplace_back(irq, l);
    level = l;
  }
};

struct Rig {
  u64 icount = 0;
  core::VirtualClock clock;
  std::vector<u8> out;
  LineProbe line;
  Uart16550 uart;
  Rig() : uart([this](u8 b) { out.push_back(b); }, &clock, devices::IrqLine{&line, 10}) { clock.running_icount = &icount; }
  u64 rd(u64 off, unsigned size = 1) {
    u64 v = 0xdead;
    REQUIRE(uart.read(off, size, v));
    return v;
  }
  void wr(u64 off, u64 v, unsigned size = 1) { REQUIRE(uart.write(off, size, v)); }
  // Virtual time of an instruction executing now (what an MMIO access sees).
  u64 now_inclusive() const { return clock.now_ns_inclusive(); }
};

}  // namespace

TEST_CASE("uart: reset values (QEMU)") {
  Rig r;
  CHECK(r.rd(IIR) == 0x01);
  CHECK(r.rd(LSR) == 0x60);
  CHECK(r.rd(MSR) == 0xb0);
  CHECK(r.rd(MCR) == 0x08);
  CHECK(r.rd(LCR) == 0x00);
  CHECK(r.rd(IER) == 0x00);
  CHECK(r.rd(SCR) == 0x00);
  CHECK(r.rd(RBR) == 0x00);
  CHECK(r.uart.state().char_transmit_time == 1041660);
  r.wr(LCR, 0x80);
  CHECK(r.rd(DLL) == 0x0c);
  CHECK(r.rd(DLM) == 0x00);
  CHECK(r.rd(IIR) == 0x01);
  CHECK(r.uart.state().char_transmit_time == 210424);  // 5 data bits, 1 stop bit at 399193 / 12 baud
  CHECK(r.uart.next_deadline_ns() == Uart16550::kNotArmed);
  CHECK(r.uart.can_receive());
  CHECK(r.out.empty());
}

TEST_CASE("uart: wide aligned accesses touch one register; the window is 8 bytes (QEMU)") {
  Rig r;
  CHECK(r.rd(MCR, 4) == 0x08);
  CHECK(r.rd(RBR, 8) == 0x00);
  CHECK(r.rd(MSR, 2) == 0xb0);
  r.wr(MCR, 0x12345618, 4);  // low byte, masked to 5 bits; SCR (offset 7) untouched
  CHECK(r.rd(MCR) == 0x18);
  CHECK(r.rd(SCR) == 0x00);
  r.wr(MCR, 0x08);
  r.wr(SCR, 0x55);
  r.wr(MSR, 0x4455, 2);  // MSR is read-only, and the write does not spill into SCR
  CHECK(r.rd(SCR) == 0x55);
  CHECK(r.rd(MSR) == 0xb0);
  r.wr(THR, 0x4142434445464748ull, 8);
  REQUIRE(r.out.size() == 1);
  CHECK(r.out[0] == 0x48);
}

TEST_CASE("uart: hostile accesses are refused without side effects") {
  Rig r;
  u64 v = 0;
  CHECK_FALSE(r.uart.read(8, 1, v));     // QEMU: outside the 8-byte region -> access fault
  CHECK_FALSE(r.uart.read(8, 4, v));
  CHECK_FALSE(r.uart.read(0xff, 1, v));
  CHECK_FALSE(r.uart.write(8, 1, 0x55));
  CHECK_FALSE(r.uart.read(5, 2, v));     // misaligned: the hart layer splits these on QEMU
  CHECK_FALSE(r.uart.read(2, 4, v));
  CHECK_FALSE(r.uart.read(4, 8, v));
  CHECK_FALSE(r.uart.write(7, 2, 0x55));
  CHECK_FALSE(r.uart.read(0, 3, v));
  CHECK_FALSE(r.uart.read(0, 16, v));
  CHECK_FALSE(r.uart.write(0, 0, 'x'));
  CHECK_FALSE(r.uart.read(~u64{0}, 1, v));
  CHECK_FALSE(r.uart.peek(9, 1, v));
  CHECK(r.out.empty());
  CHECK(r.rd(SCR) == 0);
  CHECK(r.rd(LSR) == 0x60);
}

TEST_CASE("uart: transmission is immediate; THRE/TEMT stay set; DLAB redirects offsets 0/1") {
  Rig r;
  for (u8 c : {u8{'h'}, u8{'i'}, u8{0}, u8{0xff}}) r.wr(THR, c);
  CHECK(r.out == std::vector<u8>{'h', 'i', 0, 0xff});
  CHECK(r.rd(LSR) == 0x60);
  CHECK(r.uart.state().thr == 0xff);
  CHECK(r.uart.state().tsr == 0xff);
  r.wr(LCR, 0x83);
  r.wr(DLL, 0x34);
  r.wr(DLM, 0x12);
  CHECK(r.out.size() == 4);  // divisor writes are not transmitted
  CHECK(r.uart.state().divider == 0x1234);
  CHECK(r.rd(DLL) == 0x34);
  CHECK(r.rd(DLM) == 0x12);
  CHECK(r.uart.state().ier == 0);
  r.wr(LCR, 0x03);
  CHECK(r.rd(LCR) == 0x03);
  CHECK(r.rd(IER) == 0);
  r.wr(IER, 0xff);
  CHECK(r.rd(IER) == 0x0f);
  r.wr(SCR, 0xa5);
  CHECK(r.rd(SCR) == 0xa5);
  r.wr(MCR, 0xff);
  CHECK(r.rd(MCR) == 0x1f);
  r.wr(LSR, 0x00);  // read-only
  r.wr(MSR, 0x0f);
  r.wr(MCR, 0x08);
  CHECK(r.rd(LSR) == 0x60);
  CHECK(r.rd(MSR) == 0xb0);
}

TEST_CASE("uart: loopback without FIFOs: RBR, overrun, LSR clearing, MSR from MCR (QEMU)") {
  Rig r;
  r.wr(MCR, 0x1f);
  CHECK(r.rd(MSR) == 0xf0);
  r.wr(MCR, 0x10);
  CHECK(r.rd(MSR) == 0x00);
  r.wr(MCR, 0x14);  // OUT1 -> RI
  CHECK(r.rd(MSR) == 0x40);
  r.wr(MCR, 0x11);  // DTR -> DSR
  CHECK(r.rd(MSR) == 0x20);
  r.wr(MCR, 0x12);  // RTS -> CTS
  CHECK(r.rd(MSR) == 0x10);
  r.wr(THR, 'A');
  CHECK(r.out.empty());  // loopback: nothing leaves
  CHECK(r.rd(LSR) == 0x61);
  CHECK(r.rd(RBR) == 'A');
  r.wr(THR, 'B');
  r.wr(THR, 'C');
  CHECK(r.rd(LSR) == 0x63);
  CHECK(r.rd(LSR) == 0x61);  // reading LSR cleared OE
  CHECK(r.rd(RBR) == 'C');
  CHECK(r.rd(LSR) == 0x60);
  r.wr(MCR, 0x08);
  CHECK(r.rd(MSR) == 0xb0);
  r.wr(THR, 'D');
  CHECK(r.out == std::vector<u8>{'D'});
}

TEST_CASE("uart: FIFO fill and overrun (QEMU)") {
  Rig r;
  r.wr(MCR, 0x18);
  r.wr(FCR, 0x07);
  CHECK(r.rd(IIR) == 0xc1);
  for (int i = 0; i < 17; ++i) r.wr(THR, 0x30 + i);
  CHECK(r.uart.state().recv_fifo.num == 16);
  CHECK(r.rd(LSR) == 0x63);
  CHECK(r.rd(LSR) == 0x61);
  for (int i = 0; i < 16; ++i) CHECK(r.rd(RBR) == u64(0x30 + i));  // the 17th byte was dropped
  CHECK(r.rd(LSR) == 0x60);
  CHECK(r.rd(RBR) == 0);  // empty FIFO reads 0
  CHECK(r.rd(LSR) == 0x60);
  // Wrap-around of the ring.
  for (int i = 0; i < 10; ++i) r.wr(THR, 0x60 + i);
  for (int i = 0; i < 5; ++i) CHECK(r.rd(RBR) == u64(0x60 + i));
  for (int i = 0; i < 10; ++i) r.wr(THR, 0x70 + i);
  CHECK(r.uart.state().recv_fifo.num == 15);
  for (int i = 5; i < 10; ++i) CHECK(r.rd(RBR) == u64(0x60 + i));
  for (int i = 0; i < 10; ++i) CHECK(r.rd(RBR) == u64(0x70 + i));
  CHECK(r.rd(LSR) == 0x60);
}

TEST_CASE("uart: receive() and can_receive() as QEMU's chardev frontend sees them") {
  Rig r;
  // No FIFO: one byte, then RBR full.
  CHECK(r.uart.receive_room() == 1);
  CHECK(r.uart.receive('x'));
  CHECK_FALSE(r.uart.can_receive());
  CHECK(r.rd(LSR) == 0x61);
  CHECK(r.uart.receive('y'));  // forced: replaces RBR, sets OE
  CHECK(r.rd(LSR) == 0x63);
  CHECK(r.rd(RBR) == 'y');
  CHECK(r.uart.can_receive());
  // FIFO, trigger level 4: room is itl - count below the level, 0 at it, 1 above, 0 when full.
  r.wr(FCR, 0x41);
  CHECK(r.uart.trigger_level() == 4);
  CHECK(r.uart.receive_room() == 4);
  for (unsigned i = 0; i < 4; ++i) {
    CHECK(r.uart.receive_room() == 4 - i);
    CHECK(r.uart.receive(u8('a' + i)));
  }
  CHECK(r.uart.receive_room() == 0);
  CHECK_FALSE(r.uart.can_receive());
  for (unsigned i = 4; i < 16; ++i) CHECK(r.uart.receive(u8('a' + i)));  // forced past the level
  CHECK(r.uart.receive_room() == 0);
  CHECK_FALSE(r.uart.receive('!'));  // full: dropped, OE
  CHECK(r.rd(LSR) == 0x63);
  CHECK(r.rd(RBR) == 'a');
  CHECK(r.uart.receive_room() == 1);  // 15 queued, above the level
  for (unsigned i = 1; i < 12; ++i) CHECK(r.rd(RBR) == u64('a' + i));
  CHECK(r.uart.receive_room() == 0);  // exactly 4 = itl
  CHECK(r.rd(RBR) == 'm');
  CHECK(r.uart.receive_room() == 1);  // 3 < itl: itl - 3
  // Trigger level 14 from FCR bits 7:6.
  r.wr(FCR, 0xc1);
  CHECK(r.uart.trigger_level() == 14);
  r.wr(FCR, 0x81);
  CHECK(r.uart.trigger_level() == 8);
  r.wr(FCR, 0x01);
  CHECK(r.uart.trigger_level() == 1);
}

TEST_CASE("uart: RX trigger levels in IIR (QEMU)") {
  const std::pair<u8, unsigned> levels[] = {{0x01, 1}, {0x41, 4}, {0x81, 8}, {0xc1, 14}};
  for (auto [fcr, itl] : levels) {
    CAPTURE(itl);
    Rig r;
    r.wr(MCR, 0x18);
    r.wr(IER, 0x01);
    r.wr(FCR, fcr);
    for (unsigned i = 1; i < itl; ++i) r.wr(THR, i);
    CHECK(r.rd(IIR) == 0xc1);
    CHECK_FALSE(r.line.level);
    r.wr(THR, itl);
    CHECK(r.rd(IIR) == 0xc4);
    CHECK(r.line.level);
    r.rd(RBR);
    CHECK(r.rd(IIR) == 0xc1);  // below the level again
  }
}

TEST_CASE("uart: character timeout at the exact virtual time (QEMU -icount deadlines)") {
  // 4 * char_transmit_time for the settings of the QEMU probe. With s = the THR write's
  // instruction number, QEMU's first polling IIR read that saw CTI was instruction s + 4ctt + 1
  // (reset), +2, +1, +3, +3, +2, +4 (a 5-instruction poll loop). Shifting the loop's phase with
  // 0..4 nops (divisor 1) gave +1..+5: a read at s + 4ctt does not see it, one at s + 4ctt + 1
  // does. So the timer fires once `deadline` instructions have retired, as modelled here.
  struct Case {
    int lcr, divisor;
    u64 four_ctt;
  } cases[] = {{-1, -1, 4166640}, {0x03, -1, 1202424}, {0x03, 1, 100200}, {0x03, 0, 11428568},
               {0x0f, 12, 1442908}, {0x03, 2, 200404}, {0x03, 7, 701412},
               // Float arithmetic matters: in double this would be 2404848. QEMU, with the poll
               // phase shifted by 0..4 nops: first read seeing CTI at s + 2404853 exactly.
               {0x03, 24, 2404852}};
  for (const Case& c : cases) {
    CAPTURE(c.lcr);
    CAPTURE(c.divisor);
    Rig r;
    r.icount = 12345;
    if (c.divisor >= 0) {
      r.wr(LCR, 0x80);
      r.wr(DLL, c.divisor & 0xff);
      r.wr(DLM, c.divisor >> 8);
    }
    if (c.lcr >= 0) r.wr(LCR, c.lcr);
    CHECK(4 * r.uart.state().char_transmit_time == c.four_ctt);
    r.wr(MCR, 0x18);
    r.wr(FCR, 0x01);
    r.wr(IER, 0x01);
    r.icount = 20000;
    r.wr(FCR, 0x41);  // trigger level 4: one byte does not reach it
    const u64 s = r.now_inclusive();
    r.wr(THR, 'A');
    const u64 deadline = s + c.four_ctt;
    CHECK(r.uart.next_deadline_ns() == deadline);
    CHECK(r.rd(IIR) == 0xc1);
    r.icount = deadline - 1;  // now_ns() = deadline - 1
    r.uart.fire_due();
    CHECK(r.uart.state().timeout_ipending == 0);
    CHECK(r.uart.next_deadline_ns() == deadline);
    r.icount = deadline;  // after `deadline` instructions
    r.uart.fire_due();
    CHECK(r.uart.next_deadline_ns() == Uart16550::kNotArmed);
    CHECK(r.uart.state().timeout_ipending == 1);
    CHECK(r.line.level);
    CHECK(r.rd(IIR) == 0xcc);
  }
}

TEST_CASE("uart: timeout re-armed by RBR reads, cleared by RFR, masked by IER.RDI (QEMU)") {
  Rig r;
  r.wr(MCR, 0x18);
  r.wr(IER, 0x01);
  r.wr(FCR, 0x41);
  for (int i = 1; i <= 4; ++i) r.wr(THR, i);
  CHECK(r.rd(IIR) == 0xc4);
  const u64 ctt4 = 4 * r.uart.state().char_transmit_time;
  r.icount = r.uart.next_deadline_ns();
  r.uart.fire_due();
  CHECK(r.rd(IIR) == 0xcc);  // CTI outranks RDI
  const u64 t = r.now_inclusive();
  CHECK(r.rd(RBR) == 1);
  CHECK(r.rd(IIR) == 0xc1);  // 3 < 4 queued, timeout acknowledged
  CHECK(r.uart.next_deadline_ns() == t + ctt4);
  r.icount = r.uart.next_deadline_ns();
  r.uart.fire_due();
  CHECK(r.rd(IIR) == 0xcc);
  r.wr(IER, 0x00);
  CHECK(r.rd(IIR) == 0xc1);
  CHECK_FALSE(r.line.level);
  r.wr(IER, 0x01);
  CHECK(r.rd(IIR) == 0xcc);
  r.wr(FCR, 0x43);  // RFR
  CHECK(r.rd(IIR) == 0xc1);
  CHECK(r.rd(LSR) == 0x60);
  CHECK(r.uart.next_deadline_ns() == Uart16550::kNotArmed);
  CHECK(r.uart.state().recv_fifo.num == 0);
  // A single byte, read before the timeout: the deadline stays armed but finds the FIFO empty.
  r.wr(THR, 9);
  CHECK(r.rd(IIR) == 0xc1);
  r.icount = r.uart.next_deadline_ns();
  r.uart.fire_due();
  CHECK(r.rd(IIR) == 0xcc);
  CHECK(r.rd(RBR) == 9);
  CHECK(r.rd(IIR) == 0xc1);
  CHECK(r.rd(LSR) == 0x60);
  r.wr(THR, 10);
  CHECK(r.rd(RBR) == 10);
  CHECK(r.uart.next_deadline_ns() != Uart16550::kNotArmed);
  r.icount = r.uart.next_deadline_ns() + 5;
  r.uart.fire_due();
  CHECK(r.uart.next_deadline_ns() == Uart16550::kNotArmed);
  CHECK(r.rd(IIR) == 0xc1);
  // Without a clock the deadline is relative to 0 and fires only if the board says so.
  Uart16550 clockless(nullptr);
  REQUIRE(clockless.write(FCR, 1, 0x01));
  REQUIRE(clockless.write(MCR, 1, 0x18));
  REQUIRE(clockless.write(THR, 1, 'z'));
  CHECK(clockless.next_deadline_ns() == 4 * 1041660);
  clockless.fire_due();
  CHECK(clockless.state().timeout_ipending == 0);
}

TEST_CASE("uart: THRE interrupt rules (QEMU thr_ipending)") {
  Rig r;
  r.wr(MCR, 0x18);
  r.wr(IER, 0x02);
  CHECK(r.rd(IIR) == 0x02);
  CHECK(r.rd(IIR) == 0x01);  // reading the THRE indication acknowledges it
  r.wr(IER, 0x02);           // unchanged IER: nothing
  CHECK(r.rd(IIR) == 0x01);
  r.wr(IER, 0x00);
  r.wr(IER, 0x02);  // toggling THRI re-arms it
  CHECK(r.rd(IIR) == 0x02);
  CHECK(r.rd(IIR) == 0x01);
  r.wr(THR, 'Z');  // every completed transmission re-arms it
  CHECK(r.rd(IIR) == 0x02);
  CHECK(r.rd(RBR) == 'Z');
  CHECK(r.rd(IIR) == 0x01);
  r.wr(IER, 0x03);  // THRI unchanged
  CHECK(r.rd(IIR) == 0x01);
  r.wr(THR, 'Y');
  CHECK(r.rd(IIR) == 0x04);  // received data outranks THRE
  CHECK(r.rd(RBR) == 'Y');
  CHECK(r.rd(IIR) == 0x02);
  CHECK(r.rd(IIR) == 0x01);
  r.wr(FCR, 0x04);  // transmit FIFO reset: THRE pending again (FIFOs stay off)
  CHECK(r.rd(IIR) == 0x02);
  r.wr(IER, 0x04);  // THRI off: pending indication dropped
  CHECK(r.uart.state().thr_ipending == 0);
  r.wr(THR, 1);
  r.wr(THR, 2);
  CHECK(r.rd(IIR) == 0x06);  // line status (overrun)
  CHECK(r.rd(LSR) == 0x63);
  CHECK(r.rd(IIR) == 0x01);
  CHECK(r.rd(RBR) == 2);
  r.wr(IER, 0x0f);
  CHECK(r.rd(IIR) == 0x02);
  CHECK(r.rd(IIR) == 0x01);
}

TEST_CASE("uart: IIR priority order line status > timeout > data > THRE, and the line follows IIR") {
  Rig r;
  r.wr(MCR, 0x18);
  r.wr(FCR, 0x41);
  r.wr(IER, 0x0f);
  CHECK(r.rd(IIR) == 0xc2);
  for (int i = 0; i < 17; ++i) r.wr(THR, i);  // overrun in FIFO mode, above the level, THRE
  r.icount = r.uart.next_deadline_ns();
  r.uart.fire_due();
  CHECK(r.uart.state().thr_ipending == 1);
  CHECK(r.rd(IIR) == 0xc6);
  CHECK(r.line.level);
  r.wr(IER, 0x0b);  // RLSI off
  CHECK(r.rd(IIR) == 0xcc);
  r.rd(RBR);  // clears the timeout indication
  CHECK(r.rd(IIR) == 0xc4);
  r.wr(IER, 0x0a);  // RDI off
  CHECK(r.rd(IIR) == 0xc2);
  CHECK(r.rd(IIR) == 0xc1);
  CHECK_FALSE(r.line.level);
  // Every update drives the line (the PLIC relies on repeated highs).
  r.line.calls.clear();
  r.wr(THR, 1);
  REQUIRE(r.line.calls.size() >= 2);
  CHECK(r.line.calls.front() == std::pair<unsigned, bool>{10, false});
  CHECK(r.line.calls.back().second);
}

TEST_CASE("uart: no modem-status interrupt: MSR has no delta bits without modem lines") {
  Rig r;
  r.wr(IER, 0x08);
  CHECK(r.rd(IIR) == 0x01);
  CHECK(r.rd(MSR) == 0xb0);
  r.wr(MCR, 0x1f);
  r.wr(MCR, 0x00);
  CHECK(r.rd(MSR) == 0xb0);
  CHECK(r.rd(IIR) == 0x01);
  CHECK_FALSE(r.line.level);
}

TEST_CASE("uart: update_parameters recomputes the character time from divider and LCR (QEMU's post_load)") {
  Rig r;
  CHECK(r.uart.state().char_transmit_time == 1041660);  // reset value, not derived from divisor 12
  r.uart.update_parameters();
  CHECK(r.uart.state().char_transmit_time == 210424);  // 5N1 (LCR 0): 7-bit frames at 399193 / 12 baud
}

TEST_CASE("uart: FCR FIFO enable toggles flush both FIFOs; RFR alone clears receive state") {
  Rig r;
  r.wr(MCR, 0x18);
  r.wr(FCR, 0x01);
  r.wr(THR, 1);
  r.wr(THR, 2);
  CHECK(r.rd(LSR) == 0x61);
  r.wr(FCR, 0x00);  // disable: flush
  CHECK(r.rd(IIR) == 0x01);
  CHECK(r.rd(LSR) == 0x60);
  CHECK(r.uart.state().fcr == 0);
  r.wr(FCR, 0xc9 | 0x06 | 0x30);  // only 0xc9 sticks
  CHECK(r.uart.state().fcr == 0xc9);
  CHECK(r.rd(IIR) == 0xc1);
  r.wr(THR, 3);
  r.wr(FCR, 0xcb);  // RFR
  CHECK(r.rd(LSR) == 0x60);
  CHECK(r.uart.state().recv_fifo.num == 0);
  CHECK(r.uart.state().recv_fifo.head == 0);
}

TEST_CASE("uart: reset is QEMU's serial_reset: FCR survives it (QEMU)") {
  Rig r;
  r.wr(FCR, 0x01);
  r.wr(IER, 0x0f);
  r.wr(LCR, 0x9b);
  r.wr(DLL, 1);
  r.wr(MCR, 0x1f);
  r.wr(SCR, 0x77);
  r.wr(THR, 5);
  r.uart.reset();
  CHECK_FALSE(r.line.level);
  CHECK(r.rd(IIR) == 0x01);  // FE bits of IIR cleared although FCR still has FE
  CHECK(r.rd(LSR) == 0x60);
  CHECK(r.rd(MCR) == 0x08);
  CHECK(r.rd(SCR) == 0x00);
  CHECK(r.uart.state().fcr == 0x01);
  CHECK(r.uart.state().divider == 0x0c);
  CHECK(r.uart.state().char_transmit_time == 1041660);
  CHECK(r.uart.next_deadline_ns() == Uart16550::kNotArmed);
  r.wr(MCR, 0x18);
  r.wr(THR, 'a');
  r.wr(THR, 'b');
  CHECK(r.rd(LSR) == 0x61);  // FIFO still on: no overrun
  CHECK(r.rd(RBR) == 'a');
  CHECK(r.rd(RBR) == 'b');
  CHECK(r.rd(LSR) == 0x60);
}

TEST_CASE("uart: peek has no side effects") {
  Rig r;
  r.wr(MCR, 0x18);
  r.wr(IER, 0x07);
  r.wr(THR, 'p');
  r.wr(THR, 'q');
  u64 v = 0;
  const Uart16550::State before = r.uart.state();
  for (u64 off = 0; off < 8; ++off) REQUIRE(r.uart.peek(off, 1, v));
  REQUIRE(r.uart.peek(RBR, 1, v));
  CHECK(v == 'q');
  REQUIRE(r.uart.peek(LSR, 1, v));
  CHECK(v == 0x63);
  REQUIRE(r.uart.peek(IIR, 1, v));
  CHECK(v == 0x06);
  REQUIRE(r.uart.peek(MSR, 2, v));
  CHECK(v == 0x80);  // loopback with OUT2: DCD
  CHECK(std::memcmp(&before, &r.uart.state(), sizeof before) == 0);
  CHECK(r.rd(LSR) == 0x63);
  r.wr(FCR, 0x01);
  r.wr(THR, 'r');
  REQUIRE(r.uart.peek(RBR, 1, v));
  CHECK(v == 'r');
  CHECK(r.uart.state().recv_fifo.num == 1);
}

TEST_CASE("uart: determinism - the same accesses and inputs give the same State bytes and output") {
  struct Run {
    Rig r;
    void go() {
      u64 x = 0x243f6a8885a308d3;
      auto next = [&x] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
      };
      for (int i = 0; i < 50000; ++i) {
        const u64 v = next();
        r.icount += v % 5000;
        const u64 off = (v >> 8) % 8;
        switch ((v >> 16) % 6) {
          case 0:
          case 1: {
            u64 out;
            r.uart.read(off, 1, out);
            break;
          }
          case 2: r.uart.write(off, 1, v >> 24); break;
          case 3:
            if (r.uart.can_receive()) r.uart.receive(static_cast<u8>(v >> 32));
            break;
          case 4: r.uart.fire_due(); break;
          default:
            if ((v >> 40) % 100 == 0) r.uart.reset();
            break;
        }
      }
    }
  } a, b;
  a.go();
  b.go();
  CHECK(std::memcmp(&a.r.uart.state(), &b.r.uart.state(), sizeof(Uart16550::State)) == 0);
  CHECK(a.r.out == b.r.out);
  CHECK(a.r.line.calls == b.r.line.calls);
  CHECK_FALSE(a.r.out.empty());
}
