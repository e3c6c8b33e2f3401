#pragma once
// A fuzz input as a file: the snapshot tools take paths (they mmap regular files, read the VM
// description from the end, recognise zstd by its magic), so a target hands them an anonymous
// in-memory file (memfd) by its /proc/self/fd path instead of writing to disk.
#include <cstdint>
#include <span>
#include <string>

namespace lockstep::fuzz {

class MemoryFile {
 public:
  explicit MemoryFile(const char* name);
  ~MemoryFile();
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  // Replaces the whole content; aborts only if the host refuses memory (not an input problem).
  void assign(std::span<const std::uint8_t> bytes);
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace lockstep::fuzz
