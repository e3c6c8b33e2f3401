// The device vmstate descriptions (devices/*_vmstate.cpp): state driven through MMIO into a
// non-trivial condition, saved, loaded into a fresh device the way the board does it, and
// compared byte for byte; golden wire/vmdesc for "serial"; the compat knobs; invariant refusals.
#include <doctest/doctest.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/csr_bits.h"
#include "core/hart.h"
#include "core/virtual_clock.h"
#include "devices/aclint_mtimer_vmstate.h"
#include "devices/goldfish_rtc_vmstate.h"
#include "devices/plic_vmstate.h"
#include "devices/uart16550_vmstate.h"
#include "tests/unit/devices/vmstate_checks.h"

using namespace lockstep;
using namespace lockstep::test;
using core::u32;
using core::u64;
using core::u8;
using devices::AclintMtimer;
using devices::GoldfishRtc;
using devices::Plic;
using devices::Uart16550;

namespace {

bool contains(const std::vector<u8>& bytes, const std::string& s) {
  return std::search(bytes.begin(), bytes.end(), s.begin(), s.end()) != bytes.end();
}

struct Uart {
  u64 icount = 0;
  core::VirtualClock clock;
  Uart16550 dev{[](u8) {}, &clock};
  Uart() { clock.running_icount = &icount; }
  void wr(u64 off, u8 v) { REQUIRE(dev.write(off, 1, v)); }
  u8 rd(u64 off) {
    u64 v = 0;
    REQUIRE(dev.read(off, 1, v));
    return static_cast<u8>(v);
  }
  // 8N1, FIFO on, receive interrupts on, three bytes in and one read: FIFO head 1, 2 queued, timeout armed.
  void drive() {
    wr(3, 0x03);
    wr(2, 0x01);
    wr(1, 0x01);
    for (u8 b : {u8{'a'}, u8{'b'}, u8{'c'}}) REQUIRE(dev.receive(b));
    icount = 100;
    CHECK(rd(0) == 'a');
  }
};

}  // namespace

TEST_CASE("serial: round trip with bytes in the FIFO and the timeout armed, then both run on equally") {
  Uart src;
  src.drive();
  REQUIRE(src.dev.state().recv_fifo.num == 2);
  REQUIRE(src.dev.state().fifo_timeout_deadline_ns != Uart16550::kNotArmed);
  const auto bytes = saved(devices::uart16550_vmstate(), src.dev.state());
  CHECK(contains(bytes, "serial/recv_fifo"));
  CHECK(contains(bytes, "serial/fifo_timeout_timer"));
  CHECK_FALSE(contains(bytes, "serial/lockstep-"));  // the guest programmed LCR: QEMU derives the same time
  Uart dst;
  round_trip(devices::uart16550_vmstate(), src.dev.state(), dst.dev);
  CHECK(dst.dev.next_deadline_ns() == src.dev.next_deadline_ns());
  // Both run past the deadline: the timeout fires on both, identically.
  src.icount = dst.icount = src.dev.next_deadline_ns() + 1;
  src.dev.fire_due();
  dst.dev.fire_due();
  CHECK(src.dev.state().timeout_ipending == 1);
  CHECK(same_bytes(src.dev.state(), dst.dev.state()));
  CHECK(src.rd(0) == dst.rd(0));
}

