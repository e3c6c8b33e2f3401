// The board table (machines/virt/board_devices.cpp), the virtio kind table and the machine
// versions' Compat: the table is consistent (windows, IRQs, sections), and what each machine
// version puts on the wire and in the guest's tree is what it was before the table existed.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "devices/plic.h"
#include "machines/virt/board_devices.h"
#include "machines/virt/device_tree.h"
#include "machines/virt/machine_versions.h"
#include "machines/virt/virt_machine.h"
#include "machines/virt/virtio_kinds.h"
#include "snapshot/wire.h"

using namespace lockstep::machines::virt;
using lockstep::core::u64;

namespace {

std::unique_ptr<VirtMachine> machine(const std::string& version, unsigned rngs = 0) {
  VirtConfig c;
  c.machine = version;
  c.bios = "none";
  VirtioDeviceConfig rng;
  rng.kind = VirtioDeviceConfig::Kind::Rng;
  for (unsigned k = 0; k < rngs; ++k) c.virtio.push_back(rng);
  auto m = VirtMachine::create(c, [](uint8_t) {});
  REQUIRE_MESSAGE(m.ok(), (m.ok() ? "" : m.error().message));
  return std::move(m.value());
}

// "idstr/instance type vN [sendable subsections]" for every section, in stream order.
std::vector<std::string> section_lines(const VirtMachine& m) {
  std::vector<std::string> out;
  for (const auto& s : m.sections()) {
    std::string subs;
    for (const auto& name : s->sendable_subsections()) subs += (subs.empty() ? "" : " ") + name;
    out.push_back(fmt::format("{}/{} {} v{} [{}]", s->idstr(), s->instance(), s->type_name(), s->wire_version(), subs));
  }
  return out;
}

const MachineSection& section(const VirtMachine& m, const std::string& idstr) {
  for (const auto& s : m.sections())
    if (s->idstr() == idstr) return *s;
  FAIL("no section " << idstr);
  return *m.sections().front();
}

std::vector<uint8_t> saved(const MachineSection& s) {
  lockstep::snapshot::Writer w;
  REQUIRE(s.save(w, nullptr).ok());
  return w.bytes();
}

bool contains(const std::vector<uint8_t>& bytes, std::string_view s) {
  return std::search(bytes.begin(), bytes.end(), s.begin(), s.end()) != bytes.end();
}

}  // namespace

TEST_CASE("board table: windows inside their regions, no overlap, one PLIC source each") {
  struct Window {
    u64 base, end;
    std::string name;
  };
  std::vector<Window> windows;
  std::set<unsigned> irqs;
  std::set<std::string> sections;
  bool irqchip_seen = false;
  for (const DeviceRow& row : board_device_rows()) {
    INFO(row.name);
    REQUIRE((row.make != nullptr));
    REQUIRE(row.count >= 1);
    const MapRow& region = map_row(row.region);
    if (row.count == 1) CHECK(row.offset + row.window_size() <= region.size);
    for (unsigned k = 0; k < row.count; ++k) {
      if (row.mmio) windows.push_back({row.base(k), row.base(k) + row.window_size(), std::string(row.name)});
      if (row.irq) {
        CHECK(irqchip_seen);  // built after the interrupt controller
        CHECK(row.irq_of(k) < lockstep::devices::Plic::kNumSources);
        CHECK(irqs.insert(row.irq_of(k)).second);
      }
    }
    if (row.irq) CHECK((row.fdt != nullptr));  // a guest finds its interrupt in the tree
    if (!row.section.idstr.empty()) {
      CHECK((row.section.make != nullptr));
      CHECK(sections.insert(std::string(row.section.idstr)).second);
    }
    irqchip_seen |= row.irq_sink != nullptr;
  }
  std::sort(windows.begin(), windows.end(), [](const Window& a, const Window& b) { return a.base < b.base; });
  for (std::size_t i = 1; i < windows.size(); ++i) {
    INFO(windows[i - 1].name << " and " << windows[i].name);
    CHECK(windows[i - 1].end <= windows[i].base);
  }
  CHECK(virtio_slot_count() == 8);
  for (const VirtioKindRow& kind : virtio_kind_rows()) {
    CHECK(find_virtio_kind(kind.kind) == &kind);
    CHECK((kind.make != nullptr));
    CHECK((kind.section != nullptr));
    CHECK(sections.insert(std::string(kind.idstr)).second);
  }
}

TEST_CASE("machine versions: each the previous one plus its edits") {
  const auto versions = machine_versions();
  REQUIRE(versions.size() == 4);
  CHECK(versions[0].compat == Compat{});
  CHECK(versions[1].compat == versions[0].compat.with_serial_version(4));
  CHECK(versions[2].compat == versions[1].compat.with_main_ram_id("virt.ram").with_plic_source96(true));
  CHECK(versions[3].compat == versions[2].compat.with_cpu_debug(true));
  CHECK(find_machine_version("virt")->name == "virt-2.1");
}

