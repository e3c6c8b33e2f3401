#include "snapshot/stream/zstd_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <zstd.h>

namespace lockstep::snapshot::stream {
namespace {

struct ZstdReader {
  int fd;
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  std::vector<std::uint8_t> in = std::vector<std::uint8_t>(ZSTD_DStreamInSize());
  std::size_t in_pos = 0, in_len = 0;
  std::uint64_t compressed_offset = 0;  // of in[0]
  bool input_done = false;
  bool frame_open = false;  // inside a frame: the end of input now is a truncation
  ~ZstdReader() {
    ZSTD_freeDCtx(ctx);
    ::close(fd);
  }

  Result<std::size_t> produce(std::uint8_t* dst, std::size_t n) {
    ZSTD_outBuffer out{dst, n, 0};
    while (out.pos == 0) {
      if (in_pos == in_len && !input_done) {
        compressed_offset += in_len;
        in_pos = in_len = 0;
        ssize_t k;
        do k = ::read(fd, in.data(), in.size());
        while (k < 0 && errno == EINTR);
        if (k < 0) return Error{fmt::format("read error in the zstd file: {}", std::strerror(errno))};
        if (k == 0) input_done = true;
        in_len = static_cast<std::size_t>(k);
      }
      if (in_pos == in_len && input_done) {
        if (frame_open)
          return Error{fmt::format("truncated zstd frame: the compressed file ends at offset {} inside a frame",
                                   compressed_offset + in_len)};
        return std::size_t{0};
      }
      ZSTD_inBuffer zin{in.data(), in_len, in_pos};
      const std::size_t r = ZSTD_decompressStream(ctx, &out, &zin);
      if (ZSTD_isError(r))
        return Error{fmt::format("corrupt zstd data near compressed offset {}: {}", compressed_offset + zin.pos,
                                 ZSTD_getErrorName(r))};
      in_pos = zin.pos;
      frame_open = r != 0;
    }
    return out.pos;
  }
};

}  // namespace

std::unique_ptr<ByteSource> zstd_source(int fd) {
  auto reader = std::make_shared<ZstdReader>();
  reader->fd = fd;
  return std::make_unique<ByteSource>(
      ByteSource::Producer([reader](std::uint8_t* dst, std::size_t n) { return reader->produce(dst, n); }));
}

Result<std::unique_ptr<ByteSource>> open_zstd_source(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("cannot open {}: {}", path, std::strerror(errno))};
  return zstd_source(fd);
}

}  // namespace lockstep::snapshot::stream
