#include "net/slirp_backend.h"

#include <libslirp.h>

#include <cstdio>
#include <ctime>
#include <limits>

#include <fmt/format.h>

namespace lockstep::net {

namespace {

in_addr to_in_addr(Ipv4 a) { return in_addr{htonl(a.value)}; }

// QEMU's default IPv6 side (net/slirp.c): prefix fec0::/64, host ::2, DNS ::3.
in6_addr ipv6_default(std::uint8_t last) {
  in6_addr a{};
  a.s6_addr[0] = 0xfe;
  a.s6_addr[1] = 0xc0;
  a.s6_addr[15] = last;
  return a;
}

short to_poll_events(int slirp_events) {
  short e = 0;
  if (slirp_events & SLIRP_POLL_IN) e |= POLLIN;
  if (slirp_events & SLIRP_POLL_OUT) e |= POLLOUT;
  if (slirp_events & SLIRP_POLL_PRI) e |= POLLPRI;
  // ERR and HUP are always reported by poll(2); asking for them is harmless.
  if (slirp_events & SLIRP_POLL_ERR) e |= POLLERR;
  if (slirp_events & SLIRP_POLL_HUP) e |= POLLHUP;
  return e;
}

int to_slirp_events(short revents) {
  int e = 0;
  if (revents & POLLIN) e |= SLIRP_POLL_IN;
  if (revents & POLLOUT) e |= SLIRP_POLL_OUT;
  if (revents & POLLPRI) e |= SLIRP_POLL_PRI;
  if (revents & (POLLERR | POLLNVAL)) e |= SLIRP_POLL_ERR;
  if (revents & POLLHUP) e |= SLIRP_POLL_HUP;
  return e;
}

}  // namespace

struct SlirpCallbacks {
  static SlirpBackend& self(void* opaque) { return *static_cast<SlirpBackend*>(opaque); }

  static ssize_t send_packet(const void* buf, size_t len, void* opaque) {
    // Towards the guest. A full queue drops the frame (counted): slirp's TCP retransmits, as it
    // does when QEMU's NIC cannot take a frame.
    self(opaque).rx().push({static_cast<const std::uint8_t*>(buf), len});
    return static_cast<ssize_t>(len);
  }
  static void guest_error(const char* msg, void* opaque) {
    fmt::print(stderr, "lockstep: netdev {}: guest error: {}\n", self(opaque).id_, msg);
  }
  static int64_t clock_get_ns(void*) { return SlirpBackend::now_ns(); }
  static void* timer_new_opaque(SlirpTimerId id, void* cb_opaque, void* opaque) {
    auto& timers = self(opaque).timers_;
    timers.push_back(SlirpBackend::Timer{static_cast<int>(id), cb_opaque, -1, false});
    return &timers.back();
  }
  static void timer_free(void* timer, void* opaque) {
    auto& timers = self(opaque).timers_;
    for (auto it = timers.begin(); it != timers.end(); ++it) {
      if (&*it == timer) {
        it->freed = true;  // erased after the firing loop, which may be walking the list
        it->expire_ms = -1;
        return;
      }
    }
  }
  static void timer_mod(void* timer, int64_t expire_ms, void*) {
    static_cast<SlirpBackend::Timer*>(timer)->expire_ms = expire_ms;
  }
  // slirp asks for its sockets again through slirp_pollfds_fill every round: nothing to track.
  static void register_poll_fd(int, void*) {}
  static void unregister_poll_fd(int, void*) {}
  // The caller polls again at its next look; slirp's new interest shows up in the next fill.
  static void notify(void*) {}
  static void init_completed(Slirp* slirp, void* opaque) {
    // Before slirp_new returns, slirp creates its RA timer: the backend needs the handle first.
    self(opaque).slirp_ = slirp;
  }
  static int add_poll(int fd, int events, void* opaque) {
    auto& fds = *self(opaque).filling_;
    fds.push_back(pollfd{fd, to_poll_events(events), 0});
    return static_cast<int>(fds.size() - 1);
  }
  static int get_revents(int idx, void* opaque) {
    SlirpBackend& b = self(opaque);
    const auto& fds = *b.polled_;
    // Indices are absolute (add_poll returned them); guard against a vector that is not the same.
    if (idx < 0 || static_cast<std::size_t>(idx) >= fds.size()) return 0;
    if (static_cast<std::size_t>(idx) < b.slice_.first ||
        static_cast<std::size_t>(idx) >= b.slice_.first + b.slice_.count)
      return 0;
    return to_slirp_events(fds[static_cast<std::size_t>(idx)].revents);
  }

