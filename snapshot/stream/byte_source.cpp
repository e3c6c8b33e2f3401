#include "snapshot/stream/byte_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <zstd.h>

namespace lockstep::snapshot::stream {

ByteSource::ByteSource(int fd, bool owns_fd) : fd_(fd), owns_(owns_fd), buf_(kBufferSize) {
  data_ = buf_.data();
  struct stat st {};
  seekable_ = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

ByteSource::ByteSource(std::unique_ptr<ByteInput> input)
    : input_(std::move(input)), fd_(-1), owns_(false), buf_(kBufferSize) {
  data_ = buf_.data();
}

Result<std::size_t> MemoryInput::read_some(std::uint8_t* dst, std::size_t n) {
  const std::size_t k = std::min(n, bytes_.size() - pos_);
  std::memcpy(dst, bytes_.data() + pos_, k);
  pos_ += k;
  return k;
}

std::unique_ptr<ByteSource> ByteSource::from_memory(std::span<const std::uint8_t> bytes) {
  return std::make_unique<ByteSource>(std::make_unique<MemoryInput>(bytes));
}

Result<std::unique_ptr<ByteSource>> ByteSource::map_file(const std::string& path) {
  LS_TRY_ASSIGN(auto src, open_file(path));
  if (!src->seekable_) return src;
  struct stat st {};
  if (fstat(src->fd_, &st) != 0) return src;
  src->mapped_ = true;
  src->file_size_ = static_cast<std::uint64_t>(st.st_size);
  src->pos_ = src->len_ = 0;
  return src;
}

void ByteSource::unmap() {
  if (map_) ::munmap(map_, map_len_);
  map_ = nullptr;
  map_len_ = 0;
}

Status ByteSource::map_at(std::uint64_t pos) {
  unmap();
  pos_ = len_ = 0;
  data_ = buf_.data();
  if (pos >= file_size_) {
    eof_ = true;
    return Ok{};
  }
  // Windows start on a 64 KiB boundary (a multiple of every page size Linux uses), so a window always
  // holds at least kMapWindow - 64 KiB bytes from pos: enough for any peek_n.
  // A file that shrank since it was opened would raise SIGBUS on access: refuse instead (the check
  // narrows the window for a concurrent truncation to one kMapWindow; finished files only).
  struct stat st {};
  if (fstat(fd_, &st) == 0 && static_cast<std::uint64_t>(st.st_size) < file_size_)
    return Error{fmt::format("the stream file shrank from {} to {} bytes while being read (at offset {})", file_size_,
                             st.st_size, pos)};
  const std::uint64_t start = pos & ~std::uint64_t{0xffff};
  const std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(kMapWindow, file_size_ - start));
  // No MAP_POPULATE or MADV_SEQUENTIAL: both measured slower here than the kernel's fault-around,
  // which maps 64 KiB per fault, so skipped RAM pages are never copied.
  void* m = ::mmap(nullptr, len, PROT_READ, MAP_PRIVATE, fd_, static_cast<off_t>(start));
  if (m == MAP_FAILED) return Error{fmt::format("cannot map the stream at offset {}: {}", start, std::strerror(errno))};
  map_ = m;
  map_len_ = len;
  data_ = static_cast<const std::uint8_t*>(m);
  pos_ = static_cast<std::size_t>(pos - start);
  len_ = len;
  return Ok{};
}

Result<std::size_t> ByteSource::raw_read(std::uint8_t* dst, std::size_t n) {
  if (input_) return input_->read_some(dst, n);
  for (;;) {
    ssize_t k = ::read(fd_, dst, n);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))  // a receive timeout (SO_RCVTIMEO) ran out
      return Error{fmt::format("no data from the migration source at offset {} within the receive timeout: "
                               "the sender stalled",
                               offset_)};
    if (k < 0) return Error{fmt::format("read error at offset {}: {}", offset_, std::strerror(errno))};
    return static_cast<std::size_t>(k);
  }
}

ByteSource::~ByteSource() {
  unmap();
  if (owns_ && fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<ByteSource>> ByteSource::open_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("cannot open {}: {}", path, std::strerror(errno))};
  return std::make_unique<ByteSource>(fd, true);
}

