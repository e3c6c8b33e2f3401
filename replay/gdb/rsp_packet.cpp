#include "replay/gdb/rsp_packet.h"

namespace lockstep::replay::gdb {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void PacketParser::feed(std::string_view bytes, std::vector<RspEvent>& out) {
  for (const char c : bytes) {
    const auto byte = static_cast<std::uint8_t>(c);
    switch (state_) {
      case State::Idle:
        if (c == '$') {
          state_ = State::Body;
          body_.clear();
          sum_ = 0;
          too_long_ = false;
        } else if (byte == 0x03) {
          out.push_back({RspEvent::Kind::Interrupt, {}});
        } else if (c == '+') {
          out.push_back({RspEvent::Kind::Ack, {}});
        } else if (c == '-') {
          out.push_back({RspEvent::Kind::Nak, {}});
        }
        break;
      case State::Body:
      case State::Escape:
        if (c == '#' && state_ == State::Body) {
          state_ = State::Check1;
          break;
        }
        if (c == '$' && state_ == State::Body) {  // a new packet before this one ended: resynchronise
          body_.clear();
          sum_ = 0;
          too_long_ = false;
          break;
        }
        sum_ = static_cast<std::uint8_t>(sum_ + byte);
        if (state_ == State::Body && c == '}') {
          state_ = State::Escape;
          break;
        }
        if (body_.size() < kMaxPacket) {
          body_.push_back(state_ == State::Escape ? static_cast<char>(byte ^ 0x20) : c);
        } else {
          too_long_ = true;
        }
        state_ = State::Body;
        break;
      case State::Check1:
      case State::Check2: {
        const int v = hex_value(c);
        if (state_ == State::Check1) {
          check_ok_ = v >= 0;
          check_ = static_cast<std::uint8_t>(v < 0 ? 0 : v << 4);
          state_ = State::Check2;
          break;
        }
        check_ok_ = check_ok_ && v >= 0;
        check_ = static_cast<std::uint8_t>(check_ | (v < 0 ? 0 : v));
        state_ = State::Idle;
        if (too_long_) {
          out.push_back({RspEvent::Kind::TooLong, {}});
        } else if (!check_ok_ || check_ != sum_) {
          out.push_back({RspEvent::Kind::BadChecksum, {}});
        } else {
          out.push_back({RspEvent::Kind::Packet, std::move(body_)});
        }
        body_.clear();
        break;
      }
    }
  }
}

std::string frame_packet(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 4);
  out.push_back('$');
  std::uint8_t sum = 0;
  auto put = [&](char c) {
    out.push_back(c);
    sum = static_cast<std::uint8_t>(sum + static_cast<std::uint8_t>(c));
  };
  for (const char c : payload) {
    if (c == '$' || c == '#' || c == '}' || c == '*') {
      put('}');
      put(static_cast<char>(static_cast<std::uint8_t>(c) ^ 0x20));
    } else {
      put(c);
    }
  }
  out.push_back('#');
  out.push_back(kDigits[sum >> 4]);
  out.push_back(kDigits[sum & 15]);
  return out;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::string to_hex(std::string_view text) {
  return to_hex(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::vector<std::uint8_t> out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::optional<std::uint64_t> parse_hex(std::string_view hex) {
  if (hex.empty() || hex.size() > 16) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : hex) {
    const int d = hex_value(c);
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<std::uint64_t>(d);
  }
  return v;
}

std::string le_hex(std::uint64_t value, unsigned bytes) {
  std::string out;
  for (unsigned i = 0; i < bytes; ++i) {
    const auto b = static_cast<std::uint8_t>(value >> (8 * i));
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

}  // namespace lockstep::replay::gdb
