#include <doctest/doctest.h>
#include <libfdt.h>

#include <string>

#include "machines/virt/device_tree.h"
#include "machines/virt/qemu_seeded_random.h"

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

// -dtb: the file's tree as QEMU 7.2 edits it. The buffer is QEMU's (size + 10000) * 2 bytes, the
// header's totalsize the packed size; bootargs, rng-seed and one-cell initrd bounds are set.
TEST_CASE("a user's device tree is edited as QEMU 7.2 edits it") {
  auto board = build_device_tree({256u << 20, 1, "", 0, 0, 7});
  REQUIRE(board);
  const std::vector<uint8_t> seed(32, 0xa5);
  auto tree = user_device_tree(board.value(), "board.dtb", "console=ttyS0", seed, 0x88200000, 0x885d6400);
  REQUIRE(tree);
  CHECK(tree->size() == (board->size() + 10000) * 2);
  const void* fdt = tree->data();
  REQUIRE(fdt_check_header(fdt) == 0);
  CHECK(fdt_totalsize(fdt) < tree->size());
  CHECK(prop_string(fdt, "/chosen", "bootargs") == "console=ttyS0");
  const int chosen = fdt_path_offset(fdt, "/chosen");
  int len = 0;
  const auto* start = static_cast<const fdt32_t*>(fdt_getprop(fdt, chosen, "linux,initrd-start", &len));
  REQUIRE(start);
  CHECK(len == 4);
  CHECK(fdt32_to_cpu(*start) == 0x88200000u);
  const auto* rng = static_cast<const uint8_t*>(fdt_getprop(fdt, chosen, "rng-seed", &len));
  REQUIRE(rng);
  CHECK(std::vector<uint8_t>(rng, rng + len) == seed);

  // Without -append the file's bootargs stay; an initrd above 4 GiB cannot be written in one cell.
  auto kept = user_device_tree(tree.value(), "again.dtb", "", seed, 0, 0);
  REQUIRE(kept);
  CHECK(prop_string(kept->data(), "/chosen", "bootargs") == "console=ttyS0");
  CHECK_FALSE(user_device_tree(board.value(), "high.dtb", "", seed, 0x100000000ull, 0x100001000ull));
  CHECK_FALSE(user_device_tree({1, 2, 3}, "junk.dtb", "", seed, 0, 0));
}

// Measured on Debian's QEMU 7.2 with -seed 1 -M virt,dumpdtb=...: the tree's rng-seed before reset
// begins df 6a f1 d8 30 3e 61 cd (draws 3 and 4: the vCPU thread took two).
TEST_CASE("QEMU's -seed bytes") {
  CHECK(qemu_seeded_random_bytes(1, 2, 8) == std::vector<uint8_t>{0xdf, 0x6a, 0xf1, 0xd8, 0x30, 0x3e, 0x61, 0xcd});
  CHECK(qemu_seeded_random_bytes(1, 10, 4) == std::vector<uint8_t>{0xa3, 0xd8, 0x11, 0x73});  // the guest's, after reset
  CHECK(qemu_seeded_random_bytes(1, 2, 3).size() == 3);
}
