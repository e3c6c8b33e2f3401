#pragma once
// The trace file of `lockstep record` (replay/README.md has the full layout).
//
// A trace is an 8-byte magic, then chunks. Every chunk is a 40-byte little-endian frame header
// followed by its payload, zstd-compressed:
//   u32 magic "LSCK" | u8 type | u8 reserved[3] | u32 stored_len | u32 raw_len | u64 sequence |
//   u64 XXH3-64 of (the 24 header bytes before it + the stored payload) |
//   u64 XXH3-64 of the 32 header bytes before it
// The header's own checksum tells damage from a cut: a damaged length is found before it is
// believed, and a chunk whose checked header promises more bytes than the file has was cut. A
// writer killed mid-chunk leaves such a last chunk: a reader stops before it and everything before
// it replays. Lengths are bounded (kMaxRawChunk) so hostile files cannot make a reader allocate
// without limit.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"

namespace lockstep::replay {

inline constexpr std::array<std::uint8_t, 8> kTraceMagic = {'L', 'S', 'T', 'R', 'A', 'C', 'E', '\n'};
inline constexpr std::uint32_t kChunkMagic = 0x4b43534c;  // "LSCK" little-endian
// 2: NetFrame and Wake events. A version-1 trace has neither and reads as before.
inline constexpr std::uint32_t kTraceFormatVersion = 2;
// The largest frame a NetFrame event holds: QEMU's NET_BUFSIZE-sized packets (64 KiB + headers).
inline constexpr std::size_t kMaxTraceFrame = 69632;
inline constexpr std::size_t kChunkHeaderSize = 40;
// A checkpoint chunk holds a whole snapshot stream (RAM included): the bound is generous but finite.
inline constexpr std::uint32_t kMaxRawChunk = 1u << 30;

enum class ChunkType : std::uint8_t {
  Header = 1,      // JSON: format, versions, command line, machine, images, start
  Events = 2,      // binary events (encode_events)
  Checkpoint = 3,  // u64 icount, then a snapshot stream in QEMU's format
  End = 4,         // JSON: how the run ended
};

struct Chunk {
  ChunkType type = ChunkType::Events;
  std::uint64_t sequence = 0;  // 0, 1, 2, ... in file order: a dropped or repeated chunk shows
  std::vector<std::uint8_t> payload;  // uncompressed
};

// Frame header + compressed payload, ready to append to the file.
Result<std::vector<std::uint8_t>> encode_chunk(const Chunk& c);

// A chunk's frame header, decoded and checked for sane lengths (not yet the checksum).
struct ChunkFrame {
  ChunkType type = ChunkType::Events;
  std::uint32_t stored_len = 0, raw_len = 0;
  std::uint64_t sequence = 0, checksum = 0;
};
Result<ChunkFrame> decode_chunk_header(std::span<const std::uint8_t> header);
std::uint64_t chunk_checksum(std::span<const std::uint8_t> header24, std::span<const std::uint8_t> stored);
// Checks the checksum and decompresses.
Result<std::vector<std::uint8_t>> decode_chunk_payload(const ChunkFrame& f, std::span<const std::uint8_t> header24,
                                                        std::span<const std::uint8_t> stored);

// One recorded event. Stamps are feed points (machines/console/input_source.h): (icount, pass).
struct TraceEvent {
  enum class Kind : std::uint8_t {
    ConsoleInput = 1,  // bytes handed to the console receiver at this feed point, in order
    Quit = 2,          // the run was ended here (Ctrl-A x)
    Digest = 3,        // the machine's state digests at this icount (at the first feed point there)
    NetFrame = 4,      // one Ethernet frame handed to NIC `nic` at this feed point
    Wake = 5,          // the idle guest was woken here by input (InputSource::idle_wait said true)
  };
  Kind kind = Kind::ConsoleInput;
  std::uint64_t icount = 0;
  std::uint32_t pass = 0;
  std::string bytes;                   // ConsoleInput, NetFrame
  std::uint32_t nic = 0;               // NetFrame
  std::uint64_t digest = 0;            // Digest: VirtMachine::digest()
  std::vector<std::uint64_t> sections;  // Digest: section_digest of every section, in stream order
  std::vector<std::uint64_t> ram;      // Digest: one XXH3-64 over each RAM block's page hashes

  static TraceEvent input(std::uint64_t icount, std::uint32_t pass, std::string bytes) {
    TraceEvent e;
    e.kind = Kind::ConsoleInput;
    e.icount = icount;
    e.pass = pass;
    e.bytes = std::move(bytes);
    return e;
  }
  static TraceEvent quit(std::uint64_t icount, std::uint32_t pass) { return marker(Kind::Quit, icount, pass); }
  static TraceEvent wake(std::uint64_t icount, std::uint32_t pass) { return marker(Kind::Wake, icount, pass); }
  static TraceEvent frame(std::uint64_t icount, std::uint32_t pass, std::uint32_t nic, std::string bytes) {
    TraceEvent e = marker(Kind::NetFrame, icount, pass);
    e.nic = nic;
    e.bytes = std::move(bytes);
    return e;
  }
  static TraceEvent marker(Kind kind, std::uint64_t icount, std::uint32_t pass) {
    TraceEvent e;
    e.kind = kind;
    e.icount = icount;
    e.pass = pass;
    return e;
  }
};

// An Events chunk: every event stamped before `until` that the run had, in stamp order. Icounts
// are stored as deltas from the previous event's (the first one's from 0).
struct EventBatch {
  std::uint64_t until = 0;
  std::vector<TraceEvent> events;
};
std::vector<std::uint8_t> encode_events(const EventBatch& batch);
Result<EventBatch> decode_events(std::span<const std::uint8_t> payload);

}  // namespace lockstep::replay