Status ByteSource::fill() {
  if (pos_ < len_ || eof_) return Ok{};
  if (mapped_) return map_at(offset_);
  pos_ = len_ = 0;
  LS_TRY_ASSIGN(std::size_t n, raw_read(buf_.data(), buf_.size()));
  if (n == 0) eof_ = true;
  len_ = n;
  return Ok{};
}

Status ByteSource::read(void* dst, std::size_t n) {
  auto* out = static_cast<std::uint8_t*>(dst);
  std::size_t done = 0;
  while (done < n) {
    if (pos_ == len_) {
      LS_TRY(fill());
      if (pos_ == len_)
        return Error{fmt::format("truncated stream at offset {}: needed {} more bytes, the stream ended", offset_,
                                 n - done), ErrorKind::kTruncated};
    }
    std::size_t k = std::min(n - done, len_ - pos_);
    if (out) std::memcpy(out + done, data_ + pos_, k);
    pos_ += k;
    done += k;
    offset_ += k;
  }
  return Ok{};
}

Status ByteSource::skip(std::uint64_t n) {
  if (mapped_) {
    if (n <= len_ - pos_) {
      pos_ += static_cast<std::size_t>(n);
      offset_ += n;
      return Ok{};
    }
    if (n > file_size_ - std::min(offset_, file_size_))
      return Error{fmt::format("truncated stream at offset {}: needed {} more bytes, the stream ended", file_size_,
                               n - (file_size_ - std::min(offset_, file_size_))), ErrorKind::kTruncated};
    // Leave the window; the next read maps the one it needs.
    unmap();
    data_ = buf_.data();
    pos_ = len_ = 0;
    offset_ += n;
    return Ok{};
  }
  if (seekable_ && n > len_ - pos_ + kBufferSize) {
    // Drop what is buffered, then move the file position; the fd's position is the end of the buffer.
    const std::uint64_t rest = n - (len_ - pos_);
    const off_t here = ::lseek(fd_, 0, SEEK_CUR);
    struct stat st {};
    if (here >= 0 && fstat(fd_, &st) == 0) {
      const std::uint64_t left = static_cast<std::uint64_t>(st.st_size) > static_cast<std::uint64_t>(here)
                                     ? static_cast<std::uint64_t>(st.st_size) - static_cast<std::uint64_t>(here)
                                     : 0;
      if (rest > left)
        return Error{fmt::format("truncated stream at offset {}: needed {} more bytes, the stream ended",
                                 offset_ + (len_ - pos_) + left, rest - left), ErrorKind::kTruncated};
      if (::lseek(fd_, static_cast<off_t>(rest), SEEK_CUR) >= 0) {
        offset_ += n;
        pos_ = len_ = 0;
        return Ok{};
      }
    }
  }
  while (n > 0) {
    std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, kBufferSize));
    LS_TRY(read(nullptr, k));
    n -= k;
  }
  return Ok{};
}

Result<std::uint8_t> ByteSource::peek() {
  LS_TRY(fill());
  if (pos_ == len_) return Error{fmt::format("truncated stream at offset {}: needed 1 more byte, the stream ended", offset_), ErrorKind::kTruncated};
  return data_[pos_];
}

Result<std::span<const std::uint8_t>> ByteSource::peek_n(std::size_t n) {
  n = std::min(n, buf_.size());
  if (mapped_) {
    if (len_ - pos_ < n && offset_ < file_size_) LS_TRY(map_at(offset_));
    return std::span<const std::uint8_t>(data_ + pos_, std::min(n, len_ - pos_));
  }
  if (len_ - pos_ < n && !eof_) {
    std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
    len_ -= pos_;
    pos_ = 0;
    while (len_ < n && !eof_) {
      LS_TRY_ASSIGN(std::size_t k, raw_read(buf_.data() + len_, buf_.size() - len_));
      if (k == 0) eof_ = true;
      len_ += k;
    }
  }
  return std::span<const std::uint8_t>(buf_.data() + pos_, std::min(n, len_ - pos_));
}

