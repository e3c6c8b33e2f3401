#include "devices/net_echo_peer.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace lockstep::devices {
namespace {

constexpr u16 kEtherArp = 0x0806, kEtherIpv4 = 0x0800;
constexpr u8 kProtoIcmp = 1, kProtoUdp = 17;
constexpr u16 kEchoPort = 7;
constexpr std::size_t kEthHeader = 14;

u16 get16(const u8* p) { return static_cast<u16>(p[0] << 8 | p[1]); }
void put16(u8* p, u16 v) {
  p[0] = static_cast<u8>(v >> 8);
  p[1] = static_cast<u8>(v);
}

// The Internet checksum (RFC 1071) over `n` bytes, starting from `sum`.
u16 internet_checksum(const u8* p, std::size_t n, u32 sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += get16(p + i);
  if (n & 1) sum += static_cast<u32>(p[n - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<u16>(~sum);
}

}  // namespace

void NetEchoPeer::from_guest(std::span<const u8> in, u64 now_ns) {
  const u64 due = now_ns + options_.delay_ns;
  if (in.size() < kEthHeader || in.size() > kMaxFrame) return;
  const u8* eth = in.data();
  const bool to_us = std::equal(options_.mac.begin(), options_.mac.end(), eth);
  const bool broadcast = std::all_of(eth, eth + 6, [](u8 b) { return b == 0xff; });
  const u16 type = get16(eth + 12);
  std::vector<u8> out(in.begin(), in.end());
  // Ethernet: back to the sender, from us.
  std::memcpy(out.data(), eth + 6, 6);
  std::memcpy(out.data() + 6, options_.mac.data(), 6);

  if (type == kEtherArp && (to_us || broadcast)) {
    // An Ethernet/IPv4 ARP request for our address.
    if (in.size() < kEthHeader + 28) return;
    const u8* arp = eth + kEthHeader;
    if (get16(arp) != 1 || get16(arp + 2) != kEtherIpv4 || arp[4] != 6 || arp[5] != 4 || get16(arp + 6) != 1) return;
    if (!std::equal(options_.ip.begin(), options_.ip.end(), arp + 24)) return;
    u8* r = out.data() + kEthHeader;
    put16(r + 6, 2);                           // reply
    std::memcpy(r + 18, arp + 8, 10);          // target = the asker (MAC, IP)
    std::memcpy(r + 8, options_.mac.data(), 6);  // sender = us
    std::memcpy(r + 14, options_.ip.data(), 4);
    queue(out, due);
    return;
  }
  if (type != kEtherIpv4 || !to_us || in.size() < kEthHeader + 20) return;
  const u8* ip = eth + kEthHeader;
  const std::size_t ihl = (ip[0] & 0xf) * 4u;
  const std::size_t total = get16(ip + 2);
  if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || kEthHeader + total > in.size()) return;
  if (!std::equal(options_.ip.begin(), options_.ip.end(), ip + 16)) return;
  if ((get16(ip + 6) & 0x3fff) != 0) return;  // fragments: not answered
  if (internet_checksum(ip, ihl) != 0) return;
  out.resize(kEthHeader + total);  // no Ethernet padding in the answer's IP length
  u8* rip = out.data() + kEthHeader;
  std::memcpy(rip + 12, ip + 16, 4);  // source = us
  std::memcpy(rip + 16, ip + 12, 4);  // destination = the sender
  rip[8] = 64;                        // TTL
  const u8* payload = ip + ihl;
  u8* rpayload = rip + ihl;
  const std::size_t len = total - ihl;
  if (ip[9] == kProtoIcmp) {
    if (len < 8 || payload[0] != 8 || internet_checksum(payload, len) != 0) return;  // echo request
    rpayload[0] = 0;                                                                 // echo reply
    put16(rpayload + 2, 0);
    put16(rpayload + 2, internet_checksum(rpayload, len));
  } else if (ip[9] == kProtoUdp) {
    if (len < 8 || get16(payload + 2) != kEchoPort || get16(payload + 4) != len) return;
    put16(rpayload, get16(payload + 2));
    put16(rpayload + 2, get16(payload));
    put16(rpayload + 6, 0);
    // The pseudo-header (addresses, protocol, length) and the datagram.
    u32 sum = 0;
    for (int k = 12; k < 20; k += 2) sum += get16(rip + k);
    sum += kProtoUdp + static_cast<u32>(len);
    u16 c = internet_checksum(rpayload, len, sum);
    put16(rpayload + 6, c == 0 ? 0xffff : c);
  } else {
    return;
  }
  put16(rip + 10, 0);
  put16(rip + 10, internet_checksum(rip, ihl));
  queue(out, due);
}

void NetEchoPeer::queue(std::span<const u8> frame, u64 due_ns) {
  if (state_.count == kMaxFrames || frame.size() > kQueueBytes - state_.used) {
    ++state_.dropped;
    return;
  }
  std::memcpy(state_.data.data() + state_.used, frame.data(), frame.size());
  state_.due_ns[state_.count] = due_ns;
  state_.lengths[state_.count++] = static_cast<u16>(frame.size());
  state_.used += static_cast<u32>(frame.size());
  ++state_.answered;
}

void NetEchoPeer::pop() {
  if (state_.count == 0) return;
  const u32 first = state_.lengths[0];
  std::memmove(state_.data.data(), state_.data.data() + first, state_.used - first);
  std::memset(state_.data.data() + state_.used - first, 0, first);  // the digest sees only what is queued
  std::copy(state_.lengths.begin() + 1, state_.lengths.begin() + state_.count, state_.lengths.begin());
  std::copy(state_.due_ns.begin() + 1, state_.due_ns.begin() + state_.count, state_.due_ns.begin());
  state_.due_ns[state_.count - 1] = 0;
  state_.lengths[--state_.count] = 0;
  state_.used -= first;
}

}  // namespace lockstep::devices
