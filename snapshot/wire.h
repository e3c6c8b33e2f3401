#pragma once
// Big-endian byte writer/reader for QEMU's migration wire encoding. The reader never reads past
// its span and never allocates: every take() is checked against what is left.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "core/big_endian.h"

namespace lockstep::snapshot {

class Writer {
 public:
  void put_u8(std::uint8_t v) { buf_.push_back(v); }
  void put_be16(std::uint16_t v) { put_be(v, 2); }
  void put_be32(std::uint32_t v) { put_be(v, 4); }
  void put_be64(std::uint64_t v) { put_be(v, 8); }
  void put_bytes(std::span<const std::uint8_t> b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  // u8 length + bytes, no NUL; callers keep names <= 255 bytes (descriptions are static).
  void put_counted(std::string_view s) {
    put_u8(static_cast<std::uint8_t>(s.size()));
    buf_.insert(buf_.end(), s.begin(), s.end());
  }
  std::size_t size() const { return buf_.size(); }
  const std::vector<std::uint8_t>& bytes() const { return buf_; }
  std::vector<std::uint8_t> take() { return std::move(buf_); }

 private:
  void put_be(std::uint64_t v, unsigned n) {
    std::uint8_t b[8];
    store_be64(b, v << (64 - 8 * n));  // the n low bytes, most significant first
    buf_.insert(buf_.end(), b, b + n);
  }
  std::vector<std::uint8_t> buf_;
};

class Reader {
 public:
  // base_offset: where data[0] sits in the whole stream, so errors name stream offsets.
  explicit Reader(std::span<const std::uint8_t> data, std::size_t base_offset = 0)
      : data_(data), base_(base_offset) {}
  std::size_t offset() const { return base_ + pos_; }
  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }
  void seek(std::size_t pos) { pos_ = pos <= data_.size() ? pos : data_.size(); }
  bool peek_u8(std::uint8_t& v) const {
    if (remaining() < 1) return false;
    v = data_[pos_];
    return true;
  }
  bool get_u8(std::uint8_t& v) { return get_be(v, 1); }
  bool get_be16(std::uint16_t& v) { return get_be(v, 2); }
  bool get_be32(std::uint32_t& v) { return get_be(v, 4); }
  bool get_be64(std::uint64_t& v) { return get_be(v, 8); }
  bool get_bytes(std::span<std::uint8_t> out) {
    if (remaining() < out.size()) return false;
    if (!out.empty()) std::memcpy(out.data(), data_.data() + pos_, out.size());
    pos_ += out.size();
    return true;
  }
  bool get_counted(std::string_view& s) {
    std::uint8_t n = 0;
    if (!peek_u8(n) || remaining() < 1u + n) return false;
    s = std::string_view(reinterpret_cast<const char*>(data_.data() + pos_ + 1), n);
    pos_ += 1u + n;
    return true;
  }

 private:
  template <typename T>
  bool get_be(T& v, unsigned n) {
    if (remaining() < n) return false;
    std::uint64_t r = 0;
    for (unsigned i = 0; i < n; ++i) r = (r << 8) | data_[pos_ + i];
    v = static_cast<T>(r);
    pos_ += n;
    return true;
  }
  std::span<const std::uint8_t> data_;
  std::size_t base_ = 0;
  std::size_t pos_ = 0;
};

}  // namespace lockstep::snapshot
