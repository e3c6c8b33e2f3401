#include "machines/virt/device_tree.h"

#include <libfdt.h>
#include <xxhash.h>

#include <algorithm>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "machines/virt/board_devices.h"
#include "machines/virt/fdt_writer.h"
#include "machines/virt/memory_map.h"

namespace lockstep::machines::virt {
namespace {

constexpr int kBufferSize = FdtWriter::kBufferSize;

// QEMU's PMU event map for the virt board (riscv,event-to-mhpmcounters), which OpenSBI reads.
const std::vector<uint32_t> kPmuEvents = {0x01,    0x01,    0x7fff9, 0x02,    0x02, 0x7fffc, 0x10019,
                                          0x10019, 0x7fff8, 0x1001b, 0x1001b, 0x7fff8, 0x10021, 0x10021,
                                          0x7fff8, 0x00,    0x00,    0x00,    0x00, 0x00};

}  // namespace

core::u64 device_tree_address(core::u64 ram_base, core::u64 ram_size, core::u64 fdt_size) {
  constexpr core::u64 k3GiB = core::u64{3072} << 20, k2MiB = core::u64{2} << 20;
  const core::u64 end = ram_base + ram_size;
  const core::u64 top = ram_base < k3GiB ? std::min(end, k3GiB) : end;
  return (top - fdt_size) & ~(k2MiB - 1);
}

// The tree is a function of its parameters, and libfdt's writer spends most of a machine's creation
// time finding duplicate property names: the fuzzers and tests create thousands of identical
// machines, so the last tree built is kept (per thread, so no lock and no sharing).
Result<std::vector<uint8_t>> build_device_tree(const DeviceTreeParams& p) {
  thread_local std::optional<std::pair<DeviceTreeParams, std::vector<uint8_t>>> last;
  if (last && last->first == p) return last->second;
  Result<std::vector<uint8_t>> tree = write_device_tree(p);
  if (tree) last.emplace(p, tree.value());
  return tree;
}

// Nodes are written in the order QEMU's tree lists them (shared/reference/).
Result<std::vector<uint8_t>> write_device_tree(const DeviceTreeParams& p) {
  const unsigned n = p.harts;
  FdtWriter w;
  w.check(fdt_create(w.fdt(), kBufferSize));
  w.check(fdt_finish_reservemap(w.fdt()));
  w.begin("");
  w.u32("#address-cells", 2);
  w.u32("#size-cells", 2);
  w.str("compatible", "riscv-virtio");
  w.str("model", "riscv-virtio,qemu");

  w.begin("pmu");
  w.cells("riscv,event-to-mhpmcounters", kPmuEvents);
  w.str("compatible", "riscv,pmu");
  w.end();

  w.begin("chosen");
  std::vector<uint32_t> seed(8);
  for (unsigned k = 0; k < 8; ++k) {
    const core::u64 input[2] = {p.seed, k};
    seed[k] = static_cast<uint32_t>(XXH3_64bits(input, sizeof input));
  }
  w.cells("rng-seed", seed);
  if (p.initrd_end > p.initrd_start) {
    w.cells("linux,initrd-end", {static_cast<uint32_t>(p.initrd_end >> 32), static_cast<uint32_t>(p.initrd_end)});
    w.cells("linux,initrd-start", {static_cast<uint32_t>(p.initrd_start >> 32), static_cast<uint32_t>(p.initrd_start)});
  }
  if (!p.bootargs.empty()) w.str("bootargs", p.bootargs);
  w.str("stdout-path", fmt::format("/soc/serial@{:x}", map_row(Region::Uart0).base));
  w.end();

  for (auto [node, value] : {std::pair{"poweroff", 0x5555u}, std::pair{"reboot", 0x7777u}}) {
    w.begin(node);
    w.u32("value", value);
    w.u32("offset", 0);
    w.u32("regmap", test_phandle(n));
    w.str("compatible", fmt::format("syscon-{}", node));
    w.end();
  }

  const MapRow& dram = map_row(Region::Dram);
  w.begin(fmt::format("memory@{:x}", dram.base));
  w.str("device_type", "memory");
  w.reg(dram.base, p.ram_size);
  w.end();

  w.begin("cpus");
  w.u32("#address-cells", 1);
  w.u32("#size-cells", 0);
  w.u32("timebase-frequency", static_cast<uint32_t>(kClintFrequency));
  for (unsigned k = 0; k < n; ++k) {
    w.begin(fmt::format("cpu@{}", k));
    w.u32("phandle", cpu_phandle(k, n));
    w.str("device_type", "cpu");
    w.u32("reg", k);
    w.str("status", "okay");
    w.str("compatible", "riscv");
    w.str("riscv,isa", "rv64imafdc_zicsr_zifencei");
    w.str("mmu-type", "riscv,sv48");
    w.begin("interrupt-controller");
    w.u32("#interrupt-cells", 1);
    w.empty("interrupt-controller");
    w.str("compatible", "riscv,cpu-intc");
    w.u32("phandle", intc_phandle(k, n));
    w.end();
    w.end();
  }
  w.begin("cpu-map");
  w.begin("cluster0");
  for (unsigned k = 0; k < n; ++k) {
    w.begin(fmt::format("core{}", k));
    w.u32("cpu", cpu_phandle(k, n));
    w.end();
  }
  w.end();
  w.end();
  w.end();  // cpus

  w.begin("soc");
  w.u32("#address-cells", 2);
  w.u32("#size-cells", 2);
  w.str("compatible", "simple-bus");
  w.empty("ranges");

  // The board's devices, each row writing its own node(s), in QEMU 7.2's order.
  write_board_device_nodes(w, FdtContext{n});

  w.end();  // soc
  w.end();  // root
  w.check(fdt_finish(w.fdt()));
  w.check(fdt_pack(w.fdt()));
  if (w.err) return Error{fmt::format("device tree construction failed: {}", fdt_strerror(w.err))};
  w.buf.resize(fdt_totalsize(w.fdt()));
  return w.buf;
}

Result<std::vector<uint8_t>> user_device_tree(const std::vector<uint8_t>& text, const std::string& name,
                                              const std::string& bootargs, const std::vector<uint8_t>& rng_seed,
                                              core::u64 initrd_start, core::u64 initrd_end) {
  if (text.size() > kMaxUserDeviceTree) return Error{fmt::format("-dtb '{}': device tree file is too large", name)};
  std::vector<uint8_t> buf((text.size() + 10000) * 2);
  std::copy(text.begin(), text.end(), buf.begin());
  void* fdt = buf.data();
  const int size = static_cast<int>(buf.size());
  if (text.size() < sizeof(fdt_header) || fdt_check_header(fdt) != 0 || fdt_totalsize(fdt) > text.size() ||
      fdt_open_into(fdt, fdt, size) != 0 || fdt_check_header(fdt) != 0) {
    return Error{fmt::format("-dtb '{}': not a valid flattened device tree", name)};
  }
  auto set = [&](const char* prop, const void* value, int len) -> Status {
    const int chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen < 0) return Error{fmt::format("-dtb '{}': Couldn't find node /chosen: {}", name, fdt_strerror(chosen))};
    if (int rc = fdt_setprop(fdt, chosen, prop, value, len); rc < 0)
      return Error{fmt::format("-dtb '{}': Couldn't set /chosen/{}: {}", name, prop, fdt_strerror(rc))};
    return Ok{};
  };
  if (!bootargs.empty()) LS_TRY(set("bootargs", bootargs.c_str(), static_cast<int>(bootargs.size() + 1)));
  LS_TRY(set("rng-seed", rng_seed.data(), static_cast<int>(rng_seed.size())));
  if (initrd_end > initrd_start) {
    // QEMU 7.2 writes one cell each (qemu_fdt_setprop_cell): an address above 4 GiB would be cut.
    if (initrd_end > 0xffffffffu)
      return Error{fmt::format("-dtb '{}': the initrd ends above 4 GiB, which 32-bit cells cannot hold", name)};
    const fdt32_t start = cpu_to_fdt32(static_cast<uint32_t>(initrd_start));
    const fdt32_t end = cpu_to_fdt32(static_cast<uint32_t>(initrd_end));
    LS_TRY(set("linux,initrd-start", &start, sizeof start));
    LS_TRY(set("linux,initrd-end", &end, sizeof end));
  }
  if (int rc = fdt_pack(fdt); rc < 0) return Error{fmt::format("-dtb '{}': {}", name, fdt_strerror(rc))};
  return buf;
}

}  // namespace lockstep::machines::virt