Result<bool> ByteSource::at_end() {
  LS_TRY(fill());
  return pos_ == len_;
}

Result<std::uint8_t> ByteSource::u8() {
  if (const std::uint8_t* p = take_buffered(1)) return *p;
  std::uint8_t v;
  LS_TRY(read(&v, 1));
  return v;
}
Result<std::uint16_t> ByteSource::be16() {
  std::uint8_t b[2];
  LS_TRY(read(b, 2));
  return static_cast<std::uint16_t>(b[0] << 8 | b[1]);
}
Result<std::uint32_t> ByteSource::be32() {
  std::uint8_t buf[4];
  const std::uint8_t* b = take_buffered(4);
  if (!b) {
    LS_TRY(read(buf, 4));
    b = buf;
  }
  return load_be32(b);
}
Result<std::uint64_t> ByteSource::be64() {
  std::uint8_t buf[8];
  const std::uint8_t* b = take_buffered(8);
  if (!b) {
    LS_TRY(read(buf, 8));
    b = buf;
  }
  return load_be64(b);
}
Result<std::string> ByteSource::counted_string() {
  LS_TRY_ASSIGN(std::uint8_t len, u8());
  std::string s(len, '\0');
  LS_TRY(read(s.data(), len));
  return s;
}

Result<std::uint64_t> ByteSource::size() {
  if (!seekable_) return Error{"the stream is not a regular file: its size is unknown"};
  struct stat st {};
  if (fstat(fd_, &st) != 0) return Error{fmt::format("fstat: {}", std::strerror(errno))};
  return static_cast<std::uint64_t>(st.st_size);
}

Status ByteSource::pread_exact(std::uint64_t pos, void* dst, std::size_t n) {
  if (!seekable_) return Error{"random access needs a regular file"};
  auto* out = static_cast<std::uint8_t*>(dst);
  std::size_t done = 0;
  while (done < n) {
    ssize_t k = ::pread(fd_, out + done, n - done, static_cast<off_t>(pos + done));
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return Error{fmt::format("read error at offset {}: {}", pos + done, std::strerror(errno))};
    if (k == 0) return Error{fmt::format("truncated stream at offset {}", pos + done), ErrorKind::kTruncated};
    done += static_cast<std::size_t>(k);
  }
  return Ok{};
}

struct ByteSink::Zstd {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  std::vector<std::uint8_t> out = std::vector<std::uint8_t>(ZSTD_CStreamOutSize());
  ~Zstd() { ZSTD_freeCCtx(ctx); }
};

ByteSink::ByteSink(int fd, bool owns_fd)
    : fd_(fd), owns_(owns_fd), buf_(std::make_unique<std::uint8_t[]>(ByteSource::kBufferSize)) {}

ByteSink::ByteSink(std::vector<std::uint8_t>* memory)
    : fd_(-1), owns_(false), memory_(memory), buf_(std::make_unique<std::uint8_t[]>(ByteSource::kBufferSize)) {}

