// lockstep's device descriptions against real QEMU 7.2 streams: a riscv virt stream is generated at
// test time (as stream_test.cpp does), walked with snapshot/stream, and the bodies of the sections
// meant to be wire-compatible ("serial", "goldfish_rtc", "riscv_sifive_plic", "riscv_mtimer") are
// loaded with lockstep's descriptions; QEMU's vmdesc field names, types and sizes must equal ours.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/hart.h"
#include "core/virtual_clock.h"
#include "devices/aclint_mtimer_vmstate.h"
#include "devices/goldfish_rtc_vmstate.h"
#include "devices/plic_vmstate.h"
#include "devices/uart16550_vmstate.h"
#include "snapshot/stream/vmdesc_walker.h"

using namespace lockstep;
namespace vm = snapshot::vm;

namespace {

// QEMU paused (-S) at reset, HMP monitor on stdin: migrate to a file, quit.
std::string qemu_riscv_stream() {
  const std::string out = fmt::format("{}/{}-devices.mig", LOCKSTEP_STREAM_WORK, ::getpid());
  std::remove(out.c_str());
  const std::string cmd = fmt::format(
      "printf 'migrate \"exec:cat > {}\"\\nquit\\n' | timeout 60 {} -M virt -m 64M -bios none -kernel {} "
      "-serial none -display none -monitor stdio -S > {}.log 2>&1",
      out, LOCKSTEP_QEMU_RISCV64, LOCKSTEP_HELLO_ELF, out);
  INFO("command: " << cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::remove((out + ".log").c_str());
  return out;
}

struct Body {
  std::vector<std::uint8_t> bytes;
  int version = 0;
  std::uint64_t offset = 0;
  snapshot::stream::Json desc;
};

// (name, type, size, array_len) of each top-level vmdesc field.
std::vector<std::string> shape(const snapshot::stream::Json& fields) {
  std::vector<std::string> v;
  for (const auto& f : fields)
    v.push_back(fmt::format("{} {} {} {}", f["name"].get<std::string>(), f["type"].get<std::string>(),
                            f["size"].get<std::uint64_t>(), f.value("array_len", std::uint64_t{1})));
  return v;
}

template <class S>
void load_and_compare(const vm::Section<S>& d, const Body& b, S& s) {
  Status st = vm::load_bytes(d, s, b.bytes, b.version, b.offset);
  REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.error().message));
  // Saved again by lockstep: the same field layout QEMU described.
  // Saved at the stream's version (lockstep's serial is v4; v3 is QEMU's layout, machine virt-1.0).
  auto ours = vm::vmdesc_entry(d, s, "x", 0, {.version = static_cast<int>(b.version)});
  REQUIRE(ours.ok());
  // QEMU's serial-mm wraps vmstate_serial as one struct field "serial" of an outer vmsd also named
  // "serial": the same bytes on the wire (a struct is inline), one level deeper in the vmdesc.
  const auto& fields = b.desc["fields"].size() == 1 && b.desc["fields"][0]["type"] == "struct"
                           ? b.desc["fields"][0]["struct"]["fields"]
                           : b.desc["fields"];
  CHECK(shape(ours.value()["fields"]) == shape(fields));
  CHECK(ours.value()["version"] == b.desc["version"]);
}

// The vmsd-described sections of one QEMU stream, by vmsd name.
std::map<std::string, Body>& qemu_bodies() {
  static std::map<std::string, Body> bodies;
  static bool done = false;
  if (done) return bodies;
  done = true;
  const std::string path = qemu_riscv_stream();
  auto walked = snapshot::stream::walk_stream(path);
  REQUIRE_MESSAGE(walked.ok(), (walked.ok() ? "" : walked.error().message));
  std::ifstream f(path, std::ios::binary);
  const std::vector<std::uint8_t> file(std::istreambuf_iterator<char>(f), {});
  for (const auto& s : walked.value().sections) {
    if (!s.desc || !s.desc->contains("vmsd_name")) continue;
    Body b;
    b.bytes.assign(file.begin() + static_cast<std::ptrdiff_t>(s.header.body_offset),
                   file.begin() + static_cast<std::ptrdiff_t>(s.header.body_offset + s.body_size));
    b.version = static_cast<int>(s.header.version_id);
    b.offset = s.header.body_offset;
    b.desc = *s.desc;
    bodies[(*s.desc)["vmsd_name"].get<std::string>()] = std::move(b);
  }
  std::remove(path.c_str());
  return bodies;
}

}  // namespace

