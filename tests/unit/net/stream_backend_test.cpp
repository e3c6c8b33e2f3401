// socket and stream backends: a listener and a connector in one process exchange frames through
// poll_backends; framing, order, peer close, a hostile length, connect failure.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <sys/un.h>

#include <filesystem>

#include "net/stream_backend.h"
#include "net_test_util.h"

namespace {

using namespace lockstep::net;
using namespace lockstep::net::test;

std::unique_ptr<HostNetBackend> open_spec(const std::string& spec) {
  auto r = open_netdev(parse_or_die(spec));
  INFO(spec);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  return std::move(r.value());
}

std::uint16_t port_of(HostNetBackend& b) { return dynamic_cast<StreamBackend&>(b).listen_port(); }
bool connected(HostNetBackend& b) { return dynamic_cast<StreamBackend&>(b).connected(); }

std::string unix_path(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string("lockstep-net-") + std::to_string(::getpid()) + "-" + name))
      .string();
}

// Sends 60, 1514 and 65535-byte frames each way and checks each arrives whole and in order.
void exchange(HostNetBackend& listener, HostNetBackend& connector) {
  REQUIRE(pump_until({&listener, &connector}, [&] { return connected(listener); }));
  const std::uint64_t dropped_before = listener.dropped_tx() + connector.dropped_tx();
  const std::size_t sizes[] = {60, 1514, 65535};
  std::vector<std::vector<std::uint8_t>> to_listener, to_connector;
  for (std::size_t i = 0; i < 3; ++i) {
    to_listener.push_back(pattern_frame(sizes[i], static_cast<std::uint8_t>(i + 1)));
    to_connector.push_back(pattern_frame(sizes[i], static_cast<std::uint8_t>(i + 101)));
  }
  for (std::size_t i = 0; i < 3; ++i) {
    connector.transmit(to_listener[i]);
    listener.transmit(to_connector[i]);
  }
  std::vector<std::vector<std::uint8_t>> got_l, got_c;
  REQUIRE(pump_until({&listener, &connector}, [&] {
    while (listener.has_frame()) got_l.push_back(take(listener));
    while (connector.has_frame()) got_c.push_back(take(connector));
    return got_l.size() >= 3 && got_c.size() >= 3;
  }));
  CHECK(got_l == to_listener);
  CHECK(got_c == to_connector);
  CHECK(listener.dropped_tx() + connector.dropped_tx() == dropped_before);
  CHECK(listener.dropped_rx() == 0);
  CHECK(connector.dropped_rx() == 0);
}

}  // namespace

TEST_CASE("socket: listen/connect exchange 60, 1514 and 65535-byte frames both ways, in order") {
  auto listener = open_spec("socket,id=l,listen=127.0.0.1:0");
  std::uint16_t port = port_of(*listener);
  REQUIRE(port != 0);
  CHECK(listener->describe() == "l: socket: listening on 127.0.0.1:" + std::to_string(port));
  // Before anyone connects, the guest's frames go nowhere (QEMU drops them too).
  listener->transmit(pattern_frame(60, 9));
  CHECK(listener->dropped_tx() == 1);
  auto connector = open_spec("socket,id=c,connect=127.0.0.1:" + std::to_string(port));
  CHECK(connector->describe() == "c: socket: connected to 127.0.0.1:" + std::to_string(port));
  exchange(*listener, *connector);
  CHECK(listener->describe().rfind("l: socket: connection from 127.0.0.1:", 0) == 0);
  CHECK(listener->dropped_tx() == 1);  // only the frame from before the connection
}

TEST_CASE("stream: inet server and client") {
  auto listener = open_spec("stream,id=l,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=0");
  std::uint16_t port = port_of(*listener);
  auto connector =
      open_spec("stream,id=c,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=" + std::to_string(port));
  exchange(*listener, *connector);
  CHECK(connector->describe() == "c: stream: connected to 127.0.0.1:" + std::to_string(port));
}

TEST_CASE("stream: unix server and client; the socket file goes with the listener") {
  std::string path = unix_path("u.sock");
  {
    auto listener = open_spec("stream,id=l,server=on,addr.type=unix,addr.path=" + path);
    auto connector = open_spec("stream,id=c,addr.type=unix,addr.path=" + path);
    exchange(*listener, *connector);
    CHECK(listener->describe() == "l: stream: connection from " + path + " (listening on " + path + ")");
  }
  CHECK(!std::filesystem::exists(path));
}

TEST_CASE("peer close: a listener listens again, a connector reports once and drops") {
  auto listener = open_spec("socket,id=l,listen=127.0.0.1:0");
  std::string target = "127.0.0.1:" + std::to_string(port_of(*listener));
  {
    auto first = open_spec("socket,id=c1,connect=" + target);
    exchange(*listener, *first);
  }  // the connector goes away
  REQUIRE(pump_until({listener.get()}, [&] { return !connected(*listener); }));
  CHECK(listener->describe() == "l: socket: listening on " + target);
  listener->transmit(pattern_frame(60, 1));  // nobody to send to
  CHECK(listener->dropped_tx() == 1);

  auto second = open_spec("socket,id=c2,connect=" + target);
  exchange(*listener, *second);

  listener.reset();  // now the other side goes away
  REQUIRE(pump_until({second.get()}, [&] { return !connected(*second); }));
  CHECK(second->describe() == "c2: socket: connection to " + target + " lost");
  second->transmit(pattern_frame(60, 2));
  second->transmit(pattern_frame(60, 3));
  CHECK(second->dropped_tx() == 2);
  std::vector<HostNetBackend*> one{second.get()};
  std::vector<pollfd> none;
  poll_backends(one, none, 0);  // nothing to poll, nothing breaks
}

