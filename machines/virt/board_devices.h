#pragma once
// The virt board as one table (board_devices.cpp, kBoardDevices): a row per device says how it is
// built, where it sits (a memory_map.h region and its window there), its PLIC source, the
// device-tree node it writes, the snapshot section it is (idstr, instance, QEMU type name,
// description, wire options from the machine version's Compat), and, from its C++ type, how the
// board resets it and bounds runs by its timer deadline. The board builds, maps, resets, runs and
// saves by walking the table; nothing else lists the devices. The virtio devices behind the
// virtio-mmio slots are the second, smaller table (virtio_kinds.h).
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/address_space.h"
#include "core/hart.h"
#include "core/result.h"
#include "core/virtual_clock.h"
#include "devices/irq_line.h"
#include "devices/sifive_test.h"
#include "devices/virtio_queue.h"
#include "machines/virt/fdt_writer.h"
#include "machines/virt/machine_section.h"
#include "machines/virt/machine_versions.h"
#include "machines/virt/memory_map.h"

namespace lockstep::machines::virt {

struct VirtConfig;

// What rows build their devices from: the parts of the board that exist before any device.
struct BoardContext {
  const VirtConfig& config;
  core::AddressSpace& bus;
  core::VirtualClock& clock;
  std::vector<core::Hart*> harts;
  devices::PowerRequest& power;
  std::function<void(uint8_t)> console;  // what the UART transmits
  // The devices behind virtio-mmio slot k (null: an empty slot), already built from the kind table.
  std::span<devices::VirtioDevice* const> virtio_slots;
  // The interrupt controller: set by the build once the row whose device is an IrqSink is built;
  // rows with an IRQ must come after it in the table (the build refuses otherwise).
  devices::IrqSink* irqchip = nullptr;
};

// Identifies a C++ type without RTTI: the address of one variable per type (compared, never stored
// in guest state or a stream).
template <class T>
inline constexpr char kTypeTag = 0;

// A built device, its type erased; only the hooks of the row that built it touch it.
struct DeviceObject {
  std::shared_ptr<void> object;
  const void* type = nullptr;  // &kTypeTag<T>: the build checks it is the row's type
};

template <class T, class... Args>
DeviceObject make_device(Args&&... args) {
  return DeviceObject{std::make_shared<T>(std::forward<Args>(args)...), &kTypeTag<T>};
}

struct DeviceRow;

// What a device-tree node is written with.
struct FdtContext {
  unsigned harts = 1;
};

struct DeviceRow {
  std::string_view name;  // bus region name ("uart0"); a repeated row appends the instance ("virtio3")
  const void* type = nullptr;  // filled by device_row<T>
  Region region = Region::Mrom;  // memory_map.h: where it sits
  core::u64 offset = 0;  // its window inside the region
  core::u64 size = 0;    // 0: the region's size
  unsigned count = 1;    // instances: instance k at the region's base + k * the region's size
  unsigned irq = 0;      // PLIC source of instance 0 (instance k: irq + k); 0: no interrupt
  // Builds instance k (the device's IRQ line is devices::IrqLine{ctx.irqchip, irq}).
  DeviceObject (*make)(const BoardContext& ctx, unsigned irq, unsigned instance) = nullptr;

  // Snapshot section identity; idstr empty: the device has no migratable state.
  struct Section {
    std::string_view idstr;      // QEMU's vmstate idstr ("serial"); instance k is instance id k
    std::string_view type_name;  // QEMU's -dump-vmstate key ("serial-mm")
    // device_section<T, &description> behind a type-erased pointer (section_of<T, &description>).
    std::unique_ptr<MachineSection> (*make)(void* device, std::string idstr, std::uint32_t instance,
                                            std::string type_name, WireOptions wire) = nullptr;
    // The machine version's wire options for this section (null: the description's own version,
    // every subsection sendable).
    WireOptions (*wire)(const Compat& compat) = nullptr;
  } section{};

  // Device-tree node(s) under /soc, written in ascending fdt_order (QEMU 7.2's order); null: none.
  void (*fdt)(FdtWriter& w, const FdtContext& ctx, const DeviceRow& row) = nullptr;
  int fdt_order = 0;

