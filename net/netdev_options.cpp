#include "net/netdev_options.h"

#include <arpa/inet.h>
#include <sys/un.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include <fmt/format.h>

namespace lockstep::net {
namespace {

Error fail(std::string message) { return Error{std::move(message)}; }

// One "key=value" of the option string, in order.
struct Option {
  std::string key;
  std::string value;
};

// QemuOpts' splitting: ',' separates options, ",," is a literal comma, the first option without
// '=' is the implied "type", a later bare "key" means "key=on".
std::vector<Option> split_options(std::string_view spec) {
  std::vector<std::string> tokens(1);
  for (std::size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] == ',') {
      if (i + 1 < spec.size() && spec[i + 1] == ',') {
        tokens.back() += ',';
        ++i;
      } else {
        tokens.emplace_back();
      }
    } else {
      tokens.back() += spec[i];
    }
  }
  std::vector<Option> options;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    auto eq = t.find('=');
    if (eq == std::string::npos) {
      if (i == 0) {
        options.push_back({"type", t});
      } else if (!t.empty()) {
        options.push_back({t, "on"});
      }
    } else {
      options.push_back({t.substr(0, eq), t.substr(eq + 1)});
    }
  }
  return options;
}

// The options of one kind: the last of a repeated key wins (QemuOpts), except hostfwd, which repeats.
class OptionSet {
 public:
  explicit OptionSet(std::vector<Option> options) : options_(std::move(options)) {}
  const std::string* get(std::string_view key) const {
    const std::string* found = nullptr;
    for (const auto& o : options_)
      if (o.key == key) found = &o.value;
    return found;
  }
  std::vector<std::string> all(std::string_view key) const {
    std::vector<std::string> values;
    for (const auto& o : options_)
      if (o.key == key) values.push_back(o.value);
    return values;
  }
  // Every key must be in `known`; a key QEMU knows but lockstep does not implement is named as such.
  Status check_keys(std::string_view kind, std::span<const std::string_view> known,
                    std::span<const std::string_view> qemu_only) const {
    for (const auto& o : options_) {
      if (std::find(known.begin(), known.end(), o.key) != known.end()) continue;
      if (std::find(qemu_only.begin(), qemu_only.end(), o.key) != qemu_only.end())
        return fail(fmt::format("-netdev {} option '{}' is not supported by lockstep", kind, o.key));
      return fail(fmt::format("Invalid parameter '{}'", o.key));
    }
    return Ok{};
  }

 private:
  std::vector<Option> options_;
};

Result<bool> parse_bool(std::string_view key, const std::string& v) {
  if (v == "on" || v == "yes" || v == "true") return true;
  if (v == "off" || v == "no" || v == "false") return false;
  return fail(fmt::format("Parameter '{}' expects 'on' or 'off'", key));
}

bool is_identifier(std::string_view id) {
  if (id.empty() || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z'))) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_';
  });
}

// Decimal only; nullopt on anything else or out of [lo, hi].
std::optional<long> parse_number(std::string_view text, long lo, long hi) {
  long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) return std::nullopt;
  return v;
}

// QEMU's get_str_sep: the text up to the first `sep`, consumed with it; nullopt if there is none.
std::optional<std::string_view> take_until(std::string_view& rest, char sep) {
  auto at = rest.find(sep);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view head = rest.substr(0, at);
  rest.remove_prefix(at + 1);
  return head;
}