  static const SlirpCb kCallbacks;
};

const SlirpCb SlirpCallbacks::kCallbacks = {
    .send_packet = SlirpCallbacks::send_packet,
    .guest_error = SlirpCallbacks::guest_error,
    .clock_get_ns = SlirpCallbacks::clock_get_ns,
    .timer_new = nullptr,
    .timer_free = SlirpCallbacks::timer_free,
    .timer_mod = SlirpCallbacks::timer_mod,
    .register_poll_fd = SlirpCallbacks::register_poll_fd,
    .unregister_poll_fd = SlirpCallbacks::unregister_poll_fd,
    .notify = SlirpCallbacks::notify,
    .init_completed = SlirpCallbacks::init_completed,
    .timer_new_opaque = SlirpCallbacks::timer_new_opaque,
};

SlirpBackend::SlirpBackend(std::string id, UserNetdev options) : id_(std::move(id)), options_(std::move(options)) {}

std::int64_t SlirpBackend::now_ns() {
  // The outside world's clock. It never reaches guest state: slirp's frames enter the guest
  // only through the input layer, which logs them.
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

Result<std::unique_ptr<SlirpBackend>> SlirpBackend::open(const std::string& id, const UserNetdev& options) {
  std::unique_ptr<SlirpBackend> b(new SlirpBackend(id, options));
  const UserNetdev& u = b->options_;
  // Version 4, filled as QEMU 7.2's net_slirp_init fills it with libslirp 4.7.
  SlirpConfig cfg{};
  cfg.version = 4;
  cfg.restricted = u.restricted ? 1 : 0;
  cfg.in_enabled = u.ipv4;
  cfg.vnetwork = to_in_addr(u.network);
  cfg.vnetmask = to_in_addr(u.netmask);
  cfg.vhost = to_in_addr(u.host);
  cfg.in6_enabled = u.ipv6;
  cfg.vprefix_addr6 = ipv6_default(0);
  cfg.vprefix_len = 64;
  cfg.vhost6 = ipv6_default(2);
  cfg.vhostname = u.hostname.empty() ? nullptr : u.hostname.c_str();
  cfg.vdhcp_start = to_in_addr(u.dhcp_start);
  cfg.vnameserver = to_in_addr(u.dns);
  cfg.vnameserver6 = ipv6_default(3);
  Slirp* slirp = slirp_new(&cfg, &SlirpCallbacks::kCallbacks, b.get());
  if (!slirp) return Error{fmt::format("netdev {}: could not start the user-mode network stack (libslirp)", id)};
  b->slirp_ = slirp;
  for (const HostForward& f : u.hostfwd) {
    if (slirp_add_hostfwd(slirp, f.udp ? 1 : 0, to_in_addr(f.host_addr), f.host_port, to_in_addr(f.guest_addr),
                          f.guest_port) < 0)
      return Error{fmt::format("Could not set up host forwarding rule '{}' (is host port {} already in use?)",
                               f.rule, f.host_port)};
  }
  return b;
}

SlirpBackend::~SlirpBackend() {
  if (slirp_) slirp_cleanup(slirp_);
}

void SlirpBackend::transmit(std::span<const std::uint8_t> frame) {
  // slirp takes any frame at once (it queues internally, bounded by its socket buffers and TCP
  // windows); a frame too large for an int is not an Ethernet frame.
  if (frame.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    count_dropped_tx();
    return;
  }
  slirp_input(slirp_, frame.data(), static_cast<int>(frame.size()));
}

void SlirpBackend::prepare_poll(std::vector<pollfd>& fds, int& timeout_ms) {
  slice_.first = fds.size();
  std::uint32_t slirp_timeout = timeout_ms < 0 ? std::numeric_limits<std::uint32_t>::max()
                                               : static_cast<std::uint32_t>(timeout_ms);
  filling_ = &fds;
  slirp_pollfds_fill(slirp_, &slirp_timeout, SlirpCallbacks::add_poll, this);
  filling_ = nullptr;
  slice_.count = fds.size() - slice_.first;
  if (slirp_timeout != std::numeric_limits<std::uint32_t>::max()) lower_timeout(timeout_ms, slirp_timeout);
  // Our own timers (slirp's RA timer) are in ms on the same clock.
  std::int64_t now_ms = now_ns() / 1'000'000;
  for (const Timer& t : timers_)
    if (!t.freed && t.expire_ms >= 0) lower_timeout(timeout_ms, t.expire_ms - now_ms);
}

void SlirpBackend::dispatch_poll(const std::vector<pollfd>& fds) {
  // Also runs slirp's own TCP fast/slow timers from clock_get_ns.
  polled_ = &fds;
  bool same_vector = slice_.of(fds).size() == slice_.count;
  slirp_pollfds_poll(slirp_, same_vector ? 0 : 1, SlirpCallbacks::get_revents, this);
  polled_ = nullptr;
  fire_due_timers();
}

void SlirpBackend::fire_due_timers() {
  std::int64_t now_ms = now_ns() / 1'000'000;
  // A handler may re-arm its own timer (timer_mod) for later; walk a snapshot of what is due now.
  std::vector<Timer*> due;
  for (Timer& t : timers_)
    if (!t.freed && t.expire_ms >= 0 && t.expire_ms <= now_ms) due.push_back(&t);
  for (Timer* t : due) {
    if (t->freed || t->expire_ms < 0 || t->expire_ms > now_ms) continue;
    t->expire_ms = -1;
    slirp_handle_timer(slirp_, static_cast<SlirpTimerId>(t->id), t->cb_opaque);
  }
  timers_.remove_if([](const Timer& t) { return t.freed; });
}

std::string SlirpBackend::describe() const {
  const UserNetdev& u = options_;
  std::string s = fmt::format("{}: user net={}/{},host={},dns={},dhcpstart={},restrict={},ipv6={}", id_,
                              to_string(u.network), u.prefix_length(), to_string(u.host), to_string(u.dns),
                              to_string(u.dhcp_start), u.restricted ? "on" : "off", u.ipv6 ? "on" : "off");
  for (const HostForward& f : u.hostfwd) s += fmt::format(",hostfwd={}", f.rule);
  return s;
}

}  // namespace lockstep::net