TEST_CASE("serial: golden wire bytes and vmdesc entry") {
  Uart u;
  u.wr(3, 0x03);  // 8N1: char time as QEMU derives it, so no lockstep subsection
  // Version 3 (machine virt-1.0) is QEMU 7.2's layout: divider, rbr, ier, iir, lcr, mcr, lsr, msr,
  // scr, fcr_vmstate, an 11-byte body.
  snapshot::Writer w3;
  REQUIRE(snapshot::vm::save(devices::uart16550_vmstate(), u.dev.state(), w3, nullptr, {.version = 3}).ok());
  CHECK(w3.bytes() == std::vector<u8>{0x00, 0x0c, 0x00, 0x00, 0x01, 0x03, 0x08, 0x60, 0xb0, 0x00, 0x00});
  // Version 4 adds char_transmit_time (be64) as a field.
  const auto bytes = saved(devices::uart16550_vmstate(), u.dev.state());
  CHECK(bytes.size() == 11 + 8);
  CHECK(std::vector<u8>(bytes.begin(), bytes.begin() + 11) == w3.bytes());
  auto e = snapshot::vm::vmdesc_entry(devices::uart16550_vmstate(), u.dev.state(), "serial", 0, {.version = 3});
  REQUIRE(e.ok());
  CHECK(e.value().dump() ==
        R"({"name":"serial","instance_id":0,"vmsd_name":"serial","version":3,"fields":[)"
        R"({"name":"divider","type":"uint16","size":2},{"name":"rbr","type":"uint8","size":1},)"
        R"({"name":"ier","type":"uint8","size":1},{"name":"iir","type":"uint8","size":1},)"
        R"({"name":"lcr","type":"uint8","size":1},{"name":"mcr","type":"uint8","size":1},)"
        R"({"name":"lsr","type":"uint8","size":1},{"name":"msr","type":"uint8","size":1},)"
        R"({"name":"scr","type":"uint8","size":1},{"name":"fcr_vmstate","type":"uint8","size":1}]})");
  // The schema names QEMU's subsections (and the one lockstep adds) in QEMU's order.
  const auto schema = snapshot::vm::dump_vmstate_entry(devices::uart16550_vmstate(), "serial-mm");
  std::vector<std::string> subs;
  for (const auto& s : schema["Description"]["Subsections"]) subs.push_back(s["name"]);
  CHECK(subs == std::vector<std::string>{"serial/thr_ipending", "serial/tsr", "serial/recv_fifo",
                                         "serial/fifo_timeout_timer", "serial/timeout_ipending",
                                         "serial/lockstep-char_transmit_time"});
  CHECK(schema["Description"]["Subsections"][2]["Fields"][0]["Description"]["name"] == "Fifo8");
}

TEST_CASE("serial: reset state carries the character time QEMU would recompute") {
  Uart u;
  snapshot::Writer w3;
  REQUIRE(snapshot::vm::save(devices::uart16550_vmstate(), u.dev.state(), w3, nullptr, {.version = 3}).ok());
  const auto bytes = w3.bytes();  // v3: QEMU's layout, where the time needs the lockstep subsection
  REQUIRE(bytes.size() > 11);
  CHECK(bytes[11] == snapshot::vm::kSubsectionByte);
  CHECK(contains(bytes, "serial/lockstep-char_transmit_time"));
  // Without the subsection (a QEMU stream), the loader derives the time as QEMU's post_load does.
  Uart dst;
  REQUIRE(board_load(devices::uart16550_vmstate(), dst.dev, std::span(bytes.data(), 11), 3).ok());
  CHECK(dst.dev.state().char_transmit_time == 210424);
}

TEST_CASE("serial: saved as version 2 for an old machine type") {
  Uart src;
  src.drive();
  snapshot::Writer w;
  snapshot::vm::Json desc;
  REQUIRE(snapshot::vm::save(devices::uart16550_vmstate(), src.dev.state(), w, &desc, {.version = 2}).ok());
  CHECK(desc["version"] == 2);
  CHECK(desc["fields"].size() == 9);  // no fcr_vmstate
  snapshot::Writer v3;
  REQUIRE(snapshot::vm::save(devices::uart16550_vmstate(), src.dev.state(), v3, nullptr, {.version = 3}).ok());
  CHECK(w.size() == v3.size() - 1);
  // A v2 body loads as QEMU loads it: FIFOs off, IIR without the FIFO bits.
  Uart dst;
  REQUIRE(board_load(devices::uart16550_vmstate(), dst.dev, w.bytes(), 2).ok());
  CHECK(dst.dev.state().fcr == 0);
  CHECK((dst.dev.state().iir & 0xc0) == 0);
  CHECK(dst.dev.state().recv_fifo.num == 2);
  CHECK_FALSE(snapshot::vm::save(devices::uart16550_vmstate(), src.dev.state(), w, nullptr, {.version = 1}).ok());
  CHECK_FALSE(snapshot::vm::save(devices::uart16550_vmstate(), src.dev.state(), w, nullptr, {.version = 5}).ok());
}

