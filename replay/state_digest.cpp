#include "replay/state_digest.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <xxhash.h>

#include "machines/virt/ram_pages.h"

namespace lockstep::replay {

Result<TraceEvent> digest_event(const machines::virt::VirtMachine& m) {
  TraceEvent e;
  e.kind = TraceEvent::Kind::Digest;
  e.icount = m.icount();
  std::vector<std::vector<std::uint64_t>> hashes;
  for (const auto& b : m.const_bus().ram_blocks()) {
    hashes.push_back(machines::virt::page_hashes(*b));
    e.ram.push_back(XXH3_64bits(hashes.back().data(), hashes.back().size() * sizeof(std::uint64_t)));
  }
  e.digest = m.digest(hashes);
  for (const auto& sec : m.sections()) {
    LS_TRY_ASSIGN(std::uint64_t d, m.section_digest(*sec));
    e.sections.push_back(d);
  }
  return e;
}

std::string digest_differences(const machines::virt::VirtMachine& m, const TraceEvent& recorded, const TraceEvent& now) {
  if (recorded.digest == now.digest && recorded.sections == now.sections && recorded.ram == now.ram) return "";
  std::string out;
  const auto& sections = m.sections();
  if (recorded.sections.size() != now.sections.size())
    out += fmt::format("the recording digested {} sections, this machine has {}\n", recorded.sections.size(), now.sections.size());
  for (std::size_t k = 0; k < std::min(recorded.sections.size(), now.sections.size()); ++k)
    if (recorded.sections[k] != now.sections[k])
      out += fmt::format("section '{}' instance {}\n", sections[k]->idstr(), sections[k]->instance());
  const auto& blocks = m.const_bus().ram_blocks();
  for (std::size_t k = 0; k < std::min(recorded.ram.size(), now.ram.size()); ++k)
    if (recorded.ram[k] != now.ram[k]) out += fmt::format("RAM block '{}'\n", k < blocks.size() ? blocks[k]->name : "?");
  if (out.empty()) out = "the machine digest (no section or RAM block differs: the digest's own inputs changed)\n";
  return out;
}

Result<ImageIdentity> image_identity(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("cannot open '{}': {}", path, std::strerror(errno))};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{fmt::format("'{}' is not a regular file", path)};
  }
  ImageIdentity id{path, static_cast<std::uint64_t>(st.st_size), XXH3_64bits(nullptr, 0)};
  if (id.size > 0) {
    void* map = ::mmap(nullptr, id.size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      ::close(fd);
      return Error{fmt::format("cannot read '{}': {}", path, std::strerror(errno))};
    }
    id.xxh3 = XXH3_64bits(map, id.size);
    ::munmap(map, id.size);
  }
  ::close(fd);
  return id;
}

}  // namespace lockstep::replay