Result<HostForward> parse_hostfwd(const std::string& rule) {
  auto bad = [&](std::string_view reason) {
    return fail(fmt::format("Invalid host forwarding rule '{}' ({})", rule, reason));
  };
  HostForward f;
  f.rule = rule;
  std::string_view p = rule;
  auto proto = take_until(p, ':');
  if (!proto) return bad("No : separators");
  if (*proto == "udp") {
    f.udp = true;
  } else if (*proto == "unix") {
    return bad("unix host forwarding is not supported by lockstep");
  } else if (!proto->empty() && *proto != "tcp") {
    return bad("Bad protocol name");
  }
  auto host_addr = take_until(p, ':');
  if (!host_addr) return bad("Missing : separator");
  if (!host_addr->empty()) {
    auto a = parse_ipv4(*host_addr);
    if (!a) return bad("Bad host address");
    f.host_addr = a.value();
  }
  auto host_port = take_until(p, '-');
  if (!host_port) return bad("Bad host port separator");
  auto hp = parse_number(*host_port, 0, 65535);
  if (!hp) return bad("Bad host port");
  f.host_port = static_cast<std::uint16_t>(*hp);
  auto guest_addr = take_until(p, ':');
  if (!guest_addr) return bad("Missing guest address");
  if (!guest_addr->empty()) {
    auto a = parse_ipv4(*guest_addr);
    if (!a) return bad("Bad guest address");
    f.guest_addr = a.value();
  }
  auto gp = parse_number(p, 1, 65535);
  if (!gp) return bad("Bad guest port");
  f.guest_port = static_cast<std::uint16_t>(*gp);
  return f;
}

// net=ADDR[/BITS|/MASK] as QEMU's net_slirp_init reads it: without a mask the address class decides.
Status parse_user_network(const std::string& text, UserNetdev& u) {
  std::string_view rest = text;
  auto addr_text = take_until(rest, '/');
  std::uint32_t mask = 0;
  if (!addr_text) {
    auto a = parse_ipv4(text);
    if (!a) return fail(fmt::format("Failed to parse netmask: '{}' is not an IPv4 address", text));
    std::uint32_t addr = a.value().value;
    if (!(addr & 0x80000000u)) mask = 0xff000000u;                          // class A
    else if ((addr & 0xfff00000u) == 0xac100000u) mask = 0xfff00000u;       // 172.16.0.0/12
    else if ((addr & 0xc0000000u) == 0x80000000u) mask = 0xffff0000u;       // class B
    else if ((addr & 0xffff0000u) == 0xc0a80000u) mask = 0xffff0000u;       // 192.168.0.0/16
    else if ((addr & 0xffff0000u) == 0xc6120000u) mask = 0xfffe0000u;       // 198.18.0.0/15
    else if ((addr & 0xe0000000u) == 0xe0000000u) mask = 0xffffff00u;       // class C
    else mask = 0xfffffff0u;                                                // multicast/reserved
    u.network = a.value();
  } else {
    auto a = parse_ipv4(*addr_text);
    if (!a) return fail(fmt::format("Failed to parse netmask: '{}' is not an IPv4 address", *addr_text));
    u.network = a.value();
    if (auto bits = parse_number(rest, 0, 1000)) {
      if (*bits < 4 || *bits > 32)
        return fail(fmt::format("Invalid netmask provided (must be in range 4-32): '/{}'", rest));
      mask = static_cast<std::uint32_t>(0xffffffffull << (32 - *bits));
    } else {
      auto m = parse_ipv4(rest);
      if (!m) return fail(fmt::format("Failed to parse netmask (trailing chars): '{}'", rest));
      mask = m.value().value;
    }
  }
  u.netmask = Ipv4{mask};
  u.network.value &= mask;
  u.host = Ipv4{u.network.value | (0x0202u & ~mask)};
  u.dhcp_start = Ipv4{u.network.value | (0x020fu & ~mask)};
  u.dns = Ipv4{u.network.value | (0x0203u & ~mask)};
  return Ok{};
}

