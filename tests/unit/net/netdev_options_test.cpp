// -netdev parsing: every kind, QEMU's defaults, and each error message.
#include <doctest/doctest.h>

#include "net/netdev_options.h"

namespace {

using namespace lockstep::net;

NetdevOptions ok(std::string_view spec) {
  auto r = parse_netdev(spec);
  INFO(spec);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  return r.value();
}

std::string err(std::string_view spec) {
  auto r = parse_netdev(spec);
  INFO(spec);
  REQUIRE(!r.ok());
  return r.error().message;
}

Ipv4 ip(const char* text) { return parse_ipv4(text).value(); }

}  // namespace

TEST_CASE("user: QEMU's defaults") {
  NetdevOptions n = ok("user,id=net0");
  CHECK(n.kind == NetdevKind::User);
  CHECK(n.id == "net0");
  CHECK(n.user.network == ip("10.0.2.0"));
  CHECK(n.user.netmask == ip("255.255.255.0"));
  CHECK(n.user.prefix_length() == 24);
  CHECK(n.user.host == ip("10.0.2.2"));
  CHECK(n.user.dns == ip("10.0.2.3"));
  CHECK(n.user.dhcp_start == ip("10.0.2.15"));
  CHECK(!n.user.restricted);
  CHECK(n.user.ipv4);
  CHECK(n.user.ipv6);
  CHECK(n.user.hostfwd.empty());
  CHECK(n.user.hostname.empty());
}

TEST_CASE("user: net= moves host, dns and dhcpstart with it, as QEMU does") {
  NetdevOptions n = ok("user,id=u,net=192.168.76.0/24");
  CHECK(n.user.network == ip("192.168.76.0"));
  CHECK(n.user.host == ip("192.168.76.2"));
  CHECK(n.user.dns == ip("192.168.76.3"));
  CHECK(n.user.dhcp_start == ip("192.168.76.15"));
  n = ok("user,id=u,net=10.1.0.0/255.255.0.0");
  CHECK(n.user.prefix_length() == 16);
  CHECK(n.user.host == ip("10.1.2.2"));
  n = ok("user,id=u,net=172.16.5.0");  // no mask: the class decides (172.16/12)
  CHECK(n.user.prefix_length() == 12);
  CHECK(n.user.network == ip("172.16.0.0"));
  n = ok("user,id=u,net=10.0.2.77/24");  // host bits are cleared
  CHECK(n.user.network == ip("10.0.2.0"));
}

TEST_CASE("user: every option") {
  NetdevOptions n = ok(
      "user,id=n1,net=10.0.5.0/24,host=10.0.5.1,dns=10.0.5.53,dhcpstart=10.0.5.100,restrict=on,ipv6=off,"
      "hostname=box,hostfwd=tcp::5555-:22,hostfwd=udp:127.0.0.1:6000-10.0.5.100:7000");
  CHECK(n.user.host == ip("10.0.5.1"));
  CHECK(n.user.dns == ip("10.0.5.53"));
  CHECK(n.user.dhcp_start == ip("10.0.5.100"));
  CHECK(n.user.restricted);
  CHECK(!n.user.ipv6);
  CHECK(n.user.hostname == "box");
  REQUIRE(n.user.hostfwd.size() == 2);
  CHECK(!n.user.hostfwd[0].udp);
  CHECK(n.user.hostfwd[0].host_addr == Ipv4{0});
  CHECK(n.user.hostfwd[0].host_port == 5555);
  CHECK(n.user.hostfwd[0].guest_addr == Ipv4{0});
  CHECK(n.user.hostfwd[0].guest_port == 22);
  CHECK(n.user.hostfwd[0].rule == "tcp::5555-:22");
  CHECK(n.user.hostfwd[1].udp);
  CHECK(n.user.hostfwd[1].host_addr == ip("127.0.0.1"));
  CHECK(n.user.hostfwd[1].host_port == 6000);
  CHECK(n.user.hostfwd[1].guest_addr == ip("10.0.5.100"));
  CHECK(n.user.hostfwd[1].guest_port == 7000);
  CHECK(ok("user,id=x,hostfwd=:127.0.0.1:80-:8080").user.hostfwd[0].udp == false);  // empty protocol = tcp
  CHECK(ok("user,id=x,restrict").user.restricted);  // a bare key means on, as QemuOpts has it
  CHECK(ok("user,id=x,hostname=a,,b").user.hostname == "a,b");  // ",," is a literal comma
}

