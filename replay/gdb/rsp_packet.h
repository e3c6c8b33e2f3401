#pragma once
// GDB remote serial protocol framing: `$payload#cs` packets with '}'-escaping and a modulo-256
// checksum, the acknowledgement bytes '+' / '-', and the interrupt byte 0x03 (Ctrl-C) that gdb
// sends outside any packet. Pure functions and a byte-at-a-time parser: no sockets here.
//
// Untrusted input: the parser keeps at most kMaxPacket payload bytes of one packet (the rest is
// read and dropped, and the packet is reported as TooLong), so a peer cannot make it allocate
// without bound.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::replay::gdb {

// The largest payload accepted, and what qSupported announces as PacketSize.
inline constexpr std::size_t kMaxPacket = 16384;

struct RspEvent {
  enum class Kind {
    Packet,       // payload holds the unescaped packet body
    Interrupt,    // 0x03 outside a packet
    Ack,          // '+'
    Nak,          // '-': the peer wants the last packet again
    BadChecksum,  // a packet arrived damaged (reply with '-' in acknowledgement mode)
    TooLong,      // a packet longer than kMaxPacket (its payload was dropped)
  };
  Kind kind = Kind::Packet;
  std::string payload;
};

// Turns the byte stream from gdb into events. Bytes between packets other than the three
// control bytes are ignored, as gdbserver does.
class PacketParser {
 public:
  void feed(std::string_view bytes, std::vector<RspEvent>& out);

 private:
  enum class State { Idle, Body, Escape, Check1, Check2 };
  State state_ = State::Idle;
  std::string body_;
  std::uint8_t sum_ = 0;
  std::uint8_t check_ = 0;
  bool check_ok_ = true;
  bool too_long_ = false;
};

// `$` + escaped payload + `#` + two hex digits. '$', '#', '}' and '*' (gdb reads '*' as run-length
// encoding in replies) are escaped, so any bytes may be sent.
std::string frame_packet(std::string_view payload);

// Hex text, two lowercase digits per byte.
std::string to_hex(std::span<const std::uint8_t> bytes);
std::string to_hex(std::string_view text);
// Pairs of hex digits to bytes; nullopt for an odd length or a non-hex digit.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex);
// A hex number of 1 to 16 digits (no sign, no prefix); nullopt otherwise.
std::optional<std::uint64_t> parse_hex(std::string_view hex);
// `value`'s low `bytes` bytes, least significant first (the target's byte order), as hex.
std::string le_hex(std::uint64_t value, unsigned bytes);

}  // namespace lockstep::replay::gdb
