#pragma once
#include <array>
#include <map>
#include <memory>
#include <string>

#include "core/result.h"
#include "core/types.h"

namespace lockstep::devices {

using core::u64;
using core::u8;

// A raw disk image file, opened once, all I/O synchronous (pread/pwrite on the host file).
//
// - read_only: writes fail (a virtio-blk device offers VIRTIO_BLK_F_RO and answers IOERR).
// - snapshot: the file is opened read-only and never changes; writes go to an in-memory overlay
//   of changed 4 KiB chunks (QEMU's snapshot=on keeps them in a temporary file instead). The
//   overlay grows at most to the size of the disk.
//
// The size is the file's size rounded up to whole 512-byte sectors, as QEMU's raw driver sees it;
// the bytes past the end of the file read as zero.
class BlockBackend {
 public:
  struct Options {
    bool read_only = false;
    bool snapshot = false;
  };
  static constexpr u64 kSectorSize = 512;

  static Result<std::unique_ptr<BlockBackend>> open(const std::string& path, Options options);
  ~BlockBackend();
  BlockBackend(const BlockBackend&) = delete;
  BlockBackend& operator=(const BlockBackend&) = delete;

  const std::string& path() const { return path_; }
  u64 size() const { return sectors_ * kSectorSize; }
  u64 sectors() const { return sectors_; }
  bool read_only() const { return options_.read_only; }
  bool snapshot() const { return options_.snapshot; }

  // [offset, offset+len) must lie within size(); anything else is an error, as are host I/O errors.
  Status read(u64 offset, void* buf, u64 len);
  Status write(u64 offset, const void* buf, u64 len);
  Status write_zeroes(u64 offset, u64 len);
  Status flush();

  // Bytes held by the snapshot overlay.
  u64 overlay_bytes() const { return overlay_.size() * kChunk; }

 private:
  static constexpr u64 kChunk = 4096;
  BlockBackend(std::string path, int fd, u64 file_size, Options options);
  Status read_file(u64 offset, u8* buf, u64 len);
  Status write_file(u64 offset, const u8* buf, u64 len);
  Status check(u64 offset, u64 len, bool writing) const;
  Result<u8*> overlay_chunk(u64 index);

  std::string path_;
  int fd_ = -1;
  u64 file_size_ = 0;
  u64 sectors_ = 0;
  Options options_;
  std::map<u64, std::unique_ptr<std::array<u8, kChunk>>> overlay_;  // chunk index -> contents
};

}  // namespace lockstep::devices
