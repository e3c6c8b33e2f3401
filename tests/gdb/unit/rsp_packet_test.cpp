// The remote protocol's framing: checksums, escaping, control bytes, and hostile input.
#include <doctest/doctest.h>

#include <random>

#include "replay/gdb/rsp_packet.h"

namespace gdb = lockstep::replay::gdb;
using Kind = gdb::RspEvent::Kind;

namespace {

std::vector<gdb::RspEvent> parse(std::string_view bytes, bool one_at_a_time = false) {
  gdb::PacketParser p;
  std::vector<gdb::RspEvent> out;
  if (!one_at_a_time) {
    p.feed(bytes, out);
  } else {
    for (char c : bytes) p.feed(std::string_view(&c, 1), out);
  }
  return out;
}

}  // namespace

TEST_CASE("packet: the checksum is the byte sum modulo 256, two lowercase hex digits") {
  CHECK(gdb::frame_packet("OK") == "$OK#9a");
  CHECK(gdb::frame_packet("") == "$#00");
  CHECK(gdb::frame_packet("qSupported") == "$qSupported#37");
}

TEST_CASE("packet: '$', '#', '}' and '*' are escaped and come back unchanged") {
  const std::string payload = std::string("a$b#c}d*e") + '\0' + "\x03\xff";
  const std::string framed = gdb::frame_packet(payload);
  CHECK(framed.find('*') == std::string::npos);
  CHECK(framed.substr(1, framed.size() - 4).find('$') == std::string::npos);
  for (bool bytewise : {false, true}) {
    auto ev = parse(framed, bytewise);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].kind == Kind::Packet);
    CHECK(ev[0].payload == payload);
  }
}

TEST_CASE("packet: control bytes outside packets, noise ignored") {
  auto ev = parse("+-\x03garbage$g#67+");
  REQUIRE(ev.size() == 5);
  CHECK(ev[0].kind == Kind::Ack);
  CHECK(ev[1].kind == Kind::Nak);
  CHECK(ev[2].kind == Kind::Interrupt);
  CHECK(ev[3].kind == Kind::Packet);
  CHECK(ev[3].payload == "g");
  CHECK(ev[4].kind == Kind::Ack);
}

TEST_CASE("packet: a wrong or non-hex checksum is reported, not delivered") {
  auto ev = parse("$g#68$g#zz$g#67");
  REQUIRE(ev.size() == 3);
  CHECK(ev[0].kind == Kind::BadChecksum);
  CHECK(ev[1].kind == Kind::BadChecksum);
  CHECK(ev[2].kind == Kind::Packet);
}

TEST_CASE("packet: a '$' inside a packet starts over (a resend after a lost byte)") {
  auto ev = parse("$m0,4$g#67");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].payload == "g");
}

TEST_CASE("packet: an over-long packet is dropped with bounded memory") {
  std::string huge = "$" + std::string(gdb::kMaxPacket * 4, 'A') + "#00";
  auto ev = parse(huge);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == Kind::TooLong);
  CHECK(ev[0].payload.empty());
  // The parser is usable afterwards.
  ev = parse(huge + gdb::frame_packet("?"));
  REQUIRE(ev.size() == 2);
  CHECK(ev[1].payload == "?");
}

TEST_CASE("packet: random bytes never crash the parser and never grow a payload past the limit") {
  std::mt19937 rng(12);
  gdb::PacketParser p;
  for (int round = 0; round < 200; ++round) {
    std::string bytes(rng() % 5000, '\0');
    for (char& c : bytes) c = "$#}*+-\x03" "0123456789abcdefxyz"[rng() % 26];
    std::vector<gdb::RspEvent> out;
    p.feed(bytes, out);
    for (const auto& e : out) CHECK(e.payload.size() <= gdb::kMaxPacket);
  }
}

TEST_CASE("hex helpers: strict parsing") {
  CHECK(gdb::to_hex(std::string_view("\x01\xab", 2)) == "01ab");
  CHECK(gdb::from_hex("01aB") == std::vector<std::uint8_t>{0x01, 0xab});
  CHECK_FALSE(gdb::from_hex("abc"));
  CHECK_FALSE(gdb::from_hex("zz"));
  CHECK(gdb::parse_hex("ffffffffffffffff") == ~std::uint64_t{0});
  CHECK_FALSE(gdb::parse_hex("1ffffffffffffffff"));  // 17 digits
  CHECK_FALSE(gdb::parse_hex(""));
  CHECK_FALSE(gdb::parse_hex("-1"));
  CHECK(gdb::le_hex(0x1122334455667788, 8) == "8877665544332211");
  CHECK(gdb::le_hex(0x12345, 4) == "45230100");
}
