// virtio-mmio with its blk, rng and net devices processing queues from a guest-memory image. The
// input: be16 image length, that many bytes copied to guest RAM at kImageBase (descriptor tables,
// rings, request headers, buffers, frames), then register accesses against the three occupied
// virtio slots in mmio_program.h's encoding. The NIC is on lockstep's echo host with no delay, so
// what the guest transmits (ARP, ping, UDP echo) is answered into its receive queue as soon as an
// access lets the machine run (mmio_program.h's advance). A value written to a queue address register (QueueDesc/Avail/Used low)
// is taken as an offset into the image unless its bit 63 is set, so rings land where the data is.
// After the last access the state must survive a save and a load (round_trip.h).
// fuzz-seeds: virtio
// fuzz-regressions: *.virtio
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "devices/virtio_mmio.h"
#include "fuzz/targets/support/mmio_program.h"
#include "fuzz/targets/support/round_trip.h"
#include "fuzz/targets/support/small_machine.h"

namespace {

using namespace lockstep;
using devices::VirtioMmio;

constexpr core::u64 kImageBase = 0x80001000;
constexpr std::size_t kMaxImage = 64 * 1024;
constexpr std::size_t kMaxSteps = 64;

bool is_queue_address(core::u64 offset) {
  return offset == VirtioMmio::kQueueDescLow || offset == VirtioMmio::kQueueAvailLow ||
         offset == VirtioMmio::kQueueUsedLow;
}

// The top three slots: slot 7 holds the first device (the disk), slot 6 the rng, slot 5 the NIC.
std::vector<fuzz::MmioWindow> occupied_slots() {
  const auto& all = fuzz::virt_mmio_windows();
  return {all[all.size() - 1], all[all.size() - 2], all[all.size() - 3]};
}

std::unique_ptr<machines::virt::VirtMachine> make_machine() {
  using machines::virt::VirtioDeviceConfig;
  machines::virt::VirtConfig c = fuzz::small_machine_config("virt");
  VirtioDeviceConfig nic{VirtioDeviceConfig::Kind::Net, {}, {}};
  nic.nic.netdev = "n0";
  nic.nic.echo = devices::NetEchoPeer::Options{};
  c.virtio.push_back(nic);
  auto m = machines::virt::VirtMachine::create(c, [](std::uint8_t) {});
  if (!m) {
    std::fprintf(stderr, "fuzz harness: cannot build the virtio machine: %s\n", m.error().message.c_str());
    std::abort();
  }
  return std::move(m.value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<fuzz::MmioWindow> slots = occupied_slots();
  if (size < 2) return 0;
  const std::span<const std::uint8_t> input(data, size);
  const std::size_t image = std::min<std::size_t>({std::size_t{data[0]} << 8 | data[1], size - 2, kMaxImage});
  auto m = make_machine();
  fuzz::park_harts(*m);
  m->bus().load_image(kImageBase, data + 2, image);
  for (std::size_t at = 2 + image, step = 0; at + fuzz::kMmioAccessBytes <= size && step < kMaxSteps;
       at += fuzz::kMmioAccessBytes, ++step) {
    fuzz::MmioAccess a = fuzz::decode_mmio_access(input.subspan(at, fuzz::kMmioAccessBytes), slots);
    if (a.write && is_queue_address(a.offset) && !(a.value >> 63)) a.value = kImageBase + a.value % kMaxImage;
    fuzz::perform_mmio_access(*m, a);
  }
  fuzz::require_round_trip(*m, "the last access");
  return 0;
}