ByteSink::~ByteSink() {
  (void)flush();
  if (owns_ && fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<ByteSink>> ByteSink::create_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error{fmt::format("cannot create {}: {}", path, std::strerror(errno))};
  return std::make_unique<ByteSink>(fd, true);
}

Status ByteSink::write_fd(const std::uint8_t* p, std::size_t n) {
  if (memory_) {
    memory_->insert(memory_->end(), p, p + n);
    return Ok{};
  }
  std::size_t done = 0;
  while (done < n) {
    ssize_t k = ::write(fd_, p + done, n - done);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return Error{fmt::format("write error: {}", std::strerror(errno))};
    done += static_cast<std::size_t>(k);
  }
  fd_bytes_ += n;
  constexpr std::uint64_t kWritebackChunk = 16u << 20;
  if (early_writeback_ && fd_bytes_ - writeback_from_ >= kWritebackChunk) {
    // Asynchronous: queues the range for writeback and returns (errors surface at fsync).
    ::sync_file_range(fd_, static_cast<off_t>(writeback_from_), static_cast<off_t>(fd_bytes_ - writeback_from_),
                      SYNC_FILE_RANGE_WRITE);
    writeback_from_ = fd_bytes_;
  }
  return Ok{};
}

Status ByteSink::emit(const std::uint8_t* p, std::size_t n) {
  if (!zstd_) return write_fd(p, n);
  ZSTD_inBuffer in{p, n, 0};
  while (in.pos < in.size) {
    ZSTD_outBuffer out{zstd_->out.data(), zstd_->out.size(), 0};
    const std::size_t r = ZSTD_compressStream2(zstd_->ctx, &out, &in, ZSTD_e_continue);
    if (ZSTD_isError(r)) return Error{fmt::format("zstd compression failed: {}", ZSTD_getErrorName(r))};
    LS_TRY(write_fd(zstd_->out.data(), out.pos));
  }
  return Ok{};
}

Status ByteSink::write_through(const void* src, std::size_t n) {
  const auto* p = static_cast<const std::uint8_t*>(src);
  LS_TRY(flush());
  if (n >= ByteSource::kBufferSize) {
    LS_TRY(emit(p, n));
    offset_ += n;
    return Ok{};
  }
  std::memcpy(buf_.get(), p, n);
  used_ = n;
  offset_ += n;
  return Ok{};
}

Status ByteSink::be16(std::uint16_t v) {
  std::uint8_t b[2] = {std::uint8_t(v >> 8), std::uint8_t(v)};
  return write(b, 2);
}
Status ByteSink::be32(std::uint32_t v) {
  std::uint8_t b[4];
  store_be32(b, v);
  return write(b, 4);
}
Status ByteSink::counted_string(const std::string& s) {
  if (s.size() > 255) return Error{fmt::format("counted string too long ({} bytes): {}", s.size(), s)};
  LS_TRY(u8(static_cast<std::uint8_t>(s.size())));
  return write(s.data(), s.size());
}

Status ByteSink::flush() {
  Status st = emit(buf_.get(), used_);
  used_ = 0;
  return st;
}

Status ByteSink::enable_zstd(int level) {
  LS_TRY(flush());
  zstd_ = std::make_unique<Zstd>();
  if (!zstd_->ctx) return Error{"zstd: cannot create a compression context"};
  ZSTD_CCtx_setParameter(zstd_->ctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(zstd_->ctx, ZSTD_c_checksumFlag, 1);
  return Ok{};
}

Status ByteSink::finish() {
  LS_TRY(flush());
  if (!zstd_) return Ok{};
  for (;;) {
    ZSTD_inBuffer in{nullptr, 0, 0};
    ZSTD_outBuffer out{zstd_->out.data(), zstd_->out.size(), 0};
    const std::size_t left = ZSTD_compressStream2(zstd_->ctx, &out, &in, ZSTD_e_end);
    if (ZSTD_isError(left)) return Error{fmt::format("zstd compression failed: {}", ZSTD_getErrorName(left))};
    LS_TRY(write_fd(zstd_->out.data(), out.pos));
    if (left == 0) break;
  }
  zstd_.reset();
  return Ok{};
}

Result<std::unique_ptr<AtomicFile>> AtomicFile::create(const std::string& path) {
  std::string temp = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(temp.data());
  if (fd < 0) return Error{fmt::format("cannot create a temporary file beside {}: {}", path, std::strerror(errno))};
  ::fchmod(fd, 0644);
  return std::unique_ptr<AtomicFile>(new AtomicFile(path, std::move(temp), fd));
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

Status AtomicFile::commit() {
  if (::fsync(fd_) != 0) return Error{fmt::format("fsync {}: {}", temp_, std::strerror(errno))};
  if (::close(fd_) != 0) {
    fd_ = -1;
    return Error{fmt::format("close {}: {}", temp_, std::strerror(errno))};
  }
  fd_ = -1;
  if (::rename(temp_.c_str(), path_.c_str()) != 0)
    return Error{fmt::format("rename {} to {}: {}", temp_, path_, std::strerror(errno))};
  committed_ = true;
  // The rename is durable only once the directory is synced.
  const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  const std::filesystem::path dir = parent.empty() ? std::filesystem::path(".") : parent;
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Ok{};
}

}  // namespace lockstep::snapshot::stream
