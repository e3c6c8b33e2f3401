#include <doctest/doctest.h>
#include <libfdt.h>

#include <string>

#include "machines/virt/device_tree.h"

using namespace lockstep::machines::virt;

namespace {

std::string prop_string(const void* fdt, const char* path, const char* name) {
  const int node = fdt_path_offset(fdt, path);
  if (node < 0) return "<no node>";
  int len = 0;
  const void* p = fdt_getprop(fdt, node, name, &len);
  return p ? std::string(static_cast<const char*>(p), len > 0 ? len - 1 : 0) : "<no property>";
}

uint64_t prop_u64(const void* fdt, const char* path, const char* name) {
  const int node = fdt_path_offset(fdt, path);
  int len = 0;
  const auto* p = static_cast<const fdt32_t*>(fdt_getprop(fdt, node, name, &len));
  REQUIRE(p);
  REQUIRE(len == 8);
  return (uint64_t{fdt32_to_cpu(p[0])} << 32) | fdt32_to_cpu(p[1]);
}

}  // namespace

TEST_CASE("the tree has the nodes QEMU's virt tree has, at QEMU's addresses") {
  auto tree = build_device_tree(DeviceTreeParams{256ull << 20, 2, "", 0, 0, 1});
  REQUIRE(tree.ok());
  const void* fdt = tree->data();
  REQUIRE(fdt_check_header(fdt) == 0);
  for (const char* path : {"/chosen", "/memory@80000000", "/cpus/cpu@0", "/cpus/cpu@1", "/cpus/cpu@0/interrupt-controller",
                           "/cpus/cpu-map/cluster0/core1", "/soc/clint@2000000", "/soc/plic@c000000",
                           "/soc/serial@10000000", "/soc/rtc@101000", "/soc/test@100000", "/soc/virtio_mmio@10001000",
                           "/soc/virtio_mmio@10008000", "/poweroff", "/reboot", "/pmu"}) {
    INFO(path);
    CHECK(fdt_path_offset(fdt, path) >= 0);
  }
  CHECK(prop_string(fdt, "/chosen", "stdout-path") == "/soc/serial@10000000");
  CHECK(prop_string(fdt, "/cpus/cpu@0", "riscv,isa") == "rv64imafdc_zicsr_zifencei");
  CHECK(prop_string(fdt, "/cpus/cpu@0", "mmu-type") == "riscv,sv48");
  // QEMU numbers phandles from the highest hart down: cpu@1 = 1, its controller 2, cpu@0 = 3, ...
  CHECK(fdt_get_phandle(fdt, fdt_path_offset(fdt, "/cpus/cpu@1")) == 1);
  CHECK(fdt_get_phandle(fdt, fdt_path_offset(fdt, "/cpus/cpu@0/interrupt-controller")) == 4);
  CHECK(fdt_get_phandle(fdt, fdt_path_offset(fdt, "/soc/plic@c000000")) == 5);
  CHECK(fdt_get_phandle(fdt, fdt_path_offset(fdt, "/soc/test@100000")) == 6);
  CHECK(fdt_path_offset(fdt, "/cpus/cpu@2") < 0);
  CHECK(fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "bootargs", nullptr) == nullptr);
}

TEST_CASE("-append and -initrd reach /chosen") {
  auto tree = build_device_tree(DeviceTreeParams{128ull << 20, 1, "console=ttyS0 quiet", 0x88000000, 0x88123456, 1});
  REQUIRE(tree.ok());
  const void* fdt = tree->data();
  CHECK(prop_string(fdt, "/chosen", "bootargs") == "console=ttyS0 quiet");
  CHECK(prop_u64(fdt, "/chosen", "linux,initrd-start") == 0x88000000);
  CHECK(prop_u64(fdt, "/chosen", "linux,initrd-end") == 0x88123456);
}

TEST_CASE("rng-seed derives from the machine seed alone") {
  auto a = build_device_tree(DeviceTreeParams{256ull << 20, 1, "", 0, 0, 42});
  auto b = build_device_tree(DeviceTreeParams{256ull << 20, 1, "", 0, 0, 42});
  auto c = build_device_tree(DeviceTreeParams{256ull << 20, 1, "", 0, 0, 43});
  REQUIRE((a.ok() && b.ok() && c.ok()));
  CHECK(a.value() == b.value());
  CHECK(a.value() != c.value());
}

TEST_CASE("placed where QEMU places it") {
  CHECK(device_tree_address(0x80000000, 256ull << 20, 0x1000) == 0x8fe00000);
  CHECK(device_tree_address(0x80000000, 128ull << 20, 0x1000) == 0x87e00000);
  CHECK(device_tree_address(0x80000000, 8ull << 30, 0x1000) == 0xbfe00000);  // below 3 GiB
}
