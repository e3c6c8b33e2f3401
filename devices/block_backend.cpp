#include "devices/block_backend.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace lockstep::devices {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

Result<std::unique_ptr<BlockBackend>> BlockBackend::open(const std::string& path, Options options) {
  const bool writable = !options.read_only && !options.snapshot;
  // O_NONBLOCK so that a FIFO cannot block the open; it is refused just below.
  const int fd = ::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Error{fmt::format("Could not open '{}': {}", path, errno_text(errno))};
  struct stat st{};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Error{fmt::format("Could not open '{}': {}", path, errno_text(err))};
  }
  u64 size = 0;
  if (S_ISREG(st.st_mode)) {
    size = static_cast<u64>(st.st_size);
  } else if (S_ISBLK(st.st_mode)) {
    const off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0) {
      const int err = errno;
      ::close(fd);
      return Error{fmt::format("Could not open '{}': {}", path, errno_text(err))};
    }
    size = static_cast<u64>(end);
  } else {
    ::close(fd);
    return Error{fmt::format("Could not open '{}': {}", path,
                             S_ISDIR(st.st_mode) ? "Is a directory" : "not a regular file or block device")};
  }
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return std::unique_ptr<BlockBackend>(new BlockBackend(path, fd, size, options));
}

BlockBackend::BlockBackend(std::string path, int fd, u64 file_size, Options options)
    : path_(std::move(path)),
      fd_(fd),
      file_size_(file_size),
      sectors_((file_size + kSectorSize - 1) / kSectorSize),
      options_(options) {}

BlockBackend::~BlockBackend() {
  if (fd_ >= 0) ::close(fd_);
}

Status BlockBackend::check(u64 offset, u64 len, bool writing) const {
  if (offset > size() || len > size() - offset) {
    return Error{fmt::format("'{}': access at {} (+{} bytes) is beyond the end of the disk ({} bytes)", path_, offset,
                             len, size())};
  }
  if (writing && options_.read_only) return Error{fmt::format("'{}' is read-only", path_)};
  return Ok{};
}

// Reads the file; bytes past its end (the rest of a partial last sector) read as zero.
Status BlockBackend::read_file(u64 offset, u8* buf, u64 len) {
  while (len > 0) {
    if (offset >= file_size_) {
      std::memset(buf, 0, len);
      return Ok{};
    }
    const u64 want = std::min<u64>({len, file_size_ - offset, u64{1} << 30});
    const ssize_t n = pread(fd_, buf, want, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{fmt::format("'{}': read error at {}: {}", path_, offset, errno_text(errno))};
    }
    if (n == 0) {  // the file shrank under us
      std::memset(buf, 0, len);
      return Ok{};
    }
    buf += n;
    offset += static_cast<u64>(n);
    len -= static_cast<u64>(n);
  }
  return Ok{};
}

Status BlockBackend::write_file(u64 offset, const u8* buf, u64 len) {
  while (len > 0) {
    const u64 want = std::min<u64>(len, u64{1} << 30);
    const ssize_t n = pwrite(fd_, buf, want, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{fmt::format("'{}': write error at {}: {}", path_, offset, errno_text(errno))};
    }
    if (n == 0) return Error{fmt::format("'{}': write error at {}: no progress", path_, offset)};
    buf += n;
    offset += static_cast<u64>(n);
    len -= static_cast<u64>(n);
    file_size_ = std::max(file_size_, offset);
  }
  return Ok{};
}

Result<u8*> BlockBackend::overlay_chunk(u64 index) {
  auto it = overlay_.find(index);
  if (it != overlay_.end()) return it->second->data();
  auto chunk = std::make_unique<std::array<u8, kChunk>>();
  const u64 start = index * kChunk;
  const u64 len = std::min<u64>(kChunk, size() - start);
  chunk->fill(0);
  if (Status s = read_file(start, chunk->data(), len); !s) return s.error();
  u8* data = chunk->data();
  overlay_.emplace(index, std::move(chunk));
  return data;
}

Status BlockBackend::read(u64 offset, void* buf, u64 len) {
  if (Status s = check(offset, len, false); !s) return s;
  u8* out = static_cast<u8*>(buf);
  if (overlay_.empty()) return read_file(offset, out, len);
  while (len > 0) {
    const u64 index = offset / kChunk;
    const u64 within = offset % kChunk;
    const u64 n = std::min(len, kChunk - within);
    auto it = overlay_.find(index);
    if (it != overlay_.end()) {
      std::memcpy(out, it->second->data() + within, n);
    } else if (Status s = read_file(offset, out, n); !s) {
      return s;
    }
    out += n;
    offset += n;
    len -= n;
  }
  return Ok{};
}

Status BlockBackend::write(u64 offset, const void* buf, u64 len) {
  if (Status s = check(offset, len, true); !s) return s;
  const u8* in = static_cast<const u8*>(buf);
  if (!options_.snapshot) return write_file(offset, in, len);
  while (len > 0) {
    const u64 within = offset % kChunk;
    const u64 n = std::min(len, kChunk - within);
    auto chunk = overlay_chunk(offset / kChunk);
    if (!chunk) return chunk.error();
    std::memcpy(chunk.value() + within, in, n);
    in += n;
    offset += n;
    len -= n;
  }
  return Ok{};
}

Status BlockBackend::write_zeroes(u64 offset, u64 len) {
  if (Status s = check(offset, len, true); !s) return s;
  static const std::array<u8, 65536> kZeroes{};
  while (len > 0) {
    const u64 n = std::min<u64>(len, kZeroes.size());
    if (Status s = write(offset, kZeroes.data(), n); !s) return s;
    offset += n;
    len -= n;
  }
  return Ok{};
}

Status BlockBackend::flush() {
  if (options_.read_only || options_.snapshot) return Ok{};
  if (fdatasync(fd_) != 0) return Error{fmt::format("'{}': flush failed: {}", path_, errno_text(errno))};
  return Ok{};
}

}  // namespace lockstep::devices