// What each version wrote before the board became a table (idstr, instance, QEMU type, the version
// the section goes out as, the subsections that can reach the wire).
TEST_CASE("machine versions: every section, its order, wire version and sendable subsections") {
  auto expected = [](const std::string& serial, const std::string& plic, const std::string& cpu) {
    std::vector<std::string> lines = {
        fmt::format("cpu/0 riscv-cpu v{}", cpu),
        "riscv_mtimer/0 riscv.aclint.mtimer v1 [riscv_mtimer/lockstep-time_delta riscv_mtimer/lockstep-deadlines]",
        fmt::format("riscv_sifive_plic/0 riscv.sifive.plic v1 [{}]", plic),
        fmt::format("serial/0 serial-mm {}", serial),
        "goldfish_rtc/0 goldfish_rtc v3 [goldfish_rtc/lockstep-alarm_deadline]",
    };
    for (unsigned k = 0; k < 8; ++k) lines.push_back(fmt::format("virtio-mmio/{} virtio-mmio v1 []", k));
    lines.push_back("virtio-rng/0 virtio-rng-device v1 []");
    lines.push_back("virtio-rng/1 virtio-rng-device v1 []");
    lines.push_back("virt-board/0 virt-board v1 []");
    lines.push_back("lockstep/console/0 lockstep-console v1 []");
    return lines;
  };
  auto with_cpu = [](std::vector<std::string> lines, const VirtMachine& m) {
    // The hart's section is the hart's own (its subsections depend on the ISA state): taken as is,
    // but only its wire version and its cpu/debug subsection vary with the machine version.
    lines[0] = section_lines(m)[0];
    return lines;
  };
  const std::string serial_subs = "serial/thr_ipending serial/tsr serial/recv_fifo serial/fifo_timeout_timer "
                                  "serial/timeout_ipending";
  const std::string serial_v3 = "v3 [" + serial_subs + " serial/lockstep-char_transmit_time]";
  const std::string serial_v4 = "v4 [" + serial_subs + "]";
  for (const auto& row :
       {std::tuple{"virt-1.0", serial_v3, ""}, std::tuple{"virt-1.1", serial_v4, ""},
        std::tuple{"virt-2.0", serial_v4, "riscv_sifive_plic/source96"},
        std::tuple{"virt-2.1", serial_v4, "riscv_sifive_plic/source96"}}) {
    // Not a structured binding: clang-14 does not let INFO's lambda capture one.
    const char* version = std::get<0>(row);
    const std::string& serial = std::get<1>(row);
    const char* plic = std::get<2>(row);
    INFO(version);
    auto m = machine(version, 2);
    CHECK(section_lines(*m) == with_cpu(expected(serial, plic, ""), *m));
    const auto subs = m->sections()[0]->sendable_subsections();
    CHECK((std::find(subs.begin(), subs.end(), "cpu/debug") != subs.end()) == (std::string(version) == "virt-2.1"));
    CHECK(m->const_bus().ram_blocks().front()->name ==
          (std::string(version) < "virt-2.0" ? "riscv_virt_board.ram" : "virt.ram"));
  }
}

TEST_CASE("riscv_sifive_plic/source96: withheld before virt-2.0, on the wire and in the digest after") {
  constexpr u64 kSource96 = 0x0c000000 + 0x180;
  for (const char* version : {"virt-1.0", "virt-1.1", "virt-2.0", "virt-2.1"}) {
    INFO(version);
    const bool sent = std::string(version) >= "virt-2.0";
    auto m = machine(version);
    const u64 untouched = m->digest();
    REQUIRE(m->bus().write_phys(kSource96, 4, 5));
    u64 back = 0;
    REQUIRE(m->bus().read_phys(kSource96, 4, back));
    CHECK(back == 5);  // the register keeps its value on every version: only the wire differs
    const MachineSection& plic = section(*m, "riscv_sifive_plic");
    CHECK(contains(saved(plic), "riscv_sifive_plic/source96") == sent);
    CHECK((plic.dump_vmstate_entry().dump().find("source96") != std::string::npos) == sent);
    CHECK((m->digest() != untouched) == sent);
  }
}

// XXH3-64 of the board's tree as the code before the table wrote it (every node by hand in
// device_tree.cpp): the table must give the guest the same bytes.
TEST_CASE("device tree: the bytes the board gave before it was a table") {
  struct Case {
    DeviceTreeParams params;
    u64 xxh3;
  };
  const Case cases[] = {
      {{128ull << 20, 1, "", 0, 0, 0x6c6f636b73746570}, 0xd924af4583a9a4d6},
      {{256ull << 20, 2, "console=ttyS0 quiet", 0x88000000, 0x88123456, 1}, 0x902b45efba314c4f},
      {{8ull << 30, 8, "", 0, 0, 0}, 0x38360183306d7c13},
  };
  for (const Case& c : cases) {
    auto tree = write_device_tree(c.params);
    REQUIRE(tree.ok());
    CHECK(XXH3_64bits(tree.value().data(), tree.value().size()) == c.xxh3);
  }
}