TEST_CASE("qemu_device_sections") {
  if (std::string(LOCKSTEP_QEMU_RISCV64).empty() || ::access(LOCKSTEP_QEMU_RISCV64, X_OK) != 0) {
    MESSAGE("qemu-system-riscv64 not installed: skipped");
    return;
  }
  std::map<std::string, Body>& bodies = qemu_bodies();  // generated once for all subcases

  SUBCASE("serial") {
    REQUIRE(bodies.count("serial"));
    CHECK(bodies["serial"].version == 3);
    devices::Uart16550 uart([](core::u8) {});
    auto s = uart.state();
    s.divider = 0;
    s.lsr = 0;
    load_and_compare(devices::uart16550_vmstate(), bodies["serial"], s);
    // QEMU's serial_reset, untouched by a guest that never ran.
    CHECK(s.divider == 0x0c);
    CHECK(s.iir == 0x01);
    CHECK(s.lsr == 0x60);
    CHECK(s.msr == 0xb0);
    CHECK(s.mcr == 0x08);
    CHECK(s.recv_fifo.num == 0);
    CHECK(s.fifo_timeout_deadline_ns == devices::Uart16550::kNotArmed);
    // No lockstep subsection in QEMU's stream: the character time is derived as QEMU does.
    CHECK(s.char_transmit_time == devices::Uart16550::char_transmit_time_for(0x0c, 0, 399193));
  }
  SUBCASE("riscv_sifive_plic") {
    REQUIRE(bodies.count("riscv_sifive_plic"));
    core::Hart h;
    devices::Plic plic({&h});  // -smp 1: an M and an S context
    auto s = plic.state();
    s.pending[1] = 0xdead;
    load_and_compare(devices::plic_vmstate(), bodies["riscv_sifive_plic"], s);
    CHECK(s.pending[1] == 0);
    CHECK(bodies["riscv_sifive_plic"].bytes.size() == 4 * (96 + 2 + 3 + 3 + 2 * 3));
  }
  SUBCASE("riscv_mtimer") {
    REQUIRE(bodies.count("riscv_mtimer"));
    core::Hart h;
    core::VirtualClock clock;
    devices::AclintMtimer mtimer({&h}, clock);
    auto s = mtimer.state();
    s.mtimecmp[0] = 0x1234;
    load_and_compare(devices::aclint_mtimer_vmstate(), bodies["riscv_mtimer"], s);
    CHECK(s.mtimecmp[0] == 0);  // QEMU's reset value
    CHECK(s.deadline_ns[0] == devices::AclintMtimer::kNotArmed);
  }
  SUBCASE("goldfish_rtc") {
    REQUIRE(bodies.count("goldfish_rtc"));
    CHECK(bodies["goldfish_rtc"].version == 3);
    core::VirtualClock clock;
    devices::GoldfishRtc rtc(clock, 0);
    auto s = rtc.state();
    load_and_compare(devices::goldfish_rtc_vmstate(), bodies["goldfish_rtc"], s);
    CHECK(s.tick_offset > 1'600'000'000ull * 1'000'000'000ull);  // QEMU's RTC starts at host time
    CHECK(s.alarm_running == 0);
    CHECK(s.irq_enabled == 0);
    CHECK(s.alarm_deadline_ns == devices::GoldfishRtc::kNotArmed);
  }
}
