#include "machines/virt/board_devices.h"

#include <algorithm>

#include <fmt/format.h>

#include "devices/aclint.h"
#include "devices/aclint_mtimer_vmstate.h"
#include "devices/goldfish_rtc.h"
#include "devices/goldfish_rtc_vmstate.h"
#include "devices/plic.h"
#include "devices/plic_vmstate.h"
#include "devices/uart16550.h"
#include "devices/uart16550_vmstate.h"
#include "devices/virtio_mmio.h"
#include "devices/virtio_mmio_vmstate.h"
#include "machines/virt/virt_machine.h"

namespace lockstep::machines::virt {
namespace {

using core::u64;

// ---- Device-tree nodes, each as QEMU 7.2's create_fdt_* writes it (shared/reference/).

// A device with one PLIC interrupt (rtc, serial).
void irq_device_node(FdtWriter& w, const FdtContext& c, const DeviceRow& row, const char* node,
                     std::initializer_list<const char*> compatible, uint32_t clock_frequency = 0) {
  w.begin(fmt::format("{}@{:x}", node, row.base()));
  w.u32("interrupts", row.irq_of());
  w.u32("interrupt-parent", plic_phandle(c.harts));
  if (clock_frequency) w.u32("clock-frequency", clock_frequency);
  w.reg(row.base(), row.window_size());
  w.strings("compatible", compatible);
  w.end();
}

void rtc_node(FdtWriter& w, const FdtContext& c, const DeviceRow& row) {
  irq_device_node(w, c, row, "rtc", {"google,goldfish-rtc"});
}

void serial_node(FdtWriter& w, const FdtContext& c, const DeviceRow& row) {
  irq_device_node(w, c, row, "serial", {"ns16550a"}, static_cast<uint32_t>(kUartClockFrequency));
}

void test_node(FdtWriter& w, const FdtContext& c, const DeviceRow& row) {
  w.begin(fmt::format("test@{:x}", row.base()));
  w.u32("phandle", test_phandle(c.harts));
  w.reg(row.base(), row.window_size());
  w.strings("compatible", {"sifive,test1", "sifive,test0", "syscon"});
  w.end();
}

// QEMU lists the slots from the top down.
void virtio_mmio_nodes(FdtWriter& w, const FdtContext& c, const DeviceRow& row) {
  for (unsigned slot = row.count; slot-- > 0;) {
    w.begin(fmt::format("virtio_mmio@{:x}", row.base(slot)));
    w.u32("interrupts", row.irq_of(slot));
    w.u32("interrupt-parent", plic_phandle(c.harts));
    w.reg(row.base(slot), row.window_size());
    w.str("compatible", "virtio,mmio");
    w.end();
  }
}

void plic_node(FdtWriter& w, const FdtContext& c, const DeviceRow& row) {
  const unsigned n = c.harts;
  w.begin(fmt::format("plic@{:x}", row.base()));
  w.u32("phandle", plic_phandle(n));
  w.u32("riscv,ndev", devices::Plic::kNumSources);
  w.reg(row.base(), row.window_size());
  std::vector<uint32_t> ext;
  for (unsigned k = 0; k < n; ++k)  // M and S external
    ext.insert(ext.end(), {intc_phandle(k, n), 11, intc_phandle(k, n), 9});
  w.cells("interrupts-extended", ext);
  w.empty("interrupt-controller");
  w.strings("compatible", {"sifive,plic-1.0.0", "riscv,plic0"});
  w.u32("#address-cells", 0);
  w.u32("#interrupt-cells", 1);
  w.end();
}

// One node for the whole CLINT region (mswi and mtimer are two devices in it, as on QEMU).
void clint_node(FdtWriter& w, const FdtContext& c, const DeviceRow& row) {
  const unsigned n = c.harts;
  const MapRow& clint = map_row(row.region);
  w.begin(fmt::format("clint@{:x}", clint.base));
  std::vector<uint32_t> ext;
  for (unsigned k = 0; k < n; ++k)  // M soft, M timer
    ext.insert(ext.end(), {intc_phandle(k, n), 3, intc_phandle(k, n), 7});
  w.cells("interrupts-extended", ext);
  w.reg(clint.base, clint.size);
  w.strings("compatible", {"sifive,clint0", "riscv,clint0"});
  w.end();
}

devices::IrqLine irq_line(const BoardContext& b, unsigned irq) { return devices::IrqLine{b.irqchip, irq}; }

// ---- The board. Table order is build order (the PLIC before any device with an IRQ), bus order,
// stream order of the sections (QEMU's registration order on this board), reset and timer order.
// fdt_order is the order of the /soc nodes in QEMU 7.2's tree.
constexpr unsigned kVirtioSlots = 8;  // slot k at 0x10001000 + k * 0x1000, IRQ 1 + k

constexpr DeviceRow kBoardDevices[] = {
    device_row<devices::AclintMswi>({
        .name = "clint.mswi",
        .region = Region::Clint,
        .size = kClintMtimerOffset,
        .make = [](const BoardContext& b, unsigned, unsigned) { return make_device<devices::AclintMswi>(b.harts); },
        .fdt = clint_node,
        .fdt_order = 5,
    }),
    device_row<devices::AclintMtimer>({
        .name = "clint.mtimer",
        .region = Region::Clint,
        .offset = kClintMtimerOffset,
        .size = kClintMtimerSize,
        .make = [](const BoardContext& b, unsigned, unsigned) {
          return make_device<devices::AclintMtimer>(b.harts, b.clock, kClintFrequency);
        },
        .section = {.idstr = "riscv_mtimer",
                    .type_name = "riscv.aclint.mtimer",
                    .make = section_of<devices::AclintMtimer, &devices::aclint_mtimer_vmstate>},
    }),
    device_row<devices::Plic>({
        .name = "plic",
        .region = Region::Plic,
        .make = [](const BoardContext& b, unsigned, unsigned) { return make_device<devices::Plic>(b.harts); },
        .section = {.idstr = "riscv_sifive_plic",
                    .type_name = "riscv.sifive.plic",
                    .make = section_of<devices::Plic, &devices::plic_vmstate>,
                    .wire = [](const Compat& c) {
                      WireOptions o;
                      if (!c.plic_source96) o.withheld_subsections.push_back(devices::kPlicSource96Subsection);
                      return o;
                    }},
        .fdt = plic_node,
        .fdt_order = 4,
    }),
    device_row<devices::Uart16550>({
        .name = "uart0",
        .region = Region::Uart0,
        .irq = kUart0Irq,
        .make = [](const BoardContext& b, unsigned irq, unsigned) {
          return make_device<devices::Uart16550>(b.console, &b.clock, irq_line(b, irq));
        },
        .section = {.idstr = "serial",
                    .type_name = "serial-mm",
                    .make = section_of<devices::Uart16550, &devices::uart16550_vmstate>,
                    .wire = [](const Compat& c) {
                      WireOptions o;
                      o.version = c.serial_version;
                      return o;
                    }},
        .fdt = serial_node,
        .fdt_order = 1,
    }),
    device_row<devices::GoldfishRtc>({
        .name = "rtc",
        .region = Region::Rtc,
        .irq = kRtcIrq,
        .make = [](const BoardContext& b, unsigned irq, unsigned) {
          return make_device<devices::GoldfishRtc>(b.clock, b.config.rtc_base_ns, irq_line(b, irq));
        },
        .section = {.idstr = "goldfish_rtc",
                    .type_name = "goldfish_rtc",
                    .make = section_of<devices::GoldfishRtc, &devices::goldfish_rtc_vmstate>},
        .fdt = rtc_node,
        .fdt_order = 0,
    }),
    device_row<devices::SifiveTest>({
        .name = "test",
        .region = Region::Test,
        .make = [](const BoardContext& b, unsigned, unsigned) { return make_device<devices::SifiveTest>(b.power); },
        .fdt = test_node,
        .fdt_order = 2,
    }),
    // Devices fill the slots from the top (the first at 0x10008000, IRQ 8), as QEMU does; an empty
    // slot answers with device ID 0.
    device_row<devices::VirtioMmio>({
        .name = "virtio",
        .region = Region::Virtio,
        .count = kVirtioSlots,
        .irq = kVirtioIrqBase,
        .make = [](const BoardContext& b, unsigned irq, unsigned slot) {
          return make_device<devices::VirtioMmio>(b.bus, irq_line(b, irq), b.virtio_slots[slot]);
        },
        .section = {.idstr = "virtio-mmio",
                    .type_name = "virtio-mmio",
                    .make = section_of<devices::VirtioMmio, &devices::virtio_mmio_vmstate>},
        .fdt = virtio_mmio_nodes,
        .fdt_order = 3,
    }),
};

}  // namespace

std::span<const DeviceRow> board_device_rows() { return kBoardDevices; }

unsigned virtio_slot_count() {
  for (const DeviceRow& row : kBoardDevices)
    if (row.type == &kTypeTag<devices::VirtioMmio>) return row.count;
  return 0;
}

Status BoardDevices::build(BoardContext& ctx) {
  devices_.clear();
  for (const DeviceRow& row : kBoardDevices) {
    if (row.irq && !ctx.irqchip)
      return Error{fmt::format("board table: '{}' has an IRQ but no interrupt controller comes before it", row.name)};
    for (unsigned k = 0; k < row.count; ++k) {
      DeviceObject dev = row.make(ctx, row.irq_of(k), k);
      if (!dev.object || dev.type != row.type)
        return Error{fmt::format("board table: '{}' built no device or one of another type than its row's", row.name)};
      if (row.mmio) {
        std::string name = row.count > 1 ? fmt::format("{}{}", row.name, k) : std::string(row.name);
        ctx.bus.add_mmio(std::move(name), row.base(k), row.window_size(), row.mmio(dev.object.get()));
      }
      if (row.irq_sink && !ctx.irqchip) ctx.irqchip = row.irq_sink(dev.object.get());
      devices_.push_back(BoardDevice{&row, k, std::move(dev)});
    }
  }
  return Ok{};
}

void BoardDevices::reset() {
  for (const BoardDevice& d : devices_)
    if (d.row->reset) d.row->reset(d.get());
}

u64 BoardDevices::next_deadline_ns() const {
  u64 next = ~u64{0};
  for (const BoardDevice& d : devices_)
    if (d.row->next_deadline_ns) next = std::min(next, d.row->next_deadline_ns(d.get()));
  return next;
}

void BoardDevices::fire_due() {
  for (const BoardDevice& d : devices_)
    if (d.row->fire_due) d.row->fire_due(d.get());
}

void BoardDevices::add_sections(std::vector<std::unique_ptr<MachineSection>>& out, const Compat& compat) const {
  for (const BoardDevice& d : devices_) {
    const DeviceRow::Section& s = d.row->section;
    if (s.idstr.empty()) continue;
    out.push_back(s.make(d.get(), std::string(s.idstr), d.instance, std::string(s.type_name),
                         s.wire ? s.wire(compat) : WireOptions{}));
  }
}

void write_board_device_nodes(FdtWriter& w, const FdtContext& ctx) {
  std::vector<const DeviceRow*> rows;
  for (const DeviceRow& row : kBoardDevices)
    if (row.fdt) rows.push_back(&row);
  std::stable_sort(rows.begin(), rows.end(),
                   [](const DeviceRow* a, const DeviceRow* b) { return a->fdt_order < b->fdt_order; });
  for (const DeviceRow* row : rows) row->fdt(w, ctx, *row);
}

}  // namespace lockstep::machines::virt