TEST_CASE("user: errors in QEMU's words, naming the value") {
  CHECK(err("user,id=u,net=10.0.2.x/24") == "Failed to parse netmask: '10.0.2.x' is not an IPv4 address");
  CHECK(err("user,id=u,net=10.0.2.0/33") == "Invalid netmask provided (must be in range 4-32): '/33'");
  CHECK(err("user,id=u,net=10.0.2.0/3") == "Invalid netmask provided (must be in range 4-32): '/3'");
  CHECK(err("user,id=u,net=10.0.2.0/24x") == "Failed to parse netmask (trailing chars): '24x'");
  CHECK(err("user,id=u,host=10.0.3.2") == "Host doesn't belong to network: host 10.0.3.2 is outside 10.0.2.0/24");
  CHECK(err("user,id=u,host=nope") == "Failed to parse host: 'nope' is not an IPv4 address");
  CHECK(err("user,id=u,dns=1.2.3") == "Failed to parse DNS: '1.2.3' is not an IPv4 address");
  CHECK(err("user,id=u,restrict=on,dns=8.8.8.8") ==
        "DNS doesn't belong to network: dns 8.8.8.8 is outside 10.0.2.0/24");
  CHECK(ok("user,id=u,dns=8.8.8.8").user.dns == ip("8.8.8.8"));  // unrestricted: anywhere
  CHECK(err("user,id=u,dns=10.0.2.2") == "DNS must be different from host (both 10.0.2.2)");
  CHECK(err("user,id=u,dhcpstart=10.0.2") == "Failed to parse DHCP start address: '10.0.2' is not an IPv4 address");
  CHECK(err("user,id=u,dhcpstart=10.9.2.15") ==
        "DHCP doesn't belong to network: dhcpstart 10.9.2.15 is outside 10.0.2.0/24");
  CHECK(err("user,id=u,dhcpstart=10.0.2.3") == "DHCP must be different from host and DNS (dhcpstart 10.0.2.3)");
  CHECK(err("user,id=u,restrict=maybe") == "Parameter 'restrict' expects 'on' or 'off'");
  CHECK(err("user,id=u,ipv4=off,net=10.0.0.0/8") == "IPv4 disabled but netmask/host/dns provided");
  CHECK(err("user,id=u,ipv4=off,ipv6=off") == "IPv4 and IPv6 disabled");
  CHECK(err("user,id=u,hostname=" + std::string(256, 'h')) == "'vhostname' parameter cannot exceed 255 bytes");
  CHECK(err("user,id=u,tftp=/srv") == "-netdev user option 'tftp' is not supported by lockstep");
  CHECK(err("user,id=u,bogus=1") == "Invalid parameter 'bogus'");
}

TEST_CASE("user: hostfwd rules named with QEMU's reasons") {
  auto fwd = [](const char* rule) { return err(std::string("user,id=u,hostfwd=") + rule); };
  CHECK(fwd("tcp") == "Invalid host forwarding rule 'tcp' (No : separators)");
  CHECK(fwd("sctp::1-:2") == "Invalid host forwarding rule 'sctp::1-:2' (Bad protocol name)");
  CHECK(fwd("tcp:5555") == "Invalid host forwarding rule 'tcp:5555' (Missing : separator)");
  CHECK(fwd("tcp:5555-:22") == "Invalid host forwarding rule 'tcp:5555-:22' (Bad host address)");
  CHECK(fwd("tcp:1.2.3:5555-:22") == "Invalid host forwarding rule 'tcp:1.2.3:5555-:22' (Bad host address)");
  CHECK(fwd("tcp::5555:22") == "Invalid host forwarding rule 'tcp::5555:22' (Bad host port separator)");
  CHECK(fwd("tcp::70000-:22") == "Invalid host forwarding rule 'tcp::70000-:22' (Bad host port)");
  CHECK(fwd("tcp::x-:22") == "Invalid host forwarding rule 'tcp::x-:22' (Bad host port)");
  CHECK(fwd("tcp::5555-22") == "Invalid host forwarding rule 'tcp::5555-22' (Missing guest address)");
  CHECK(fwd("tcp::5555-10.0.2:22") == "Invalid host forwarding rule 'tcp::5555-10.0.2:22' (Bad guest address)");
  CHECK(fwd("tcp::5555-:0") == "Invalid host forwarding rule 'tcp::5555-:0' (Bad guest port)");
  CHECK(fwd("tcp::5555-:65536") == "Invalid host forwarding rule 'tcp::5555-:65536' (Bad guest port)");
  CHECK(fwd("unix:/tmp/s-:22") ==
        "Invalid host forwarding rule 'unix:/tmp/s-:22' (unix host forwarding is not supported by lockstep)");
}

