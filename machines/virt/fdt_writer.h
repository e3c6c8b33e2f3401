#pragma once
// The libfdt sequential writer the board's device tree is built with (device_tree.cpp writes the
// tree's frame, each board device row its own node: board_devices.cpp), and the phandles as QEMU
// 7.2 numbers them. Everything here is a function of its arguments, so the tree is too.
#include <libfdt.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/types.h"

namespace lockstep::machines::virt {

// Every libfdt call returns a negative error code on failure; keep the first one.
struct FdtWriter {
  static constexpr int kBufferSize = 64 * 1024;
  std::vector<uint8_t> buf = std::vector<uint8_t>(kBufferSize);
  int err = 0;
  void* fdt() { return buf.data(); }
  void check(int rc) {
    if (rc < 0 && err == 0) err = rc;
  }
  void begin(const std::string& name) { check(fdt_begin_node(fdt(), name.c_str())); }
  void end() { check(fdt_end_node(fdt())); }
  void u32(const char* name, uint32_t v) { check(fdt_property_u32(fdt(), name, v)); }
  void str(const char* name, const std::string& v) { check(fdt_property_string(fdt(), name, v.c_str())); }
  void empty(const char* name) { check(fdt_property(fdt(), name, nullptr, 0)); }
  void cells(const char* name, const std::vector<uint32_t>& values) {
    std::vector<fdt32_t> be;
    for (uint32_t c : values) be.push_back(cpu_to_fdt32(c));
    check(fdt_property(fdt(), name, be.data(), static_cast<int>(be.size() * sizeof(fdt32_t))));
  }
  void strings(const char* name, std::initializer_list<const char*> list) {
    std::string joined;
    for (const char* s : list) {
      joined += s;
      joined.push_back('\0');
    }
    check(fdt_property(fdt(), name, joined.data(), static_cast<int>(joined.size())));
  }
  void reg(core::u64 base, core::u64 size) {
    cells("reg", {static_cast<uint32_t>(base >> 32), static_cast<uint32_t>(base), static_cast<uint32_t>(size >> 32),
                  static_cast<uint32_t>(size)});
  }
};

// Phandles as QEMU 7.2 numbers them: harts from the highest down (cpu, then its
// interrupt controller), then the PLIC, then the test device.
constexpr uint32_t cpu_phandle(unsigned hart, unsigned harts) { return 2 * (harts - 1 - hart) + 1; }
constexpr uint32_t intc_phandle(unsigned hart, unsigned harts) { return cpu_phandle(hart, harts) + 1; }
constexpr uint32_t plic_phandle(unsigned harts) { return 2 * harts + 1; }
constexpr uint32_t test_phandle(unsigned harts) { return 2 * harts + 2; }

}  // namespace lockstep::machines::virt
