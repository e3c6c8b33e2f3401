#include "snapshot/stream/ram_section.h"

#include <fmt/format.h>

namespace lockstep::snapshot::stream {

using namespace ram_flags;

Status RamSectionReader::read_body(StreamReader& r, const SectionHeader& s, const PageCallback& on_page) {
  ByteSource& in = r.body();
  if (s.version_id != kRamSectionVersion)
    return Error{fmt::format("savevm: unsupported version {} for '{}' v{} (at offset {})", s.version_id, s.idstr,
                             kRamSectionVersion, s.offset)};
  if (page_size_ < 512 || (page_size_ & (page_size_ - 1)) != 0)
    return Error{fmt::format("RAM: page size {} is not a power of two >= 512", page_size_)};
  const std::uint64_t flag_mask = page_size_ - 1;
  // A run of ZERO records not yet handed over (merge_zero_runs_ only).
  std::size_t run_block = SIZE_MAX;
  std::uint64_t run_addr = 0, run_count = 0;
  std::uint8_t run_fill = 0;
  auto flush_run = [&]() -> Status {
    if (run_count == 0) return Ok{};
    const std::uint64_t n = run_count;
    run_count = 0;
    return on_page(RamPage{blocks_[run_block], run_block, run_addr, true, run_fill, {}, page_size_, n});
  };
  for (;;) {
    std::uint64_t rec_off = in.offset();
    LS_TRY_ASSIGN(std::uint64_t word, in.be64());
    std::uint64_t addr = word & ~flag_mask;
    std::uint64_t flags = word & flag_mask;
    if (flags == (kZero | kContinue) && run_count > 0 && run_block == last_block_ &&
        addr == run_addr + run_count * page_size_ && addr < blocks_[run_block].used_length &&
        blocks_[run_block].used_length - addr >= page_size_) {
      LS_TRY_ASSIGN(std::uint8_t fill, in.u8());
      ++blocks_[run_block].zero_pages;
      if (fill == run_fill) {
        ++run_count;
        continue;
      }
      LS_TRY(flush_run());
      run_addr = addr;
      run_fill = fill;
      run_count = 1;
      continue;
    }
    LS_TRY(flush_run());
    if (flags & kEos) return Ok{};
    if (flags & kMemSize) {
      if (setup_done_) return Error{fmt::format("RAM: a second MEM_SIZE record at offset {}", rec_off)};
      setup_done_ = true;
      total_ = addr;
      std::uint64_t left = addr;
      while (left > 0) {
        std::uint64_t off = in.offset();
        RamBlock b;
        LS_TRY_ASSIGN(b.idstr, in.counted_string());
        LS_TRY_ASSIGN(b.used_length, in.be64());
        if (b.used_length > left)
          return Error{fmt::format("RAM: block \"{}\" length 0x{:x} exceeds the remaining total 0x{:x} of MEM_SIZE "
                                   "0x{:x} (at offset {})",
                                   b.idstr, b.used_length, left, total_, off)};
        if (b.used_length == 0)
          return Error{fmt::format("RAM: block \"{}\" has length 0 (at offset {})", b.idstr, off)};
        for (const auto& o : blocks_)
          if (o.idstr == b.idstr) return Error{fmt::format("RAM: block \"{}\" listed twice (at offset {})", b.idstr, off)};
        left -= b.used_length;
        blocks_.push_back(std::move(b));
      }
      continue;
    }
    if (flags & kXbzrle)
      return Error{fmt::format("RAM: XBZRLE page record at offset {} is not supported (disable the xbzrle capability)", rec_off)};
    if (flags & kCompressPage)
      return Error{fmt::format("RAM: compressed page record at offset {} is not supported (disable the compress capability)", rec_off)};
    if (flags & kHook) return Error{fmt::format("RAM: RAM_SAVE_FLAG_HOOK (RDMA) at offset {} is not supported", rec_off)};
    if (flags & kMultifdFlush) continue;  // QEMU 8.0+: no payload
    if (!(flags & (kZero | kPage)))
      return Error{fmt::format("RAM: unknown flags 0x{:x} at offset {}", flags, rec_off)};
    if (!setup_done_) return Error{fmt::format("RAM: page record before the MEM_SIZE setup (at offset {})", rec_off)};
    std::size_t bi;
    if (flags & kContinue) {
      if (last_block_ == SIZE_MAX)
        return Error{fmt::format("RAM: CONTINUE page record at offset {} with no previous block", rec_off)};
      bi = last_block_;
    } else {
      LS_TRY_ASSIGN(std::string name, in.counted_string());
      bi = SIZE_MAX;
      for (std::size_t i = 0; i < blocks_.size(); ++i)
        if (blocks_[i].idstr == name) bi = i;
      if (bi == SIZE_MAX)
        return Error{fmt::format("Unknown ramblock \"{}\", cannot accept migration (page record at offset {})", name, rec_off),
                     ErrorKind::kUnknownRamBlock};
      last_block_ = bi;
    }
    RamBlock& b = blocks_[bi];
    if (addr >= b.used_length || b.used_length - addr < page_size_)
      return Error{fmt::format("RAM: page offset 0x{:x} outside block \"{}\" of length 0x{:x} (at offset {})", addr,
                               b.idstr, b.used_length, rec_off)};
    if (flags & kZero) {
      LS_TRY_ASSIGN(std::uint8_t fill, in.u8());
      ++b.zero_pages;
      if (on_page && merge_zero_runs_) {
        run_block = bi;
        run_addr = addr;
        run_fill = fill;
        run_count = 1;
      } else if (on_page) {
        LS_TRY(on_page(RamPage{b, bi, addr, true, fill, {}, page_size_}));
      }
    } else {
      ++b.data_pages;
      if (!on_page) {
        LS_TRY(in.skip(page_.size()));  // nobody looks at the bytes: no copy
        continue;
      }
      LS_TRY(in.read(page_.data(), page_.size()));
      LS_TRY(on_page(RamPage{b, bi, addr, false, 0, std::span<const std::uint8_t>(page_), page_size_}));
    }
  }
}

}  // namespace lockstep::snapshot::stream