TEST_CASE("socket: listen and connect") {
  NetdevOptions n = ok("socket,id=s0,listen=:1234");
  CHECK(n.kind == NetdevKind::Socket);
  CHECK(n.stream.server);
  CHECK(n.stream.from_socket);
  CHECK(n.stream.transport == StreamNetdev::Transport::Inet);
  CHECK(n.stream.host.empty());
  CHECK(n.stream.port == 1234);
  n = ok("socket,id=s1,connect=127.0.0.1:1234");
  CHECK(!n.stream.server);
  CHECK(n.stream.host == "127.0.0.1");
  CHECK(n.stream.port == 1234);
  CHECK(ok("socket,id=s1,connect=localhost:9").stream.host == "localhost");
}

TEST_CASE("socket: errors") {
  CHECK(err("socket,id=s") == "exactly one of fd=, listen=, connect=, mcast= or udp= is required");
  CHECK(err("socket,id=s,listen=:1,connect=:2") == "exactly one of fd=, listen=, connect=, mcast= or udp= is required");
  CHECK(err("socket,id=s,listen=1234") == "host address '1234' doesn't contain ':' separating host from port");
  CHECK(err("socket,id=s,connect=1.2.3:4") == "host address '1.2.3' is not a valid IPv4 address");
  CHECK(err("socket,id=s,connect=127.0.0.1:") == "port number '' is invalid");
  CHECK(err("socket,id=s,connect=127.0.0.1:99999") == "port number '99999' is invalid");
  for (const char* refused : {"mcast=230.0.0.1:1234", "udp=127.0.0.1:1234", "fd=3"}) {
    std::string key = std::string(refused).substr(0, std::string(refused).find('='));
    CHECK(err(std::string("socket,id=s,") + refused) ==
          "-netdev socket," + key +
              "= is not supported by lockstep (it has listen= and connect=, TCP with QEMU's length framing; "
              "for unix sockets use -netdev stream)");
  }
  CHECK(err("socket,id=s,listen=:1,localaddr=1.2.3.4") == "-netdev socket option 'localaddr' is not supported by lockstep");
  CHECK(err("socket,id=s,listen=:1,frob=2") == "Invalid parameter 'frob'");
}

TEST_CASE("stream: inet and unix") {
  NetdevOptions n = ok("stream,id=st,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=4000");
  CHECK(n.kind == NetdevKind::Stream);
  CHECK(n.stream.server);
  CHECK(!n.stream.from_socket);
  CHECK(n.stream.transport == StreamNetdev::Transport::Inet);
  CHECK(n.stream.host == "127.0.0.1");
  CHECK(n.stream.port == 4000);
  n = ok("stream,id=st,addr.type=unix,addr.path=/tmp/net.sock");
  CHECK(!n.stream.server);  // QEMU's default
  CHECK(n.stream.transport == StreamNetdev::Transport::Unix);
  CHECK(n.stream.path == "/tmp/net.sock");
  CHECK(!ok("stream,id=st,server=off,addr.type=unix,addr.path=/p").stream.server);
}

TEST_CASE("stream: errors") {
  CHECK(err("stream,id=st") == "Parameter 'addr.type' is missing");
  CHECK(err("stream,id=st,addr.type=inet,addr.port=1") == "Parameter 'addr.host' is missing");
  CHECK(err("stream,id=st,addr.type=inet,addr.host=h") == "Parameter 'addr.port' is missing");
  CHECK(err("stream,id=st,addr.type=inet,addr.host=h,addr.port=http") == "port number 'http' is invalid");
  CHECK(err("stream,id=st,addr.type=inet,addr.host=h,addr.port=1,addr.path=/p") == "Invalid parameter 'addr.path'");
  CHECK(err("stream,id=st,addr.type=unix") == "Parameter 'addr.path' is missing");
  CHECK(err("stream,id=st,addr.type=unix,addr.path=/p,addr.port=3") == "Invalid parameter 'addr.port'");
  CHECK(err("stream,id=st,addr.type=unix,addr.path=/" + std::string(120, 'p')) ==
        "UNIX socket path '/" + std::string(120, 'p') + "' is too long");
  CHECK(err("stream,id=st,addr.type=fd,addr.str=3") ==
        "-netdev stream option 'addr.str' is not supported by lockstep");
  CHECK(err("stream,id=st,addr.type=fd") == "-netdev stream,addr.type=fd is not supported by lockstep (it has inet, unix)");
  CHECK(err("stream,id=st,addr.type=pipe") == "Parameter 'addr.type' does not accept value 'pipe'");
  CHECK(err("stream,id=st,server=2,addr.type=unix,addr.path=/p") == "Parameter 'server' expects 'on' or 'off'");
  CHECK(err("stream,id=st,reconnect=1,addr.type=unix,addr.path=/p") ==
        "-netdev stream option 'reconnect' is not supported by lockstep");
}