Result<UserNetdev> parse_user(const OptionSet& o) {
  static constexpr std::string_view kKnown[] = {"type", "id", "net", "host", "dns", "dhcpstart", "hostfwd",
                                                "restrict", "ipv4", "ipv6", "hostname"};
  static constexpr std::string_view kQemuOnly[] = {
      "tftp", "bootfile", "smb", "smbserver", "guestfwd", "dnssearch", "domainname", "ipv6-net", "ipv6-prefix",
      "ipv6-prefixlen", "ipv6-host", "ipv6-dns", "tftp-server-name"};
  LS_TRY(o.check_keys("user", kKnown, kQemuOnly));
  UserNetdev u;
  if (auto* v = o.get("restrict")) { LS_TRY_ASSIGN(u.restricted, parse_bool("restrict", *v)); }
  if (auto* v = o.get("ipv4")) { LS_TRY_ASSIGN(u.ipv4, parse_bool("ipv4", *v)); }
  if (auto* v = o.get("ipv6")) { LS_TRY_ASSIGN(u.ipv6, parse_bool("ipv6", *v)); }
  const std::string* net = o.get("net");
  const std::string* host = o.get("host");
  const std::string* dns = o.get("dns");
  const std::string* dhcp = o.get("dhcpstart");
  if (!u.ipv4 && (net || host || dns)) return fail("IPv4 disabled but netmask/host/dns provided");
  if (!u.ipv4 && !u.ipv6) return fail("IPv4 and IPv6 disabled");
  if (net) LS_TRY(parse_user_network(*net, u));
  auto in_network = [&](Ipv4 a) { return (a.value & u.netmask.value) == u.network.value; };
  if (host) {
    auto a = parse_ipv4(*host);
    if (!a) return fail(fmt::format("Failed to parse host: '{}' is not an IPv4 address", *host));
    u.host = a.value();
  }
  if (!in_network(u.host))
    return fail(fmt::format("Host doesn't belong to network: host {} is outside {}/{}", to_string(u.host),
                            to_string(u.network), u.prefix_length()));
  if (dns) {
    auto a = parse_ipv4(*dns);
    if (!a) return fail(fmt::format("Failed to parse DNS: '{}' is not an IPv4 address", *dns));
    u.dns = a.value();
  }
  if (u.restricted && !in_network(u.dns))
    return fail(fmt::format("DNS doesn't belong to network: dns {} is outside {}/{}", to_string(u.dns),
                            to_string(u.network), u.prefix_length()));
  if (u.dns == u.host) return fail(fmt::format("DNS must be different from host (both {})", to_string(u.dns)));
  if (dhcp) {
    auto a = parse_ipv4(*dhcp);
    if (!a) return fail(fmt::format("Failed to parse DHCP start address: '{}' is not an IPv4 address", *dhcp));
    u.dhcp_start = a.value();
  }
  if (!in_network(u.dhcp_start))
    return fail(fmt::format("DHCP doesn't belong to network: dhcpstart {} is outside {}/{}",
                            to_string(u.dhcp_start), to_string(u.network), u.prefix_length()));
  if (u.dhcp_start == u.host || u.dhcp_start == u.dns)
    return fail(fmt::format("DHCP must be different from host and DNS (dhcpstart {})", to_string(u.dhcp_start)));
  if (auto* v = o.get("hostname")) {
    if (v->size() > 255) return fail("'vhostname' parameter cannot exceed 255 bytes");
    u.hostname = *v;
  }
  for (const auto& rule : o.all("hostfwd")) {
    LS_TRY_ASSIGN(auto f, parse_hostfwd(rule));
    u.hostfwd.push_back(std::move(f));
  }
  return u;
}

// [HOST]:PORT as QEMU's parse_host_port reads it (the host is resolved when the socket opens).
Status parse_host_port(const std::string& text, StreamNetdev& s) {
  std::string_view rest = text;
  auto host = take_until(rest, ':');
  if (!host) return fail(fmt::format("host address '{}' doesn't contain ':' separating host from port", text));
  if (!host->empty() && host->front() >= '0' && host->front() <= '9' && !parse_ipv4(*host))
    return fail(fmt::format("host address '{}' is not a valid IPv4 address", *host));
  auto port = parse_number(rest, 0, 65535);
  if (!port) return fail(fmt::format("port number '{}' is invalid", rest));
  s.host = std::string(*host);
  s.port = static_cast<std::uint16_t>(*port);
  return Ok{};
}

Result<StreamNetdev> parse_socket(const OptionSet& o) {
  static constexpr std::string_view kKnown[] = {"type", "id", "listen", "connect"};
  static constexpr std::string_view kQemuOnly[] = {"fd", "mcast", "udp", "localaddr"};
  for (std::string_view refused : {"fd", "mcast", "udp"}) {
    if (o.get(refused))
      return fail(fmt::format("-netdev socket,{}= is not supported by lockstep (it has listen= and connect=, "
                              "TCP with QEMU's length framing; for unix sockets use -netdev stream)",
                              refused));
  }
  LS_TRY(o.check_keys("socket", kKnown, kQemuOnly));
  const std::string* listen = o.get("listen");
  const std::string* connect = o.get("connect");
  if ((listen != nullptr) == (connect != nullptr))
    return fail("exactly one of fd=, listen=, connect=, mcast= or udp= is required");
  StreamNetdev s;
  s.from_socket = true;
  s.server = listen != nullptr;
  LS_TRY(parse_host_port(listen ? *listen : *connect, s));
  return s;
}