TEST_CASE("serial: invariant refusals leave the device untouched") {
  Uart src;
  src.drive();
  auto bytes = saved(devices::uart16550_vmstate(), src.dev.state());
  const std::string name = "serial/recv_fifo";
  auto at = std::search(bytes.begin(), bytes.end(), name.begin(), name.end());
  REQUIRE(at != bytes.end());
  const std::size_t head = static_cast<std::size_t>(at - bytes.begin()) + name.size() + 4 + 16;  // version, data
  bytes[head + 3] = 16;  // head = 16
  Uart dst;
  dst.wr(7, 0x42);
  const auto before = dst.dev.state();
  Status st = board_load(devices::uart16550_vmstate(), dst.dev, bytes, 4);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("recv_fifo.head") != std::string::npos);
  CHECK(same_bytes(dst.dev.state(), before));
  // QEMU's tsr_retry != 0 (a transmitter waiting for its backend): lockstep cannot resume it.
  Uart tx;
  tx.wr(0, 'x');
  auto tb = saved(devices::uart16550_vmstate(), tx.dev.state());
  const std::string tsr = "serial/tsr";
  auto t = std::search(tb.begin(), tb.end(), tsr.begin(), tsr.end());
  REQUIRE(t != tb.end());
  tb[static_cast<std::size_t>(t - tb.begin()) + tsr.size() + 4 + 3] = 1;
  Status st2 = board_load(devices::uart16550_vmstate(), dst.dev, tb, 4);
  REQUIRE_FALSE(st2.ok());
  CHECK(st2.error().message.find("tsr_retry") != std::string::npos);
  CHECK(same_bytes(dst.dev.state(), before));
}

TEST_CASE("serial: every member reaches the wire") {
  Uart u;
  u.drive();
  every_byte_reaches_the_wire(devices::uart16550_vmstate(), u.dev.state(),
                              {{offsetof(Uart16550::State, reserved), 3}});
}

namespace {

struct PlicBoard {
  std::vector<std::unique_ptr<core::Hart>> harts;
  std::unique_ptr<Plic> plic;
  explicit PlicBoard(unsigned n = 2) {
    std::vector<core::Hart*> ptrs;
    for (unsigned k = 0; k < n; ++k) {
      harts.push_back(std::make_unique<core::Hart>());
      ptrs.push_back(harts.back().get());
    }
    plic = std::make_unique<Plic>(ptrs);
  }
  void wr(u64 off, u32 v) { REQUIRE(plic->write(off, 4, v)); }
  u32 rd(u64 off) {
    u64 v = 0;
    REQUIRE(plic->read(off, 4, v));
    return static_cast<u32>(v);
  }
  // Sources 10 and 11 raised, enabled for hart 0's M context; 11 claimed, 10 still pending.
  void drive() {
    wr(4 * 10, 3);
    wr(4 * 11, 5);
    wr(0x2000, (1u << 10) | (1u << 11));
    wr(0x2080 + 4, 0xffff0000u);  // context 1, word 1
    wr(0x200000 + 0x1000, 2);     // context 1 threshold
    plic->set_irq(10, true);
    plic->set_irq(11, true);
    CHECK(rd(0x200004) == 11);
  }
};

}  // namespace

TEST_CASE("riscv_sifive_plic: round trip with a claim outstanding; lines are not re-driven") {
  PlicBoard src;
  src.drive();
  src.wr(0x180, 6);  // source 96's priority register
  PlicBoard dst;
  round_trip(devices::plic_vmstate(), src.plic->state(), *dst.plic);
  CHECK(dst.harts[0]->csr.mip == 0);  // restore_state drives nothing; mip travels with the hart
  CHECK(dst.plic->peek_claim(0) == 10);
  CHECK(dst.rd(0x200004) == src.rd(0x200004));
}

