#include "replay/trace_format.h"

#include <cstring>

#include <fmt/format.h>
#include <xxhash.h>
#include <zstd.h>

namespace lockstep::replay {
namespace {

void put_le(std::vector<std::uint8_t>& out, std::uint64_t v, unsigned bytes) {
  for (unsigned k = 0; k < bytes; ++k) out.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
}

// LEB128: events are mostly small numbers (icount deltas, passes, lengths).
void put_varint(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

class EventReader {
 public:
  explicit EventReader(std::span<const std::uint8_t> b) : b_(b) {}
  bool done() const { return pos_ == b_.size(); }
  Result<std::uint64_t> varint() {
    std::uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (pos_ == b_.size()) return Error{"an event ends inside a number"};
      const std::uint8_t byte = b_[pos_++];
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    return Error{"an event number is longer than 64 bits"};
  }
  Result<std::uint64_t> u64() {
    if (b_.size() - pos_ < 8) return Error{"an event ends inside a digest"};
    std::uint64_t v = 0;
    for (unsigned k = 0; k < 8; ++k) v |= static_cast<std::uint64_t>(b_[pos_ + k]) << (8 * k);
    pos_ += 8;
    return v;
  }
  Result<std::span<const std::uint8_t>> bytes(std::uint64_t n) {
    if (n > b_.size() - pos_) return Error{"an event's bytes run past the chunk"};
    auto s = b_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::span<const std::uint8_t> b_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<std::vector<std::uint8_t>> encode_chunk(const Chunk& c) {
  if (c.payload.size() > kMaxRawChunk) return Error{fmt::format("a trace chunk of {} bytes is too large", c.payload.size())};
  std::vector<std::uint8_t> out(kChunkHeaderSize + ZSTD_compressBound(c.payload.size()));
  // Level 1: record runs beside the guest; the ratio of higher levels is not worth their time here.
  const std::size_t stored = ZSTD_compress(out.data() + kChunkHeaderSize, out.size() - kChunkHeaderSize,
                                           c.payload.data(), c.payload.size(), 1);
  if (ZSTD_isError(stored)) return Error{fmt::format("zstd: {}", ZSTD_getErrorName(stored))};
  out.resize(kChunkHeaderSize + stored);
  std::vector<std::uint8_t> head;
  put_le(head, kChunkMagic, 4);
  head.push_back(static_cast<std::uint8_t>(c.type));
  head.insert(head.end(), 3, 0);
  put_le(head, stored, 4);
  put_le(head, c.payload.size(), 4);
  put_le(head, c.sequence, 8);
  std::memcpy(out.data(), head.data(), head.size());
  const std::uint64_t sum = chunk_checksum({out.data(), head.size()}, {out.data() + kChunkHeaderSize, stored});
  head.clear();
  put_le(head, sum, 8);
  std::memcpy(out.data() + 24, head.data(), 8);
  head.clear();
  put_le(head, XXH3_64bits(out.data(), 32), 8);
  std::memcpy(out.data() + 32, head.data(), 8);
  return out;
}

std::uint64_t chunk_checksum(std::span<const std::uint8_t> header24, std::span<const std::uint8_t> stored) {
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  XXH3_64bits_update(st, header24.data(), header24.size());
  XXH3_64bits_update(st, stored.data(), stored.size());
  const std::uint64_t v = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return v;
}

Result<ChunkFrame> decode_chunk_header(std::span<const std::uint8_t> h) {
  auto le = [&](unsigned at, unsigned bytes) {
    std::uint64_t v = 0;
    for (unsigned k = 0; k < bytes; ++k) v |= static_cast<std::uint64_t>(h[at + k]) << (8 * k);
    return v;
  };
  if (h.size() < kChunkHeaderSize) return Error{"a chunk header is cut short"};
  if (le(0, 4) != kChunkMagic) return Error{"no chunk starts here (bad chunk magic)"};
  if (le(32, 8) != XXH3_64bits(h.data(), 32)) return Error{"chunk header checksum mismatch"};
  ChunkFrame f;
  const std::uint8_t type = h[4];
  if (type < 1 || type > 4) return Error{fmt::format("unknown chunk type {}", type)};
  f.type = static_cast<ChunkType>(type);
  f.stored_len = static_cast<std::uint32_t>(le(8, 4));
  f.raw_len = static_cast<std::uint32_t>(le(12, 4));
  f.sequence = le(16, 8);
  f.checksum = le(24, 8);
  if (f.raw_len > kMaxRawChunk || f.stored_len > ZSTD_compressBound(f.raw_len))
    return Error{fmt::format("chunk lengths {} (stored) and {} (raw) are impossible", f.stored_len, f.raw_len)};
  return f;
}

Result<std::vector<std::uint8_t>> decode_chunk_payload(const ChunkFrame& f, std::span<const std::uint8_t> header24,
                                                        std::span<const std::uint8_t> stored) {
  if (chunk_checksum(header24, stored) != f.checksum) return Error{"checksum mismatch"};
  std::vector<std::uint8_t> raw(f.raw_len);
  const std::size_t n = ZSTD_decompress(raw.data(), raw.size(), stored.data(), stored.size());
  if (ZSTD_isError(n)) return Error{fmt::format("zstd: {}", ZSTD_getErrorName(n))};
  if (n != f.raw_len) return Error{fmt::format("decompressed to {} bytes, the header says {}", n, f.raw_len)};
  return raw;
}

std::vector<std::uint8_t> encode_events(const EventBatch& batch) {
  std::vector<std::uint8_t> out;
  put_varint(out, batch.until);
  std::uint64_t icount = 0;  // deltas: events come in icount order
  for (const TraceEvent& e : batch.events) {
    out.push_back(static_cast<std::uint8_t>(e.kind));
    put_varint(out, e.icount - icount);
    icount = e.icount;
    put_varint(out, e.pass);
    switch (e.kind) {
      case TraceEvent::Kind::ConsoleInput:
        put_varint(out, e.bytes.size());
        out.insert(out.end(), e.bytes.begin(), e.bytes.end());
        break;
      case TraceEvent::Kind::NetFrame:
        put_varint(out, e.nic);
        put_varint(out, e.bytes.size());
        out.insert(out.end(), e.bytes.begin(), e.bytes.end());
        break;
      case TraceEvent::Kind::Quit:
      case TraceEvent::Kind::Wake: break;
      case TraceEvent::Kind::Digest:
        put_le(out, e.digest, 8);
        put_varint(out, e.sections.size());
        for (std::uint64_t d : e.sections) put_le(out, d, 8);
        put_varint(out, e.ram.size());
        for (std::uint64_t d : e.ram) put_le(out, d, 8);
        break;
    }
  }
  return out;
}

Result<EventBatch> decode_events(std::span<const std::uint8_t> payload) {
  EventBatch batch;
  std::vector<TraceEvent>& events = batch.events;
  EventReader r(payload);
  LS_TRY_ASSIGN(batch.until, r.varint());
  std::uint64_t icount = 0;
  while (!r.done()) {
    TraceEvent e;
    LS_TRY_ASSIGN(std::uint64_t kind, r.varint());
    if (kind < 1 || kind > 5) return Error{fmt::format("unknown event kind {}", kind)};
    e.kind = static_cast<TraceEvent::Kind>(kind);
    LS_TRY_ASSIGN(std::uint64_t delta, r.varint());
    if (delta > ~std::uint64_t{0} - icount) return Error{"an event's icount overflows"};
    e.icount = icount += delta;
    if (e.icount > batch.until) return Error{fmt::format("an event at icount {} in a chunk that ends at {}", e.icount, batch.until)};
    LS_TRY_ASSIGN(std::uint64_t pass, r.varint());
    if (pass > 0xffffffffu) return Error{"an event's pass number is out of range"};
    e.pass = static_cast<std::uint32_t>(pass);
    if (e.kind == TraceEvent::Kind::ConsoleInput) {
      LS_TRY_ASSIGN(std::uint64_t n, r.varint());
      LS_TRY_ASSIGN(auto b, r.bytes(n));
      if (n == 0) return Error{"a console input event with no bytes"};
      e.bytes.assign(b.begin(), b.end());
    } else if (e.kind == TraceEvent::Kind::NetFrame) {
      LS_TRY_ASSIGN(std::uint64_t nic, r.varint());
      if (nic > 255) return Error{fmt::format("a network frame event for NIC {}", nic)};
      e.nic = static_cast<std::uint32_t>(nic);
      LS_TRY_ASSIGN(std::uint64_t n, r.varint());
      if (n == 0 || n > kMaxTraceFrame) return Error{fmt::format("a network frame event of {} bytes", n)};
      LS_TRY_ASSIGN(auto b, r.bytes(n));
      e.bytes.assign(b.begin(), b.end());
    } else if (e.kind == TraceEvent::Kind::Digest) {
      LS_TRY_ASSIGN(e.digest, r.u64());
      for (auto* list : {&e.sections, &e.ram}) {
        LS_TRY_ASSIGN(std::uint64_t n, r.varint());
        if (n > payload.size() / 8) return Error{"a digest event lists more digests than its chunk holds"};
        for (std::uint64_t k = 0; k < n; ++k) {
          LS_TRY_ASSIGN(std::uint64_t d, r.u64());
          list->push_back(d);
        }
      }
    }
    events.push_back(std::move(e));
  }
  return batch;
}

}  // namespace lockstep::replay
