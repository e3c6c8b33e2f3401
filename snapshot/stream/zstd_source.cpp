#include "snapshot/stream/zstd_source.h"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace lockstep::snapshot::stream {

struct ZstdInput::State {
  int fd = -1;
  bool owns = false;
  ZSTD_DCtx* dctx = nullptr;
  std::vector<std::uint8_t> in;   // compressed bytes read from fd, not yet consumed
  ZSTD_inBuffer ib{nullptr, 0, 0};
  std::uint64_t consumed = 0;     // compressed bytes handed to zstd before `in`
  bool in_eof = false;
  bool frame_open = false;        // the last ZSTD_decompressStream left a frame unfinished
  bool saw_data = false;
};

ZstdInput::ZstdInput(int fd, bool owns_fd) : st_(std::make_unique<State>()) {
  st_->fd = fd;
  st_->owns = owns_fd;
  st_->dctx = ZSTD_createDCtx();
  st_->in.resize(ZSTD_DStreamInSize());
}

ZstdInput::~ZstdInput() {
  ZSTD_freeDCtx(st_->dctx);
  if (st_->owns && st_->fd >= 0) ::close(st_->fd);
}

Result<std::size_t> ZstdInput::read_some(std::uint8_t* dst, std::size_t n) {
  State& s = *st_;
  if (!s.dctx) return Error{"zstd: cannot create a decompression context"};
  ZSTD_outBuffer ob{dst, n, 0};
  while (ob.pos == 0) {
    if (s.ib.pos == s.ib.size) {
      if (s.in_eof) {
        if (s.frame_open)
          return Error{fmt::format("zstd: truncated frame: the compressed input ends at offset {} inside a frame",
                                   s.consumed)};
        return std::size_t{0};
      }
      s.consumed += s.ib.size;
      ssize_t k;
      do k = ::read(s.fd, s.in.data(), s.in.size());
      while (k < 0 && errno == EINTR);
      if (k < 0) return Error{fmt::format("zstd: read error at compressed offset {}: {}", s.consumed, std::strerror(errno))};
      if (k == 0) {
        s.in_eof = true;
        s.ib = {s.in.data(), 0, 0};
        if (!s.saw_data) return Error{"zstd: empty file"};
        continue;
      }
      s.saw_data = true;
      s.ib = {s.in.data(), static_cast<std::size_t>(k), 0};
    }
    const std::size_t before = s.ib.pos;
    const std::size_t r = ZSTD_decompressStream(s.dctx, &ob, &s.ib);
    if (ZSTD_isError(r))
      return Error{fmt::format("zstd: corrupt frame near compressed offset {}: {}", s.consumed + before,
                               ZSTD_getErrorName(r))};
    s.frame_open = r != 0;
  }
  return ob.pos;
}

Result<bool> is_zstd_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("cannot open {}: {}", path, std::strerror(errno))};
  std::uint8_t m[4] = {};
  ssize_t k = ::pread(fd, m, 4, 0);
  ::close(fd);
  return k == 4 && std::memcmp(m, kZstdMagic, 4) == 0;
}

Result<OpenedStream> open_stream_file(const std::string& path) {
  LS_TRY_ASSIGN(bool zst, is_zstd_file(path));
  OpenedStream o;
  o.compressed = zst;
  if (!zst) {
    LS_TRY_ASSIGN(o.source, ByteSource::map_file(path));  // finished files: skipping RAM pages is free
    return o;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("cannot open {}: {}", path, std::strerror(errno))};
  o.source = std::make_unique<ByteSource>(std::make_unique<ZstdInput>(fd, true));
  return o;
}

}  // namespace lockstep::snapshot::stream