TEST_CASE("riscv_sifive_plic: QEMU's body length; source96 only when non-zero and not withheld") {
  PlicBoard src;
  src.drive();
  CHECK(saved(devices::plic_vmstate(), src.plic->state()).size() == 4 * (96 + 4 + 3 + 3 + 4 * 3));
  src.wr(0x180, 6);
  auto with = saved(devices::plic_vmstate(), src.plic->state());
  CHECK(contains(with, "riscv_sifive_plic/source96"));
  // An old machine version withholds it (machines/virt: Compat::plic_source96 = false): the save
  // option, not the device's state, decides, so the same State saves both ways.
  const std::string_view withheld[] = {devices::kPlicSource96Subsection};
  auto without = vm::save_bytes(devices::plic_vmstate(), src.plic->state(), {.withheld_subsections = withheld});
  REQUIRE(without.ok());
  CHECK(without.value().size() == 4 * (96 + 4 + 3 + 3 + 4 * 3));
  CHECK_FALSE(contains(without.value(), "riscv_sifive_plic/source96"));
  // The option lasts for that save only.
  CHECK(saved(devices::plic_vmstate(), src.plic->state()) == with);
  PlicBoard dst;
  dst.wr(0x180, 2);
  REQUIRE(board_load(devices::plic_vmstate(), *dst.plic, without.value(), 1).ok());
  CHECK(dst.plic->state().source96_priority == 0);  // absent means reset value
}

TEST_CASE("riscv_sifive_plic: refusals (hart count, pending source 0) leave the device untouched") {
  PlicBoard src;
  src.drive();
  auto bytes = saved(devices::plic_vmstate(), src.plic->state());
  PlicBoard one(1);
  const auto before1 = one.plic->state();
  CHECK_FALSE(board_load(devices::plic_vmstate(), *one.plic, bytes, 1).ok());
  CHECK(same_bytes(one.plic->state(), before1));
  bytes[4 * (96 + 4) + 3] |= 1;  // pending word 0, bit 0
  PlicBoard dst;
  dst.drive();
  const auto before = dst.plic->state();
  Status st = board_load(devices::plic_vmstate(), *dst.plic, bytes, 1);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("pending") != std::string::npos);
  CHECK(same_bytes(dst.plic->state(), before));
}

TEST_CASE("riscv_sifive_plic: every member reaches the wire") {
  PlicBoard b(Plic::kMaxHarts);
  b.drive();
  using P = Plic::State;
  every_byte_reaches_the_wire(devices::plic_vmstate(), b.plic->state(),
                              {{offsetof(P, num_addrs), 4}, {offsetof(P, num_enables), 4}});
}

namespace {

struct Timer {
  std::vector<std::unique_ptr<core::Hart>> harts;
  u64 icount = 0;
  core::VirtualClock clock;
  std::unique_ptr<AclintMtimer> dev;
  explicit Timer(unsigned n = 2) {
    std::vector<core::Hart*> ptrs;
    for (unsigned k = 0; k < n; ++k) {
      harts.push_back(std::make_unique<core::Hart>());
      ptrs.push_back(harts.back().get());
    }
    clock.running_icount = &icount;
    dev = std::make_unique<AclintMtimer>(ptrs, clock, 10'000'000);
    dev->reset();
  }
  void wr(u64 off, u64 v) { REQUIRE(dev->write(off, 8, v)); }
};

}  // namespace

