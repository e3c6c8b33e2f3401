#include "snapshot/stream/page_hashes.h"

#include <algorithm>

#include <fmt/format.h>
#include <xxhash.h>

namespace lockstep::snapshot::stream {

std::uint64_t page_hash(std::span<const std::uint8_t> page) { return XXH3_64bits(page.data(), page.size()); }

std::uint64_t page_count(std::uint64_t used_length, std::uint64_t page_size) {
  return used_length / page_size + (used_length % page_size != 0 ? 1 : 0);
}

const HashedBlock* PageHashTable::find(const std::string& idstr) const {
  for (const auto& b : blocks)
    if (b.idstr == idstr) return &b;
  return nullptr;
}

std::uint64_t page_hashes_body_size(const PageHashTable& t) {
  std::uint64_t n = 8;
  for (const auto& b : t.blocks) n += 1 + b.idstr.size() + 8 + 8 * b.hashes.size();
  return n;
}

Status write_page_hashes(ByteSink& out, const PageHashTable& t) {
  LS_TRY(out.be32(t.page_size));
  LS_TRY(out.be32(static_cast<std::uint32_t>(t.blocks.size())));
  std::vector<std::uint8_t> chunk;
  for (const auto& b : t.blocks) {
    LS_TRY(out.counted_string(b.idstr));
    LS_TRY(out.be64(b.used_length));
    chunk.resize(b.hashes.size() * 8);
    for (std::size_t i = 0; i < b.hashes.size(); ++i)
      store_be64(&chunk[i * 8], b.hashes[i]);
    LS_TRY(out.write(chunk.data(), chunk.size()));
  }
  return Ok{};
}

Json page_hashes_vmdesc_entry(const PageHashTable& t) {
  const std::uint64_t size = page_hashes_body_size(t);
  Json e;
  e["name"] = kPageHashesIdstr;
  e["instance_id"] = 0;
  e["vmsd_name"] = kPageHashesIdstr;
  e["version"] = kPageHashesVersion;
  Json f;
  f["name"] = "data";
  f["type"] = "buffer";
  f["size"] = size;
  e["fields"] = Json::array({f});
  return e;
}

Status PageHashReader::read_header() {
  const std::uint64_t start = in_.offset();
  LS_TRY_ASSIGN(page_size_, in_.be32());
  LS_TRY_ASSIGN(block_count_, in_.be32());
  if (page_size_ < 512 || page_size_ > (1u << 20) || (page_size_ & (page_size_ - 1)) != 0)
    return Error{fmt::format("{}: page size {} is not a power of two in [512, 1 MiB] (at offset {})",
                             kPageHashesIdstr, page_size_, start)};
  if (block_count_ > kMaxHashedBlocks)
    return Error{fmt::format("{}: {} blocks is more than the limit {} (at offset {})", kPageHashesIdstr, block_count_,
                             kMaxHashedBlocks, start + 4)};
  return Ok{};
}

Result<bool> PageHashReader::next_block() {
  if (next_page_ < pages_) LS_TRY(in_.skip(8 * (pages_ - next_page_)));
  next_page_ = pages_ = 0;
  if (blocks_read_ == block_count_) return false;
  const std::uint64_t at = in_.offset();
  LS_TRY_ASSIGN(idstr_, in_.counted_string());
  LS_TRY_ASSIGN(used_, in_.be64());
  if (used_ >= (std::uint64_t{1} << 48))
    return Error{fmt::format("{}: block \"{}\" length 0x{:x} is implausible (at offset {})", kPageHashesIdstr, idstr_,
                             used_, at)};
  pages_ = page_count(used_, page_size_);
  ++blocks_read_;
  return true;
}

Result<std::uint64_t> PageHashReader::next_hash() {
  if (next_page_ >= pages_)
    return Error{fmt::format("{}: block \"{}\" has only {} pages", kPageHashesIdstr, idstr_, pages_)};
  ++next_page_;
  return in_.be64();
}

Result<std::size_t> PageHashReader::next_hashes(std::span<std::uint64_t> out) {
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), pages_ - next_page_));
  std::uint8_t bytes[8 * 512];
  for (std::size_t done = 0; done < n;) {
    const std::size_t k = std::min<std::size_t>(n - done, 512);
    LS_TRY(in_.read(bytes, 8 * k));
    for (std::size_t i = 0; i < k; ++i) out[done + i] = load_be64(bytes + 8 * i);
    done += k;
  }
  next_page_ += n;
  return n;
}

Status read_page_hashes(ByteSource& in, const PageHashVisitor& v) {
  PageHashReader r(in);
  LS_TRY(r.read_header());
  if (v.on_header) LS_TRY(v.on_header(r.page_size(), r.block_count()));
  for (;;) {
    LS_TRY_ASSIGN(bool more, r.next_block());
    if (!more) return Ok{};
    if (v.on_block) LS_TRY(v.on_block(r.idstr(), r.used_length()));
    std::uint64_t run[512];
    for (std::uint64_t p = 0; p < r.pages();) {
      LS_TRY_ASSIGN(std::size_t n, r.next_hashes(run));
      if (v.on_hashes) LS_TRY(v.on_hashes(p, std::span<const std::uint64_t>(run, n)));
      p += n;
    }
  }
}

Result<PageHashTable> read_page_hash_table(ByteSource& in) {
  PageHashTable t;
  PageHashVisitor v;
  v.on_header = [&](std::uint32_t ps, std::uint32_t) -> Status {
    t.page_size = ps;
    return Ok{};
  };
  v.on_block = [&](const std::string& idstr, std::uint64_t used) -> Status {
    // Growth is bounded by what the stream actually holds (each hash is 8 bytes read), not by `used`.
    t.blocks.push_back(HashedBlock{idstr, used, {}});
    return Ok{};
  };
  v.on_hashes = [&](std::uint64_t, std::span<const std::uint64_t> hs) -> Status {
    t.blocks.back().hashes.insert(t.blocks.back().hashes.end(), hs.begin(), hs.end());
    return Ok{};
  };
  LS_TRY(read_page_hashes(in, v));
  return t;
}

}  // namespace lockstep::snapshot::stream
