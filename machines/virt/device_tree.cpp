#include "machines/virt/device_tree.h"

#include <libfdt.h>

#include <fmt/format.h>

#include "machines/virt/memory_map.h"

namespace lockstep::machines::virt {
namespace {

constexpr int kBufferSize = 64 * 1024;

// Every libfdt call returns a negative error code on failure; collect the first one.
struct FdtWriter {
  std::vector<uint8_t> buf = std::vector<uint8_t>(kBufferSize);
  int err = 0;
  void* fdt() { return buf.data(); }
  void check(int rc) {
    if (rc < 0 && err == 0) err = rc;
  }
  void begin(const std::string& name) { check(fdt_begin_node(fdt(), name.c_str())); }
  void end() { check(fdt_end_node(fdt())); }
  void prop_u32(const char* name, uint32_t v) { check(fdt_property_u32(fdt(), name, v)); }
  void prop_str(const char* name, const std::string& v) { check(fdt_property_string(fdt(), name, v.c_str())); }
  void prop_empty(const char* name) { check(fdt_property(fdt(), name, nullptr, 0)); }
  void prop_cells(const char* name, std::initializer_list<uint32_t> cells) {
    std::vector<fdt32_t> be;
    for (uint32_t c : cells) be.push_back(cpu_to_fdt32(c));
    check(fdt_property(fdt(), name, be.data(), static_cast<int>(be.size() * sizeof(fdt32_t))));
  }
  // A list of strings ("a\0b\0").
  void prop_strings(const char* name, std::initializer_list<const char*> list) {
    std::string joined;
    for (const char* s : list) {
      joined += s;
      joined.push_back('\0');
    }
    check(fdt_property(fdt(), name, joined.data(), static_cast<int>(joined.size())));
  }
  void reg(core::u64 base, core::u64 size) {
    prop_cells("reg", {static_cast<uint32_t>(base >> 32), static_cast<uint32_t>(base), static_cast<uint32_t>(size >> 32),
                       static_cast<uint32_t>(size)});
  }
};

constexpr uint32_t kCpuIntcPhandleBase = 1;  // one interrupt controller per hart
constexpr uint32_t kTestPhandle = 0x20;

}  // namespace

core::u64 device_tree_address(core::u64 ram_base, core::u64 ram_size, core::u64 fdt_size) {
  constexpr core::u64 k3GiB = core::u64{3072} << 20, k2MiB = core::u64{2} << 20;
  const core::u64 end = ram_base + ram_size;
  const core::u64 top = ram_base < k3GiB ? std::min(end, k3GiB) : end;
  return (top - fdt_size) & ~(k2MiB - 1);
}

Result<std::vector<uint8_t>> build_device_tree(const DeviceTreeParams& p) {
  FdtWriter w;
  w.check(fdt_create(w.fdt(), kBufferSize));
  w.check(fdt_finish_reservemap(w.fdt()));
  w.begin("");
  w.prop_u32("#address-cells", 2);
  w.prop_u32("#size-cells", 2);
  w.prop_str("compatible", "riscv-virtio");
  w.prop_str("model", "riscv-virtio,qemu");

  w.begin("chosen");
  w.prop_str("stdout-path", fmt::format("/soc/serial@{:x}", map_row(Region::Uart0).base));
  if (!p.bootargs.empty()) w.prop_str("bootargs", p.bootargs);
  w.end();

  const MapRow& dram = map_row(Region::Dram);
  w.begin(fmt::format("memory@{:x}", dram.base));
  w.prop_str("device_type", "memory");
  w.reg(dram.base, p.ram_size);
  w.end();

  w.begin("cpus");
  w.prop_u32("#address-cells", 1);
  w.prop_u32("#size-cells", 0);
  w.prop_u32("timebase-frequency", static_cast<uint32_t>(kClintFrequency));
  for (unsigned k = 0; k < p.harts; ++k) {
    w.begin(fmt::format("cpu@{}", k));
    w.prop_u32("phandle", kCpuIntcPhandleBase + 2 * k + 1);
    w.prop_str("device_type", "cpu");
    w.prop_u32("reg", k);
    w.prop_str("status", "okay");
    w.prop_str("compatible", "riscv");
    w.prop_str("riscv,isa", "rv64imafdc_zicsr_zifencei");
    w.prop_str("mmu-type", "riscv,sv48");
    w.begin("interrupt-controller");
    w.prop_u32("#interrupt-cells", 1);
    w.prop_empty("interrupt-controller");
    w.prop_str("compatible", "riscv,cpu-intc");
    w.prop_u32("phandle", kCpuIntcPhandleBase + 2 * k);
    w.end();
    w.end();
  }
  w.begin("cpu-map");
  w.begin("cluster0");
  for (unsigned k = 0; k < p.harts; ++k) {
    w.begin(fmt::format("core{}", k));
    w.prop_u32("cpu", kCpuIntcPhandleBase + 2 * k + 1);
    w.end();
  }
  w.end();
  w.end();
  w.end();  // cpus

  w.begin("soc");
  w.prop_u32("#address-cells", 2);
  w.prop_u32("#size-cells", 2);
  w.prop_strings("compatible", {"simple-bus"});
  w.prop_empty("ranges");

  const MapRow& test = map_row(Region::Test);
  w.begin(fmt::format("test@{:x}", test.base));
  w.prop_u32("phandle", kTestPhandle);
  w.reg(test.base, test.size);
  w.prop_strings("compatible", {"sifive,test1", "sifive,test0", "syscon"});
  w.end();

  const MapRow& uart = map_row(Region::Uart0);
  w.begin(fmt::format("serial@{:x}", uart.base));
  w.prop_u32("clock-frequency", static_cast<uint32_t>(kUartClockFrequency));
  w.reg(uart.base, uart.size);
  w.prop_str("compatible", "ns16550a");
  w.end();

  const MapRow& clint = map_row(Region::Clint);
  w.begin(fmt::format("clint@{:x}", clint.base));
  std::vector<fdt32_t> ext;
  for (unsigned k = 0; k < p.harts; ++k) {
    for (uint32_t irq : {3u, 7u}) {  // M software, M timer
      ext.push_back(cpu_to_fdt32(kCpuIntcPhandleBase + 2 * k));
      ext.push_back(cpu_to_fdt32(irq));
    }
  }
  w.check(fdt_property(w.fdt(), "interrupts-extended", ext.data(), static_cast<int>(ext.size() * sizeof(fdt32_t))));
  w.reg(clint.base, clint.size);
  w.prop_strings("compatible", {"sifive,clint0", "riscv,clint0"});
  w.end();

  w.end();  // soc

  w.begin("poweroff");
  w.prop_u32("value", 0x5555);
  w.prop_u32("offset", 0);
  w.prop_u32("regmap", kTestPhandle);
  w.prop_str("compatible", "syscon-poweroff");
  w.end();
  w.begin("reboot");
  w.prop_u32("value", 0x7777);
  w.prop_u32("offset", 0);
  w.prop_u32("regmap", kTestPhandle);
  w.prop_str("compatible", "syscon-reboot");
  w.end();

  w.end();  // root
  w.check(fdt_finish(w.fdt()));
  w.check(fdt_pack(w.fdt()));
  if (w.err) return Error{fmt::format("device tree construction failed: {}", fdt_strerror(w.err))};
  w.buf.resize(fdt_totalsize(w.fdt()));
  return w.buf;
}

}  // namespace lockstep::machines::virt