TEST_CASE("riscv_mtimer: QEMU's body at reset; round trip with mtime moved and a timer armed") {
  Timer src;
  CHECK(saved(devices::aclint_mtimer_vmstate(), src.dev->state()).size() == 2 * 8);  // timecmp[2] only
  src.icount = 1000;
  src.wr(0x7ff8, 5000);  // mtime: time_delta
  src.wr(8, 9000);       // hart 1's mtimecmp in the future: armed
  REQUIRE(src.dev->next_deadline_ns() != AclintMtimer::kNotArmed);
  const auto bytes = saved(devices::aclint_mtimer_vmstate(), src.dev->state());
  CHECK(contains(bytes, "riscv_mtimer/lockstep-time_delta"));
  CHECK(contains(bytes, "riscv_mtimer/lockstep-deadlines"));
  Timer dst;
  const u64 mip0 = dst.harts[0]->csr.mip;
  round_trip(devices::aclint_mtimer_vmstate(), src.dev->state(), *dst.dev);
  CHECK(dst.harts[0]->csr.mip == mip0);  // nothing driven
  CHECK(dst.dev->next_deadline_ns() == src.dev->next_deadline_ns());
  dst.icount = 1000;
  CHECK(dst.dev->mtime(false) == src.dev->mtime(false));
}

TEST_CASE("riscv_mtimer: a different hart count is refused, the device untouched") {
  Timer src(2);
  const auto bytes = saved(devices::aclint_mtimer_vmstate(), src.dev->state());
  Timer dst(1);
  const auto before = dst.dev->state();
  CHECK_FALSE(board_load(devices::aclint_mtimer_vmstate(), *dst.dev, bytes, 1).ok());
  CHECK(same_bytes(dst.dev->state(), before));
}

TEST_CASE("riscv_mtimer: every member reaches the wire") {
  Timer t(AclintMtimer::kMaxHarts);
  t.wr(0x7ff8, 77);
  using T = AclintMtimer::State;
  every_byte_reaches_the_wire(devices::aclint_mtimer_vmstate(), t.dev->state(),
                              {{offsetof(T, num_harts), 4}, {offsetof(T, reserved), 4}});
}

namespace {

struct Rtc {
  u64 icount = 0;
  core::VirtualClock clock;
  GoldfishRtc dev{clock, GoldfishRtc::kDefaultBaseNs};
  Rtc() { clock.running_icount = &icount; }
  void wr(u64 off, u32 v) { REQUIRE(dev.write(off, 4, v)); }
  // Alarm one second ahead, interrupts on.
  void drive() {
    const u64 alarm = dev.time_ns(false) + 1'000'000'000;
    wr(0x10, 1);
    wr(0x0c, static_cast<u32>(alarm >> 32));
    wr(0x08, static_cast<u32>(alarm));
  }
};

}  // namespace

TEST_CASE("goldfish_rtc: armed alarm in QEMU's 40-byte body; a moved time adds the deadline") {
  Rtc src;
  src.drive();
  REQUIRE(src.dev.state().alarm_running == 1);
  CHECK(saved(devices::goldfish_rtc_vmstate(), src.dev.state()).size() == 40);
  Rtc dst;
  round_trip(devices::goldfish_rtc_vmstate(), src.dev.state(), dst.dev);
  CHECK(dst.dev.next_deadline_ns() == src.dev.next_deadline_ns());
  src.wr(0x04, 0x7fff);  // TIME_HIGH: the time moves, the armed deadline does not (QEMU)
  const auto bytes = saved(devices::goldfish_rtc_vmstate(), src.dev.state());
  CHECK(contains(bytes, "goldfish_rtc/lockstep-alarm_deadline"));
  Rtc dst2;
  round_trip(devices::goldfish_rtc_vmstate(), src.dev.state(), dst2.dev);
}

TEST_CASE("goldfish_rtc: refusal leaves the device untouched; every member reaches the wire") {
  Rtc src;
  src.drive();
  auto bytes = saved(devices::goldfish_rtc_vmstate(), src.dev.state());
  bytes[16 + 3] = 2;  // alarm_running = 2
  Rtc dst;
  const auto before = dst.dev.state();
  Status st = board_load(devices::goldfish_rtc_vmstate(), dst.dev, bytes, 3);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("alarm_running") != std::string::npos);
  CHECK(same_bytes(dst.dev.state(), before));
  every_byte_reaches_the_wire(devices::goldfish_rtc_vmstate(), src.dev.state(), {});
}
