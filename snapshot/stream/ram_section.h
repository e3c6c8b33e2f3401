#pragma once
// The RAM section ("ram", instance 0, version 4): setup block list and page records.
// Pages are handed to a callback one at a time; the reader never holds more than one page.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "snapshot/stream/stream_reader.h"

namespace lockstep::snapshot::stream {

namespace ram_flags {
inline constexpr std::uint64_t kZero = 0x02, kMemSize = 0x04, kPage = 0x08, kEos = 0x10, kContinue = 0x20,
                               kXbzrle = 0x40, kHook = 0x80, kCompressPage = 0x100, kMultifdFlush = 0x200;
}

inline constexpr std::uint32_t kRamSectionVersion = 4;

struct RamBlock {
  std::string idstr;
  std::uint64_t used_length = 0;
  std::uint64_t zero_pages = 0;  // page records seen, by kind
  std::uint64_t data_pages = 0;
};

struct RamPage {
  const RamBlock& block;
  std::size_t block_index;
  std::uint64_t offset;                // within the block
  bool zero;                           // ZERO record: every byte equals fill
  std::uint8_t fill;                   // for zero pages
  std::span<const std::uint8_t> data;  // PAGE record: page_size bytes (empty for zero pages)
  std::uint64_t page_size = 0;         // the section's page size (what a ZERO record stands for)
  std::uint64_t count = 1;             // zero pages: consecutive pages with this fill (see merge_zero_runs)
};

using PageCallback = std::function<Status(const RamPage&)>;

// Reads one START/PART/END body of the "ram" section, including the final EOS (not the footer).
class RamSectionReader {
 public:
  explicit RamSectionReader(std::uint64_t page_size = 4096) : page_size_(page_size), page_(page_size) {}
  // Hand consecutive ZERO records of one block and fill to the callback as one RamPage with
  // count > 1 (a fresh guest's RAM is mostly such runs: one call instead of thousands).
  void merge_zero_runs(bool on) { merge_zero_runs_ = on; }
  Status read_body(StreamReader& r, const SectionHeader& s, const PageCallback& on_page = {});
  const std::vector<RamBlock>& blocks() const { return blocks_; }
  std::uint64_t total_bytes() const { return total_; }
  std::uint64_t page_size() const { return page_size_; }

 private:
  std::uint64_t page_size_;
  std::uint64_t total_ = 0;
  bool setup_done_ = false;
  std::vector<RamBlock> blocks_;
  std::size_t last_block_ = SIZE_MAX;
  std::vector<std::uint8_t> page_;
  bool merge_zero_runs_ = false;
};

}  // namespace lockstep::snapshot::stream