  // From the device's type (device_row<T> fills them): the MMIO handler, QEMU's system reset, and
  // the timer deadline that bounds how far the harts run before fire_due() (null: none).
  core::MmioDevice* (*mmio)(void* device) = nullptr;
  devices::IrqSink* (*irq_sink)(void* device) = nullptr;
  void (*reset)(void* device) = nullptr;
  core::u64 (*next_deadline_ns)(const void* device) = nullptr;
  void (*fire_due)(void* device) = nullptr;

  // Instance k's guest-physical window and interrupt.
  core::u64 base(unsigned k = 0) const { return map_row(region).base + offset + k * map_row(region).size; }
  core::u64 window_size() const { return size ? size : map_row(region).size; }
  unsigned irq_of(unsigned k = 0) const { return irq ? irq + k : 0; }
};

// The hooks a type has, found from its members: reset() is QEMU's system reset; a device with
// next_deadline_ns() and fire_due() owns a timer on the virtual clock.
template <class T>
constexpr DeviceRow device_row(DeviceRow row) {
  row.type = &kTypeTag<T>;
  if constexpr (std::derived_from<T, core::MmioDevice>)
    row.mmio = [](void* d) -> core::MmioDevice* { return static_cast<T*>(d); };
  if constexpr (std::derived_from<T, devices::IrqSink>)
    row.irq_sink = [](void* d) -> devices::IrqSink* { return static_cast<T*>(d); };
  if constexpr (requires(T& t) { t.reset(); }) row.reset = [](void* d) { static_cast<T*>(d)->reset(); };
  if constexpr (requires(const T& t) {
                  { t.next_deadline_ns() } -> std::convertible_to<core::u64>;
                }) {
    row.next_deadline_ns = [](const void* d) -> core::u64 { return static_cast<const T*>(d)->next_deadline_ns(); };
    row.fire_due = [](void* d) { static_cast<T*>(d)->fire_due(); };
  }
  return row;
}

// A row's section maker for device type T described by Description (devices/<x>_vmstate.h).
template <class T, auto Description>
std::unique_ptr<MachineSection> section_of(void* device, std::string idstr, std::uint32_t instance,
                                           std::string type_name, WireOptions wire) {
  return device_section<T, Description>(*static_cast<T*>(device), std::move(idstr), instance, std::move(type_name),
                                        std::move(wire));
}

// The table, in the order devices are built and mapped, their sections written to a stream, their
// reset hooks and timers run.
std::span<const DeviceRow> board_device_rows();
// How many virtio-mmio slots the table has (how many virtio devices fit).
unsigned virtio_slot_count();

// One built instance of a row.
struct BoardDevice {
  const DeviceRow* row = nullptr;
  unsigned instance = 0;
  DeviceObject device;
  void* get() const { return device.object.get(); }
};

// The board's devices, built from the table.
class BoardDevices {
 public:
  // Builds every row's instances in table order and maps them on ctx.bus. Sets ctx.irqchip.
  Status build(BoardContext& ctx);
  // QEMU's system reset of every device that has one, in table order.
  void reset();
  // The earliest timer deadline of any device (virtual ns), ~0 if none.
  core::u64 next_deadline_ns() const;
  // Runs every device timer whose deadline has passed, in table order.
  void fire_due();
  // Appends each migratable device's section, in table order, with the machine version's wire options.
  void add_sections(std::vector<std::unique_ptr<MachineSection>>& out, const Compat& compat) const;

  // The device of type T (instance k of the one row that builds T); null if there is none.
  template <class T>
  T* find(unsigned instance = 0) const {
    for (const BoardDevice& d : devices_)
      if (d.row->type == &kTypeTag<T> && d.instance == instance) return static_cast<T*>(d.get());
    return nullptr;
  }
  const std::vector<BoardDevice>& devices() const { return devices_; }

 private:
  std::vector<BoardDevice> devices_;
};

// The /soc nodes of every row, in the tree's order (device_tree.cpp calls this between the soc
// node's properties and its end).
void write_board_device_nodes(FdtWriter& w, const FdtContext& ctx);

}  // namespace lockstep::machines::virt
