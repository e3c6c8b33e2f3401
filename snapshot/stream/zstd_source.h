#pragma once
// Reading zstd-compressed streams (`.mig.zst`: one zstd frame, or several, around a whole plain stream).
// A ZstdInput is a ByteInput: ByteSource buffers its output like any fd, so StreamReader and the walker
// read compressed files unchanged. Streaming with bounded buffers (ZSTD_DStreamInSize() in, the caller's
// buffer out); a corrupt or truncated frame is an Error naming the compressed offset.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "snapshot/stream/byte_source.h"

namespace lockstep::snapshot::stream {

// zstd's frame magic 0xFD2FB528, as it appears in the file (little-endian).
inline constexpr std::uint8_t kZstdMagic[4] = {0x28, 0xb5, 0x2f, 0xfd};

class ZstdInput : public ByteInput {
 public:
  // Takes ownership of fd when owns_fd is true.
  explicit ZstdInput(int fd, bool owns_fd = false);
  ~ZstdInput() override;
  ZstdInput(const ZstdInput&) = delete;
  ZstdInput& operator=(const ZstdInput&) = delete;
  Result<std::size_t> read_some(std::uint8_t* dst, std::size_t n) override;

 private:
  struct State;
  std::unique_ptr<State> st_;
};

// True when the file starts with the zstd magic (the name does not matter).
Result<bool> is_zstd_file(const std::string& path);

// Opens a stream file, plain or zstd-compressed (by its magic bytes). A compressed source is not
// seekable: locate its VM description with locate_vmdesc_by_reading() on a first source. A plain file
// is read through ByteSource::map_file.
struct OpenedStream {
  std::unique_ptr<ByteSource> source;
  bool compressed = false;
};
Result<OpenedStream> open_stream_file(const std::string& path);

}  // namespace lockstep::snapshot::stream