Result<StreamNetdev> parse_stream(const OptionSet& o) {
  static constexpr std::string_view kKnown[] = {"type", "id", "server", "addr.type", "addr.host", "addr.port",
                                                "addr.path"};
  static constexpr std::string_view kQemuOnly[] = {"addr.numeric", "addr.to", "addr.ipv4", "addr.ipv6",
                                                   "addr.keep-alive", "addr.mptcp", "addr.abstract", "addr.tight",
                                                   "addr.str", "reconnect"};
  LS_TRY(o.check_keys("stream", kKnown, kQemuOnly));
  StreamNetdev s;
  if (auto* v = o.get("server")) { LS_TRY_ASSIGN(s.server, parse_bool("server", *v)); }
  const std::string* type = o.get("addr.type");
  if (!type) return fail("Parameter 'addr.type' is missing");
  if (*type == "inet") {
    if (o.get("addr.path")) return fail("Invalid parameter 'addr.path'");
    const std::string* host = o.get("addr.host");
    if (!host) return fail("Parameter 'addr.host' is missing");
    const std::string* port = o.get("addr.port");
    if (!port) return fail("Parameter 'addr.port' is missing");
    auto p = parse_number(*port, 0, 65535);
    if (!p) return fail(fmt::format("port number '{}' is invalid", *port));
    s.transport = StreamNetdev::Transport::Inet;
    s.host = *host;
    s.port = static_cast<std::uint16_t>(*p);
  } else if (*type == "unix") {
    for (std::string_view inet_key : {"addr.host", "addr.port"})
      if (o.get(inet_key)) return fail(fmt::format("Invalid parameter '{}'", inet_key));
    const std::string* path = o.get("addr.path");
    if (!path) return fail("Parameter 'addr.path' is missing");
    if (path->empty()) return fail("Parameter 'addr.path' is empty");
    if (path->size() >= sizeof(sockaddr_un{}.sun_path))
      return fail(fmt::format("UNIX socket path '{}' is too long", *path));
    s.transport = StreamNetdev::Transport::Unix;
    s.path = *path;
  } else if (*type == "fd" || *type == "vsock") {
    return fail(fmt::format("-netdev stream,addr.type={} is not supported by lockstep (it has inet, unix)", *type));
  } else {
    return fail(fmt::format("Parameter 'addr.type' does not accept value '{}'", *type));
  }
  return s;
}

Result<EchoNetdev> parse_echo(const OptionSet& o) {
  static constexpr std::string_view kKnown[] = {"type", "id", "ip", "mac", "delay"};
  LS_TRY(o.check_keys("echo", kKnown, {}));
  EchoNetdev e;
  if (auto* v = o.get("delay")) {
    auto us = parse_number(*v, 0, 1000000);
    if (!us) return fail(fmt::format("Parameter 'delay' expects microseconds from 0 to 1000000, got '{}'", *v));
    e.delay_us = static_cast<std::uint32_t>(*us);
  }
  if (auto* v = o.get("ip")) {
    auto a = parse_ipv4(*v);
    if (!a) return fail(fmt::format("Parameter 'ip' expects an IPv4 address, got '{}'", *v));
    e.ip = a.value();
  }
  if (auto* v = o.get("mac")) { LS_TRY_ASSIGN(e.mac, parse_mac(*v)); }
  return e;
}

}  // namespace

std::string to_string(Ipv4 a) {
  return fmt::format("{}.{}.{}.{}", a.value >> 24, (a.value >> 16) & 0xff, (a.value >> 8) & 0xff, a.value & 0xff);
}

std::string to_string(const MacAddress& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
}

Result<Ipv4> parse_ipv4(std::string_view text) {
  std::string s(text);
  in_addr a{};
  if (::inet_pton(AF_INET, s.c_str(), &a) != 1) return fail(fmt::format("'{}' is not an IPv4 address", text));
  return Ipv4{ntohl(a.s_addr)};
}

