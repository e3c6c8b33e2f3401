// Section "virtio-net" v1 (lockstep layout with QEMU 7.2's names, in the order of
// hw/net/virtio-net.c's vmstate_virtio_net_device; see devices/README.md for why the virtio
// sections are not QEMU's wire format).
//
// Member coverage (VirtioNet::State):
//   mac                                  "mac" (uint8 array)
//   status                               "status"
//   promisc allmulti                     "promisc", "allmulti"
//   mac_table_in_use                     "mac_table.in_use"
//   mac_table_first_multi                "mac_table.first_multi" (QEMU does not send it and guesses
//                                        it on load from the first multicast address; lockstep sends
//                                        it, so a table the driver ordered oddly filters the same)
//   mac_table_macs                       "mac_table.macs": all 64 entries (QEMU sends in_use of them;
//                                        the rest are zero in both)
//   vlans                                "vlans" (buffer, QEMU's u32 bitmap in little-endian order)
//   mac_table_multi_overflow/uni_overflow "mac_table.multi_overflow", "mac_table.uni_overflow"
//   alluni nomulti nouni nobcast         "alluni", "nomulti", "nouni", "nobcast"
//   curr_queue_pairs                     "curr_queue_pairs" (QEMU sends it only with multiqueue)
//   reserved                             always 0, not migrated; padding filler
// QEMU fields lockstep has no state for: vqs.tx_waiting (transmission completes inside the
// notify), mergeable_rx_bufs (derived from the negotiated features, in the transport's section),
// has_vnet_hdr / has_ufo (no vnet header, ever), curr_guest_offloads (no offloads).
#include "devices/virtio_net_vmstate.h"

#include <type_traits>

namespace lockstep::devices {
namespace {

namespace vm = snapshot::vm;
using N = VirtioNet::State;

// Tripwire: a new member changes the size and stops the build until it is described above.
static_assert(std::has_unique_object_representations_v<N>);
static_assert(sizeof(N) == 2 * 4 + 2 * 2 + 6 + 8 + 64 * 6 + 4096 / 8 + 2, "VirtioNet::State changed: describe the member");

constexpr vm::Field<N> kFields[] = {
    vm::u8_array<&N::mac>("mac"),
    vm::u16<&N::status>("status"),
    vm::u8<&N::promisc>("promisc"),
    vm::u8<&N::allmulti>("allmulti"),
    vm::u32<&N::mac_table_in_use>("mac_table.in_use"),
    vm::u32<&N::mac_table_first_multi>("mac_table.first_multi"),
    vm::buffer<&N::mac_table_macs>("mac_table.macs"),
    vm::buffer<&N::vlans>("vlans"),
    vm::u8<&N::mac_table_multi_overflow>("mac_table.multi_overflow"),
    vm::u8<&N::mac_table_uni_overflow>("mac_table.uni_overflow"),
    vm::u8<&N::alluni>("alluni"),
    vm::u8<&N::nomulti>("nomulti"),
    vm::u8<&N::nouni>("nouni"),
    vm::u8<&N::nobcast>("nobcast"),
    vm::u16<&N::curr_queue_pairs>("curr_queue_pairs"),
};

// What the device code relies on. The receive modes take any byte (QEMU stores the driver's byte
// as it comes), so only the values no guest can produce are refused.
Status net_post_load(N& s, int) {
#ifdef LOCKSTEP_PLANT_NET_DROPS_RX_FILTER_ON_LOAD
  // Test-only (tests/planted): the receive filter's MAC table is read but not kept, so a migrated
  // NIC forgets the multicast addresses its driver set. The Linux migration tests must notice.
  s.mac_table_in_use = 0;
  s.mac_table_first_multi = 0;
  s.mac_table_macs = {};
#endif
  if (s.mac_table_in_use > VirtioNet::kMacTableEntries)
    return Error{fmt::format("mac_table.in_use {} exceeds {}", s.mac_table_in_use, VirtioNet::kMacTableEntries)};
  if (s.mac_table_first_multi > s.mac_table_in_use)
    return Error{fmt::format("mac_table.first_multi {} exceeds mac_table.in_use {}", s.mac_table_first_multi,
                             s.mac_table_in_use)};
  for (unsigned i = s.mac_table_in_use; i < VirtioNet::kMacTableEntries; ++i) {
    for (unsigned b = 0; b < 6; ++b) {
      if (s.mac_table_macs[i * 6 + b] != 0)
        return Error{fmt::format("mac_table.macs: entry {} is beyond mac_table.in_use {} and not zero", i,
                                 s.mac_table_in_use)};
    }
  }
  if (s.mac_table_multi_overflow > 1)
    return Error{fmt::format("mac_table.multi_overflow {} is not 0 or 1", s.mac_table_multi_overflow)};
  if (s.mac_table_uni_overflow > 1)
    return Error{fmt::format("mac_table.uni_overflow {} is not 0 or 1", s.mac_table_uni_overflow)};
  if (s.status & ~(VirtioNet::kSLinkUp | VirtioNet::kSAnnounce))
    return Error{fmt::format("status {:#x} has unknown bits", s.status)};
  if (!(s.status & VirtioNet::kSLinkUp))
    return Error{fmt::format("status {:#x}: the link is down, which lockstep cannot model", s.status)};
  if (s.curr_queue_pairs != 1)
    return Error{fmt::format("curr_queue_pairs {} is not 1 (no multiqueue)", s.curr_queue_pairs)};
  return Ok{};
}

constexpr vm::Section<N> kVirtioNet{
    .name = "virtio-net",
    .version = 1,
    .min_version = 1,
    .fields = kFields,
    .post_load = net_post_load,
};

}  // namespace

const snapshot::vm::Section<VirtioNet::State>& virtio_net_vmstate() { return kVirtioNet; }

}  // namespace lockstep::devices
