#include "fuzz/targets/support/mmio_program.h"

#include <fmt/format.h>

#include "machines/virt/memory_map.h"

namespace lockstep::fuzz {

namespace {

namespace virt = machines::virt;
using core::u64;

std::vector<u64> virtio_registers() {
  std::vector<u64> r;
  for (u64 off = 0; off < 0x100; off += 4) r.push_back(off);
  for (u64 off = 0x100; off < 0x110; ++off) r.push_back(off);  // the start of the configuration space
  return r;
}

u64 little_endian(std::span<const std::uint8_t> b) {
  u64 v = 0;
  for (std::size_t i = b.size(); i-- > 0;) v = v << 8 | b[i];
  return v;
}

}  // namespace

const std::vector<MmioWindow>& virt_mmio_windows() {
  static const std::vector<MmioWindow> windows = [] {
    const auto& clint = virt::map_row(virt::Region::Clint);
    std::vector<MmioWindow> w = {
        {"sifive_test", virt::map_row(virt::Region::Test).base, 0x1000, {0x0}},
        {"goldfish_rtc", virt::map_row(virt::Region::Rtc).base, 0x1000,
         {0x00, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c, 0x20}},
        {"aclint_mswi", clint.base, virt::kClintMtimerOffset, {0x0, 0x4}},
        {"aclint_mtimer", clint.base + virt::kClintMtimerOffset, clint.size - virt::kClintMtimerOffset,
         {0x0, 0x4, 0x7ff8, 0x7ffc}},
        {"plic", virt::map_row(virt::Region::Plic).base, virt::map_row(virt::Region::Plic).size,
         {0x04, 0x28, 0x2c, 0x40, 0x1000, 0x1004, 0x2000, 0x2004, 0x2080, 0x2084, 0x200000, 0x200004, 0x201000,
          0x201004}},
        {"uart0", virt::map_row(virt::Region::Uart0).base, virt::map_row(virt::Region::Uart0).size,
         {0, 1, 2, 3, 4, 5, 6, 7}},
    };
    const auto& virtio = virt::map_row(virt::Region::Virtio);
    for (unsigned slot = 0; slot < 8; ++slot)
      w.push_back({"virtio-mmio", virtio.base + slot * virtio.size, virtio.size, virtio_registers()});
    return w;
  }();
  return windows;
}

MmioAccess decode_mmio_access(std::span<const std::uint8_t> bytes, const std::vector<MmioWindow>& windows) {
  MmioAccess a;
  a.window = &windows[bytes[0] % windows.size()];
  const std::uint8_t control = bytes[1];
  a.size = 1u << (control & 3);
  a.write = control & 4;
  const u64 offset = little_endian(bytes.subspan(2, 2));
  a.offset = (control & 8) ? a.window->registers[offset % a.window->registers.size()] : offset % a.window->size;
  a.value = little_endian(bytes.subspan(4, 8));
  const unsigned k = control >> 4;
  a.advance = k ? u64{1} << (k - 1) : 0;
  return a;
}

void perform_mmio_access(machines::virt::VirtMachine& m, const MmioAccess& a) {
  const u64 pa = a.window->base + a.offset;
  if (a.write) {
    (void)m.bus().write_phys(pa, a.size, a.value);
  } else {
    u64 value = 0;
    (void)m.bus().read_phys(pa, a.size, value);
  }
  if (a.advance) (void)m.run(m.icount() + a.advance);
}

std::string MmioAccess::describe() const {
  return fmt::format("{} {} 0x{:x}+0x{:x} size {} value 0x{:x}, then {} instructions", write ? "write" : "read",
                     window->name, window->base, offset, size, value, advance);
}

}  // namespace lockstep::fuzz