Result<MacAddress> parse_mac(std::string_view text) {
  auto bad = [&] {
    return fail(fmt::format("invalid MAC address '{}' (expected six pairs of hex digits separated by ':', "
                            "like 52:54:00:12:34:56)",
                            text));
  };
  if (text.size() != 17) return bad();
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  MacAddress mac{};
  for (std::size_t i = 0; i < 6; ++i) {
    int hi = hex(text[i * 3]), lo = hex(text[i * 3 + 1]);
    if (hi < 0 || lo < 0) return bad();
    if (i < 5 && text[i * 3 + 2] != ':' && text[i * 3 + 2] != '-') return bad();
    mac[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return mac;
}

int UserNetdev::prefix_length() const {
  // A mask given in dotted form may have holes; this counts its leading ones, which is what a
  // well-formed mask means.
  int n = 0;
  while (n < 32 && (netmask.value & (0x80000000u >> n))) ++n;
  return n;
}

Result<NetdevOptions> parse_netdev(std::string_view spec) {
  OptionSet o(split_options(spec));
  const std::string* type = o.get("type");
  if (!type || type->empty()) return fail("Parameter 'type' is missing");
  NetdevOptions n;
  if (*type == "user") n.kind = NetdevKind::User;
  else if (*type == "socket") n.kind = NetdevKind::Socket;
  else if (*type == "stream") n.kind = NetdevKind::Stream;
  else if (*type == "echo") n.kind = NetdevKind::Echo;
  else {
    static constexpr std::string_view kQemuKinds[] = {"tap", "bridge", "l2tpv3", "vde", "netmap", "vhost-user",
                                                      "vhost-vdpa", "dgram", "hubport", "af-xdp", "vmnet-host",
                                                      "vmnet-shared", "vmnet-bridged", "none", "nic"};
    if (std::find(std::begin(kQemuKinds), std::end(kQemuKinds), *type) != std::end(kQemuKinds))
      return fail(fmt::format("network backend '{}' is not supported by lockstep (it has user, socket, stream, echo)",
                              *type));
    return fail(fmt::format("Parameter 'type' does not accept value '{}' (lockstep has user, socket, stream, echo)",
                            *type));
  }
  const std::string* id = o.get("id");
  if (!id) return fail("Parameter 'id' is missing");
  if (!is_identifier(*id))
    return fail(fmt::format("Parameter 'id' expects an identifier, got '{}' (identifiers consist of letters, "
                            "digits, '-', '.', '_', starting with a letter)",
                            *id));
  n.id = *id;
  switch (n.kind) {
    case NetdevKind::User: { LS_TRY_ASSIGN(n.user, parse_user(o)); break; }
    case NetdevKind::Socket: { LS_TRY_ASSIGN(n.stream, parse_socket(o)); break; }
    case NetdevKind::Stream: { LS_TRY_ASSIGN(n.stream, parse_stream(o)); break; }
    case NetdevKind::Echo: { LS_TRY_ASSIGN(n.echo, parse_echo(o)); break; }
  }
  return n;
}

}  // namespace lockstep::net

// ---- opening: after the parser, so that it alone does not need the backends. ----------

#include "net/slirp_backend.h"
#include "net/stream_backend.h"

namespace lockstep::net {

Result<std::unique_ptr<HostNetBackend>> open_netdev(const NetdevOptions& options) {
  switch (options.kind) {
    case NetdevKind::User: {
      auto b = SlirpBackend::open(options.id, options.user);
      if (!b) return b.error();
      return std::unique_ptr<HostNetBackend>(std::move(b.value()));
    }
    case NetdevKind::Socket:
    case NetdevKind::Stream: {
      auto b = StreamBackend::open(options.id, options.stream);
      if (!b) return b.error();
      return std::unique_ptr<HostNetBackend>(std::move(b.value()));
    }
    case NetdevKind::Echo:
      break;
  }
  return Error{fmt::format("-netdev {}: the echo netdev is the machine's own test peer; it has no host backend",
                           options.id)};
}

}  // namespace lockstep::net