TEST_CASE("framing: partial writes reassemble, an oversized length closes the connection") {
  auto listener = open_spec("socket,id=l,listen=127.0.0.1:0");
  int raw = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port_of(*listener));
  REQUIRE(::connect(raw, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(pump_until({listener.get()}, [&] { return connected(*listener); }));

  // One 1514-byte frame and one 60-byte frame, written in uneven pieces across the boundaries.
  std::vector<std::uint8_t> f1 = pattern_frame(1514, 7), f2 = pattern_frame(60, 8);
  std::vector<std::uint8_t> wire;
  for (auto* f : {&f1, &f2}) {
    auto n = static_cast<std::uint32_t>(f->size());
    wire.insert(wire.end(), {std::uint8_t(n >> 24), std::uint8_t(n >> 16), std::uint8_t(n >> 8), std::uint8_t(n)});
    wire.insert(wire.end(), f->begin(), f->end());
  }
  std::size_t pos = 0;
  for (std::size_t piece : {1, 2, 700, 813, 3, 57, 10000}) {
    std::size_t n = std::min(piece, wire.size() - pos);
    REQUIRE(::send(raw, wire.data() + pos, n, MSG_NOSIGNAL) == static_cast<ssize_t>(n));
    pos += n;
    pump_until({listener.get()}, [] { return false; }, 2);
  }
  std::vector<std::vector<std::uint8_t>> got;
  REQUIRE(pump_until({listener.get()}, [&] {
    while (listener->has_frame()) got.push_back(take(*listener));
    return got.size() >= 2;
  }));
  CHECK(got[0] == f1);
  CHECK(got[1] == f2);

  // A length over 64 KiB + 4 KiB: not this framing. The listener drops the peer and listens again.
  std::uint8_t huge[4] = {0x00, 0x10, 0x00, 0x00};
  REQUIRE(::send(raw, huge, 4, MSG_NOSIGNAL) == 4);
  REQUIRE(pump_until({listener.get()}, [&] { return !connected(*listener); }));
  CHECK(!listener->has_frame());
  char byte;
  CHECK(::recv(raw, &byte, 1, 0) == 0);  // our side sees the close
  ::close(raw);
}

TEST_CASE("connect failure is reported at open with the address and the reason") {
  std::uint16_t port = free_tcp_port();
  auto r = open_netdev(parse_or_die("socket,id=c,connect=127.0.0.1:" + std::to_string(port)));
  REQUIRE(!r.ok());
  CHECK(r.error().message == "could not connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  std::string path = unix_path("none.sock");
  r = open_netdev(parse_or_die("stream,id=c,addr.type=unix,addr.path=" + path));
  REQUIRE(!r.ok());
  CHECK(r.error().message == "could not connect to " + path + ": No such file or directory");
}

TEST_CASE("a bounded send buffer: a peer that never reads makes the guest's frames drop, not pile up") {
  auto listener = open_spec("socket,id=l,listen=127.0.0.1:0");
  int raw = ::socket(AF_INET, SOCK_STREAM, 0);
  int small = 4096;
  ::setsockopt(raw, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port_of(*listener));
  REQUIRE(::connect(raw, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(pump_until({listener.get()}, [&] { return connected(*listener); }));
  auto frame = pattern_frame(65535, 1);
  // Far more than the kernel's buffers plus ours can hold.
  for (int i = 0; i < 200; ++i) listener->transmit(frame);
  CHECK(listener->dropped_tx() > 0);
  CHECK(listener->dropped_tx() < 200);
  ::close(raw);
}

TEST_CASE("the rx queue is bounded: overflow drops the newest, counted") {
  RxQueue q;
  auto f = pattern_frame(60, 1);
  for (std::size_t i = 0; i < RxQueue::kMaxFrames; ++i) CHECK(q.push(f));
  CHECK(q.full());
  CHECK(!q.push(pattern_frame(60, 2)));
  CHECK(q.dropped() == 1);
  CHECK(q.size() == RxQueue::kMaxFrames);
  CHECK(std::vector<std::uint8_t>(q.front().begin(), q.front().end()) == f);  // the oldest stays first
  q.clear();
  auto big = pattern_frame(65535, 3);
  std::size_t taken = 0;
  while (taken < 1000 && q.push(big)) ++taken;  // bounded even if the queue is not
  CHECK(taken == RxQueue::kMaxBytes / 65535);
  CHECK(q.dropped() == 2);
}

TEST_CASE("poll_backends returns the revents of the extra fds in place") {
  auto listener = open_spec("socket,id=l,listen=127.0.0.1:0");
  int p[2];
  REQUIRE(::pipe(p) == 0);
  std::vector<HostNetBackend*> backends{listener.get()};
  std::vector<pollfd> extra{pollfd{p[0], POLLIN, 0}};
  poll_backends(backends, extra, 0);
  CHECK(extra[0].revents == 0);
  REQUIRE(::write(p[1], "x", 1) == 1);
  poll_backends(backends, extra, 1000);
  CHECK((extra[0].revents & POLLIN) != 0);
  ::close(p[0]);
  ::close(p[1]);
}
