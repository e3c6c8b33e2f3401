#pragma once
// Streaming byte I/O for migration streams: a bounded-buffer reader over any fd (file, pipe, socket)
// and a buffered writer. Every read is checked; running out of bytes is an Error naming the offset.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/big_endian.h"
#include "core/result.h"

namespace lockstep::snapshot::stream {

// Where a ByteSource's bytes come from when they are not read straight from an fd: a decoder such as
// the zstd decompressor (zstd_source.h). read_some returns 0 only at the end of the data.
class ByteInput {
 public:
  virtual ~ByteInput() = default;
  virtual Result<std::size_t> read_some(std::uint8_t* dst, std::size_t n) = 0;
};

// Bytes already in memory (a stream saved to a MemorySink, a fuzzer's input). Does not own them.
class MemoryInput : public ByteInput {
 public:
  explicit MemoryInput(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  Result<std::size_t> read_some(std::uint8_t* dst, std::size_t n) override;

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

class ByteSource {
 public:
  static constexpr std::size_t kBufferSize = 64 * 1024;

  // Takes ownership of fd when owns_fd is true.
  explicit ByteSource(int fd, bool owns_fd = false);
  // Reads through a decoder; never seekable.
  explicit ByteSource(std::unique_ptr<ByteInput> input);
  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  static Result<std::unique_ptr<ByteSource>> open_file(const std::string& path);
  // Reads bytes held in memory (not copied: they must outlive the source); never seekable.
  static std::unique_ptr<ByteSource> from_memory(std::span<const std::uint8_t> bytes);
  // A regular file read through a sliding read-only mapping (kMapWindow bytes) instead of read(2):
  // skipping bytes (RAM pages nobody looks at) then costs neither a copy nor a syscall, and memory
  // stays at one window. For finished files only: a file truncated by another process while mapped
  // raises SIGBUS. Anything but a regular file is opened as open_file does.
  static Result<std::unique_ptr<ByteSource>> map_file(const std::string& path);
  static constexpr std::size_t kMapWindow = 8u << 20;

  // Offset of the next byte to be read, from the start of the stream.
  std::uint64_t offset() const { return offset_; }
  // Reads exactly n bytes or fails with "truncated stream at offset X: ...".
  Status read(void* dst, std::size_t n);
  // On a regular file, long skips seek instead of reading (checked against the file size).
  Status skip(std::uint64_t n);
  // Next byte without consuming it; an Error at the end of the stream.
  Result<std::uint8_t> peek();
  // Up to n (<= kBufferSize) next bytes without consuming them; fewer only at the end of the stream.
  Result<std::span<const std::uint8_t>> peek_n(std::size_t n);
  // True when no byte is left (a read attempt may block on pipes).
  Result<bool> at_end();

  Result<std::uint8_t> u8();
  Result<std::uint16_t> be16();
  Result<std::uint32_t> be32();
  Result<std::uint64_t> be64();
  // u8 length + bytes (QEMU's counted string).
  Result<std::string> counted_string();

  // A live source (a socket): the stream ends where its VM description ends, and readers must not
  // wait for the sender to close (it may keep the connection open).
  void set_live(bool live) { live_ = live; }
  bool live() const { return live_; }

  // Random access, for locating the trailing vmdesc; only for regular files.
  bool seekable() const { return seekable_; }
  Result<std::uint64_t> size();
  // Reads n bytes at an absolute position without moving the stream position.
  Status pread_exact(std::uint64_t pos, void* dst, std::size_t n);

 private:
  Status fill();
  // Mapped mode: maps the window holding file position pos (data_/pos_/len_ follow).
  Status map_at(std::uint64_t pos);
  void unmap();
  // The next n bytes when the buffer (or mapped window) already holds them, consumed; else null.
  // The integer readers' fast path: a RAM section is mostly 8-byte page headers.
  const std::uint8_t* take_buffered(std::size_t n) {
    if (len_ - pos_ < n) return nullptr;
    const std::uint8_t* p = data_ + pos_;
    pos_ += n;
    offset_ += n;
    return p;
  }
  // One read(2) (or ByteInput::read_some) into dst; 0 at the end.
  Result<std::size_t> raw_read(std::uint8_t* dst, std::size_t n);
  std::unique_ptr<ByteInput> input_;
  int fd_;
  bool owns_;
  bool seekable_ = false;
  bool live_ = false;
  bool eof_ = false;
  std::vector<std::uint8_t> buf_;
  const std::uint8_t* data_ = nullptr;  // buf_.data(), or the current mapped window
  std::size_t pos_ = 0, len_ = 0;       // within data_
  std::uint64_t offset_ = 0;
  bool mapped_ = false;
  void* map_ = nullptr;
  std::size_t map_len_ = 0;
  std::uint64_t file_size_ = 0;  // mapped mode: the size when opened
};

class ByteSink {
 public:
  explicit ByteSink(int fd, bool owns_fd = false);
  // Appends to *memory instead of writing an fd: in-process migration (save, then load from memory).
  explicit ByteSink(std::vector<std::uint8_t>* memory);
  ~ByteSink();
  ByteSink(const ByteSink&) = delete;
  ByteSink& operator=(const ByteSink&) = delete;
  static Result<std::unique_ptr<ByteSink>> create_file(const std::string& path);

  std::uint64_t offset() const { return offset_; }
  // Inline while the bytes fit the buffer: a RAM section is millions of 8-byte page headers.
  Status write(const void* src, std::size_t n) {
    if (n > ByteSource::kBufferSize - used_) return write_through(src, n);
    std::memcpy(buf_.get() + used_, src, n);
    used_ += n;
    offset_ += n;
    return Ok{};
  }
  Status u8(std::uint8_t v) { return write(&v, 1); }
  Status be16(std::uint16_t v);
  Status be32(std::uint32_t v);
  Status be64(std::uint64_t v) {
    std::uint8_t b[8];
    store_be64(b, v);
    return write(b, 8);
  }
  Status counted_string(const std::string& s);
  // Hands buffered bytes to the fd (through the compressor when zstd is on).
  Status flush();
  // From now on, everything written is one zstd frame around the stream (`.zst` files); offset()
  // still counts uncompressed stream bytes. finish() ends the frame; call it before closing.
  Status enable_zstd(int level = 1);
  // For files that will be fsynced: start writeback every few MiB while writing, so the final
  // fsync finds little left to do (the disk works while the stream is still being produced).
  void enable_early_writeback() { early_writeback_ = true; }
  Status finish();

 private:
  Status emit(const std::uint8_t* p, std::size_t n);  // to the fd, compressing when zstd is on
  Status write_through(const void* src, std::size_t n);  // write() when the buffer is too full
  Status write_fd(const std::uint8_t* p, std::size_t n);
  int fd_;
  bool owns_;
  std::vector<std::uint8_t>* memory_ = nullptr;
  std::unique_ptr<std::uint8_t[]> buf_;  // kBufferSize bytes, used_ of them filled
  std::size_t used_ = 0;
  std::uint64_t offset_ = 0;
  struct Zstd;
  std::unique_ptr<Zstd> zstd_;
  bool early_writeback_ = false;
  std::uint64_t fd_bytes_ = 0, writeback_from_ = 0;  // bytes written to the fd; writeback started below
};

// A file written under a temporary name in the same directory and renamed over the final name only
// by commit() (after fsync), so an interrupted save never leaves a partial file under the final name.
class AtomicFile {
 public:
  static Result<std::unique_ptr<AtomicFile>> create(const std::string& path);
  ~AtomicFile();  // not committed: the temporary file is removed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  int fd() const { return fd_; }
  const std::string& temp_path() const { return temp_; }
  // fsync, rename over the final name, fsync the directory.
  Status commit();

 private:
  AtomicFile(std::string path, std::string temp, int fd) : path_(std::move(path)), temp_(std::move(temp)), fd_(fd) {}
  std::string path_, temp_;
  int fd_;
  bool committed_ = false;
};

}  // namespace lockstep::snapshot::stream