TEST_CASE("echo: defaults and options") {
  NetdevOptions n = ok("echo,id=e0");
  CHECK(n.kind == NetdevKind::Echo);
  CHECK(n.echo.ip == ip("10.0.2.2"));
  CHECK(to_string(n.echo.mac) == "52:55:0a:00:02:02");
  n = ok("echo,id=e0,ip=192.168.1.9,mac=02:00:00:AA:bb:01");
  CHECK(n.echo.ip == ip("192.168.1.9"));
  CHECK(to_string(n.echo.mac) == "02:00:00:aa:bb:01");
  CHECK(err("echo,id=e0,ip=300.1.1.1") == "Parameter 'ip' expects an IPv4 address, got '300.1.1.1'");
  CHECK(err("echo,id=e0,mac=02:00:00:aa:bb") ==
        "invalid MAC address '02:00:00:aa:bb' (expected six pairs of hex digits separated by ':', like "
        "52:54:00:12:34:56)");
  CHECK(err("echo,id=e0,port=1") == "Invalid parameter 'port'");
  CHECK(n.echo.delay_us == 0);
  CHECK(ok("echo,id=e0,delay=2000").echo.delay_us == 2000);
  CHECK(err("echo,id=e0,delay=-1") == "Parameter 'delay' expects microseconds from 0 to 1000000, got '-1'");
  CHECK(err("echo,id=e0,delay=2000001") == "Parameter 'delay' expects microseconds from 0 to 1000000, got '2000001'");
  auto open = open_netdev(n);
  REQUIRE(!open.ok());
  CHECK(open.error().message == "-netdev e0: the echo netdev is the machine's own test peer; it has no host backend");
}

TEST_CASE("common errors: type and id") {
  CHECK(err("") == "Parameter 'type' is missing");
  CHECK(err("id=n") == "Parameter 'type' is missing");
  CHECK(err("user") == "Parameter 'id' is missing");
  CHECK(err("user,net=10.0.2.0/24") == "Parameter 'id' is missing");
  CHECK(err("user,id=0abc") ==
        "Parameter 'id' expects an identifier, got '0abc' (identifiers consist of letters, digits, '-', '.', '_', "
        "starting with a letter)");
  CHECK(err("tap,id=t0") == "network backend 'tap' is not supported by lockstep (it has user, socket, stream, echo)");
  CHECK(err("vhost-user,id=t0") ==
        "network backend 'vhost-user' is not supported by lockstep (it has user, socket, stream, echo)");
  CHECK(err("frob,id=t0") == "Parameter 'type' does not accept value 'frob' (lockstep has user, socket, stream, echo)");
}

TEST_CASE("parse_mac") {
  auto m = parse_mac("52:54:00:12:34:56");
  REQUIRE(m.ok());
  CHECK(m.value() == MacAddress{0x52, 0x54, 0x00, 0x12, 0x34, 0x56});
  CHECK(parse_mac("52-54-00-12-34-5F").value() == MacAddress{0x52, 0x54, 0x00, 0x12, 0x34, 0x5f});
  for (const char* bad : {"", "52:54:00:12:34", "52:54:00:12:34:567", "52:54:00:12:34:5g", "52.54.00.12.34.56",
                          "5:254:00:12:34:56", "52:54:00:12:34:56:"}) {
    INFO(bad);
    auto r = parse_mac(bad);
    REQUIRE(!r.ok());
    CHECK(r.error().message.find(std::string("invalid MAC address '") + bad + "'") == 0);
  }
}
