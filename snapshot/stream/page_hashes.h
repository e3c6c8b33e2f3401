#pragma once
// lockstep/page-hashes: a FULL section (instance 0, version 1) after the RAM section holding the
// XXH3-64 of every page of every RAM block at the moment the stream was cut. The loader checks every
// page it ends up with against it, so a page that never arrived is named by block and offset.
//
// Body (big-endian, like the rest of the stream):
//   be32 page_size, be32 block_count,
//   per block: counted idstr, be64 used_length, then be64 XXH3_64bits(page) for each of the
//              ceil(used_length / page_size) pages (a short last page hashes its used bytes).
// Its vmdesc entry describes the body as one "data" buffer (the old-style device convention), so
// analyze-migration.py and the vmdesc walker step over it without knowing the layout.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "snapshot/stream/byte_source.h"
#include "snapshot/stream/format.h"

namespace lockstep::snapshot::stream {

inline constexpr const char* kPageHashesIdstr = "lockstep/page-hashes";
inline constexpr std::uint32_t kPageHashesVersion = 1;
inline constexpr std::uint32_t kMaxHashedBlocks = 1024;

std::uint64_t page_hash(std::span<const std::uint8_t> page);

struct HashedBlock {
  std::string idstr;
  std::uint64_t used_length = 0;
  std::vector<std::uint64_t> hashes;  // one per page
};

struct PageHashTable {
  std::uint32_t page_size = 4096;
  std::vector<HashedBlock> blocks;
  const HashedBlock* find(const std::string& idstr) const;
};

std::uint64_t page_count(std::uint64_t used_length, std::uint64_t page_size);

// Body size in bytes for the given blocks (the vmdesc entry's "size").
std::uint64_t page_hashes_body_size(const PageHashTable& t);
Status write_page_hashes(ByteSink& out, const PageHashTable& t);
Json page_hashes_vmdesc_entry(const PageHashTable& t);

// Streaming read: on_block once per block header, then on_hash for each of its pages in order.
// Bounded: block_count <= kMaxHashedBlocks, page_size a power of two in [512, 1 MiB], used_length
// below 2^48; nothing is allocated from a stream length.
struct PageHashVisitor {
  std::function<Status(std::uint32_t page_size, std::uint32_t block_count)> on_header;
  std::function<Status(const std::string& idstr, std::uint64_t used_length)> on_block;
  // A block's hashes a run at a time (pages first_page, first_page + 1, ...), in order.
  std::function<Status(std::uint64_t first_page, std::span<const std::uint64_t> hashes)> on_hashes;
};
Status read_page_hashes(ByteSource& in, const PageHashVisitor& v);
// The same reading, pull-style, so two streams' tables can be read side by side (snapshot diff) with
// nothing held but the current block header. read_page_hashes is written on top of it.
class PageHashReader {
 public:
  explicit PageHashReader(ByteSource& in) : in_(in) {}
  Status read_header();
  std::uint32_t page_size() const { return page_size_; }
  std::uint32_t block_count() const { return block_count_; }
  // Reads the next block header; false after the last block. Unread hashes of the block before are skipped.
  Result<bool> next_block();
  const std::string& idstr() const { return idstr_; }
  std::uint64_t used_length() const { return used_; }
  std::uint64_t pages() const { return pages_; }
  std::uint64_t pages_read() const { return next_page_; }
  // The block's next page hash; an Error after its last page.
  Result<std::uint64_t> next_hash();
  // Up to out.size() of the block's next hashes into out; how many (0 after its last page).
  Result<std::size_t> next_hashes(std::span<std::uint64_t> out);

 private:
  ByteSource& in_;
  std::uint32_t page_size_ = 0, block_count_ = 0, blocks_read_ = 0;
  std::string idstr_;
  std::uint64_t used_ = 0, pages_ = 0, next_page_ = 0;
};

// Convenience: the whole table in memory (8 bytes per guest page).
Result<PageHashTable> read_page_hash_table(ByteSource& in);

}  // namespace lockstep::snapshot::stream
