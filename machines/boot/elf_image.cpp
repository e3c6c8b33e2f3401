// ELF parsing with <elf.h>'s structures and explicit bounds checks. Written here rather than
// with libelf because it is ~100 lines and every failure must become a one-line error.
#include "machines/boot/elf_image.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace lockstep::machines {
namespace {

template <typename T>
bool read_at(const std::vector<u8>& b, u64 off, T& out) {
  if (off > b.size() || sizeof(T) > b.size() - off) return false;
  std::memcpy(&out, b.data() + off, sizeof(T));
  return true;
}

bool range_ok(const std::vector<u8>& b, u64 off, u64 len) { return off <= b.size() && len <= b.size() - off; }

}  // namespace

u64 ElfImage::lowest_address() const {
  u64 lo = ~u64{0};
  for (auto& s : segments) lo = std::min(lo, s.paddr);
  return lo;
}

u64 ElfImage::highest_address() const {
  u64 hi = 0;
  for (auto& s : segments) hi = std::max(hi, s.paddr + s.memsz);
  return hi;
}

bool looks_like_elf(const std::vector<u8>& bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), ELFMAG, SELFMAG) == 0;
}

Result<std::vector<u8>> read_file(const std::string& path, u64 max_size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("could not open '{}': {}", path, std::strerror(errno))};
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{fmt::format("'{}' is not a regular file", path)};
  }
  const u64 size = static_cast<u64>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return Error{fmt::format("'{}' is empty", path)};
  }
  if (size > max_size) {
    ::close(fd);
    return Error{fmt::format("'{}' ({} bytes) is larger than guest RAM ({} bytes)", path, size, max_size)};
  }
  std::vector<u8> data(size);
  u64 got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd, data.data() + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Error{fmt::format("could not read '{}': {}", path, n < 0 ? std::strerror(errno) : "file shrank while reading")};
    }
    got += static_cast<u64>(n);
  }
  ::close(fd);
  return data;
}

Result<ElfImage> parse_elf(const std::vector<u8>& b, const std::string& path) {
  auto bad = [&](std::string_view why) { return Error{fmt::format("'{}': {}", path, why)}; };
  Elf64_Ehdr eh;
  if (!looks_like_elf(b) || !read_at(b, 0, eh)) return bad("not an ELF file");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) return bad("not a 64-bit ELF file (lockstep emulates RV64)");
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) return bad("not a little-endian ELF file");
  if (eh.e_machine != EM_RISCV) return bad(fmt::format("not a RISC-V ELF file (e_machine {})", eh.e_machine));
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) return bad("not an executable ELF file");
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0) return bad("malformed program header table");
  if (!range_ok(b, eh.e_phoff, u64{eh.e_phnum} * sizeof(Elf64_Phdr))) return bad("program header table beyond end of file");

  ElfImage img;
  img.entry = eh.e_entry;
  for (unsigned k = 0; k < eh.e_phnum; ++k) {
    Elf64_Phdr ph;
    read_at(b, eh.e_phoff + u64{k} * sizeof(Elf64_Phdr), ph);
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    if (ph.p_filesz > ph.p_memsz) return bad(fmt::format("segment {} has filesz > memsz", k));
    if (!range_ok(b, ph.p_offset, ph.p_filesz)) return bad(fmt::format("segment {} extends beyond end of file", k));
    if (ph.p_paddr + ph.p_memsz < ph.p_paddr) return bad(fmt::format("segment {} wraps the address space", k));
    ElfSegment seg;
    seg.paddr = ph.p_paddr;
    seg.memsz = ph.p_memsz;
    seg.data.assign(b.begin() + static_cast<std::ptrdiff_t>(ph.p_offset),
                    b.begin() + static_cast<std::ptrdiff_t>(ph.p_offset + ph.p_filesz));
    img.segments.push_back(std::move(seg));
  }
  if (img.segments.empty()) return bad("no loadable segments");

  // Symbols (optional): .symtab with its linked string table.
  if (eh.e_shoff != 0 && eh.e_shnum != 0) {
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || !range_ok(b, eh.e_shoff, u64{eh.e_shnum} * sizeof(Elf64_Shdr))) {
      return bad("malformed section header table");
    }
    for (unsigned k = 0; k < eh.e_shnum; ++k) {
      Elf64_Shdr sh;
      read_at(b, eh.e_shoff + u64{k} * sizeof(Elf64_Shdr), sh);
      if (sh.sh_type != SHT_SYMTAB) continue;
      if (sh.sh_link >= eh.e_shnum || sh.sh_entsize != sizeof(Elf64_Sym) || !range_ok(b, sh.sh_offset, sh.sh_size)) {
        return bad("malformed symbol table");
      }
      Elf64_Shdr strtab;
      read_at(b, eh.e_shoff + u64{sh.sh_link} * sizeof(Elf64_Shdr), strtab);
      if (!range_ok(b, strtab.sh_offset, strtab.sh_size)) return bad("malformed string table");
      for (u64 off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
        Elf64_Sym sym;
        read_at(b, sh.sh_offset + off, sym);
        if (sym.st_name == 0 || sym.st_shndx == SHN_UNDEF || sym.st_name >= strtab.sh_size) continue;
        const char* name = reinterpret_cast<const char*>(b.data() + strtab.sh_offset + sym.st_name);
        const size_t max_len = strtab.sh_size - sym.st_name;
        const size_t len = strnlen(name, max_len);
        if (len == max_len) return bad("unterminated symbol name");
        img.symbols.emplace(std::string(name, len), sym.st_value);
      }
    }
  }
  return img;
}

}  // namespace lockstep::machines
