#pragma once
// Reading `.zst` snapshots: a ByteSource whose bytes are the zstd-decompressed contents of a file
// or fd, decompressed as they are read (bounded buffers; a 1 GiB stream never sits in memory).
#include <memory>
#include <string>

#include "snapshot/stream/byte_source.h"

namespace lockstep::snapshot::stream {

inline bool is_zstd_magic(std::span<const std::uint8_t> b) {
  return b.size() >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd;
}

// Takes ownership of fd. A corrupt or truncated frame is an Error naming the compressed offset.
std::unique_ptr<ByteSource> zstd_source(int fd);
Result<std::unique_ptr<ByteSource>> open_zstd_source(const std::string& path);

}  // namespace lockstep::snapshot::stream
