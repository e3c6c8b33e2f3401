#include "replay/trace_reader.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include <fmt/format.h>

namespace lockstep::replay {
namespace {

using FilePtr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

FilePtr open_file(const std::string& path) { return FilePtr(std::fopen(path.c_str(), "rb"), std::fclose); }

struct RawChunk {
  ChunkFrame frame;
  std::vector<std::uint8_t> payload;  // decompressed
};

// One chunk at the file's current position; `cut` set when the file ends inside it.
Result<RawChunk> read_chunk(std::FILE* f, bool& cut) {
  cut = false;
  std::uint8_t head[kChunkHeaderSize];
  const std::size_t got = std::fread(head, 1, sizeof head, f);
  if (got < sizeof head) {
    cut = true;
    return Error{got == 0 ? "the file ends here" : "the file ends inside a chunk header"};
  }
  LS_TRY_ASSIGN(ChunkFrame frame, decode_chunk_header({head, sizeof head}));
  std::vector<std::uint8_t> stored(frame.stored_len);
  if (std::fread(stored.data(), 1, stored.size(), f) < stored.size()) {
    cut = true;
    return Error{"the file ends inside a chunk"};
  }
  LS_TRY_ASSIGN(auto payload, decode_chunk_payload(frame, {head, 24}, stored));
  return RawChunk{frame, std::move(payload)};
}

Result<nlohmann::ordered_json> parse_json(const std::vector<std::uint8_t>& bytes, const char* what) {
  auto j = nlohmann::ordered_json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Error{fmt::format("the {} chunk is not a JSON object", what)};
  return j;
}

}  // namespace

Result<Trace> read_trace(const std::string& path) {
  FilePtr f = open_file(path);
  if (!f) return Error{fmt::format("cannot open trace '{}'", path)};
  Trace t;
  std::fseek(f.get(), 0, SEEK_END);
  t.file_size = static_cast<std::uint64_t>(std::ftell(f.get()));
  std::fseek(f.get(), 0, SEEK_SET);
  std::uint8_t magic[kTraceMagic.size()];
  if (std::fread(magic, 1, sizeof magic, f.get()) != sizeof magic || !std::equal(magic, magic + sizeof magic, kTraceMagic.begin()))
    return Error{fmt::format("'{}' is not a lockstep trace (no LSTRACE magic)", path)};
  std::uint64_t offset = sizeof magic;
  for (;;) {
    bool cut = false;
    auto chunk = read_chunk(f.get(), cut);
    if (!chunk) {
      if (t.end && cut && offset == t.file_size) break;  // the end chunk was the last: a whole trace
      if (t.chunks == 0) return Error{fmt::format("trace '{}': the header chunk is unreadable: {}", path, chunk.error().message)};
      t.damage = TraceDamage{cut ? TraceDamage::Kind::Cut : TraceDamage::Kind::Corrupt, t.chunks, offset, chunk.error().message};
      break;
    }
    const ChunkFrame& fr = chunk->frame;
    if (fr.sequence != t.chunks) {
      t.damage = TraceDamage{TraceDamage::Kind::Corrupt, t.chunks, offset,
                             fmt::format("chunk number {} where {} belongs (a chunk dropped or repeated)", fr.sequence, t.chunks)};
      break;
    }
    if ((t.chunks == 0) != (fr.type == ChunkType::Header)) {
      if (t.chunks == 0) return Error{fmt::format("trace '{}' does not start with a header chunk", path)};
      t.damage = TraceDamage{TraceDamage::Kind::Corrupt, t.chunks, offset, "a second header chunk"};
      break;
    }
    if (t.end) {
      t.damage = TraceDamage{TraceDamage::Kind::Corrupt, t.chunks, offset, "a chunk after the end chunk"};
      break;
    }
    std::string bad;
    switch (fr.type) {
      case ChunkType::Header: {
        auto j = parse_json(chunk->payload, "header");
        if (!j) return Error{fmt::format("trace '{}': {}", path, j.error().message)};
        t.header = std::move(j.value());
        break;
      }
      case ChunkType::Events: {
        auto batch = decode_events(chunk->payload);
        if (!batch) {
          bad = batch.error().message;
          break;
        }
        if (batch->until < t.complete_until || (!batch->events.empty() && !t.events.empty() &&
                                                batch->events.front().icount < t.events.back().icount)) {
          bad = "its events go back in time";
          break;
        }
        t.complete_until = batch->until;
        for (auto& e : batch->events) t.events.push_back(std::move(e));
        break;
      }
      case ChunkType::Checkpoint: {
        if (chunk->payload.size() < 8) {
          bad = "a checkpoint chunk without an icount";
          break;
        }
        std::uint64_t icount = 0;
        for (unsigned k = 0; k < 8; ++k) icount |= static_cast<std::uint64_t>(chunk->payload[k]) << (8 * k);
        t.checkpoints.push_back({icount, offset});
        break;
      }
      case ChunkType::End: {
        auto j = parse_json(chunk->payload, "end");
        if (!j) {
          bad = j.error().message;
          break;
        }
        t.end = std::move(j.value());
        break;
      }
    }
    if (!bad.empty()) {
      t.damage = TraceDamage{TraceDamage::Kind::Corrupt, t.chunks, offset, bad};
      break;
    }
    ++t.chunks;
    offset += kChunkHeaderSize + fr.stored_len;
  }
  if (t.damage && t.damage->kind == TraceDamage::Kind::Cut && t.damage->reason == "the file ends here")
    t.damage->reason = "the file ends before the end chunk";
  return t;
}

Result<std::vector<std::uint8_t>> read_checkpoint(const std::string& path, const TraceCheckpoint& at) {
  FilePtr f = open_file(path);
  if (!f || std::fseek(f.get(), static_cast<long>(at.offset), SEEK_SET) != 0)
    return Error{fmt::format("cannot read trace '{}'", path)};
  bool cut = false;
  LS_TRY_ASSIGN(RawChunk chunk, read_chunk(f.get(), cut));
  if (chunk.frame.type != ChunkType::Checkpoint || chunk.payload.size() < 8)
    return Error{fmt::format("trace '{}': no checkpoint at offset {}", path, at.offset)};
  chunk.payload.erase(chunk.payload.begin(), chunk.payload.begin() + 8);
  return std::move(chunk.payload);
}

}  // namespace lockstep::replay
