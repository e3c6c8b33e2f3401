#include "core/code_cache.h"

#include <algorithm>

#include "core/address_space.h"
#include "core/hart.h"
#include "core/interpreter.h"

namespace lockstep::core {

Block* CodeCache::find(u64 paddr) const {
  auto it = blocks_.find(paddr);
  return it == blocks_.end() ? nullptr : it->second.get();
}

void CodeCache::attach(Hart& h) {
  if (std::find(store_tlbs_.begin(), store_tlbs_.end(), &h.store_tlb) == store_tlbs_.end()) {
    store_tlbs_.push_back(&h.store_tlb);
  }
}

void CodeCache::flush_store_tlbs(Hart* also) {
  for (Tlb* tlb : store_tlbs_) tlb->flush();
  if (also) also->store_tlb.flush();
}

Block* CodeCache::insert(Hart& h, RamBlock& ram, std::unique_ptr<Block> block) {
  attach(h);
  const u64 page = block->paddr & ~(kPageSize - 1);
  std::unique_ptr<CodePage>& code_page = pages_[page];
  if (!code_page) {
    code_page = std::make_unique<CodePage>();
    code_page->ram = &ram;
    ram.page_flags[(page - ram.base) / kPageSize] |= kPageHasCode;
    flush_store_tlbs(&h);  // stores to this page must now see the code
  }
  code_page->bytes.set(block->paddr - page, block->bytes);
  code_page->blocks.push_back(block.get());
  Block* raw = block.get();
  blocks_[raw->paddr] = std::move(block);
  return raw;
}

bool CodeCache::overlaps_code(u64 pa, u64 len) const {
  const PageCodeBytes* bytes = code_bytes(pa);
  return bytes && bytes->any(pa & (kPageSize - 1), len);
}

const PageCodeBytes* CodeCache::code_bytes(u64 pa) const {
  auto it = pages_.find(pa & ~(kPageSize - 1));
  return it == pages_.end() ? nullptr : &it->second->bytes;
}

void CodeCache::drop_page(u64 page) {
  auto it = pages_.find(page);
  RamBlock& ram = *it->second->ram;
  ram.page_flags[(page - ram.base) / kPageSize] &= ~kPageHasCode;
  pages_.erase(it);
  flush_store_tlbs(nullptr);  // entries for the page point at its bytes
}

bool CodeCache::invalidate_range(u64 pa, u64 len) {
  bool dropped = false;
  for (u64 page = pa & ~(kPageSize - 1); len > 0 && page < pa + len; page += kPageSize) {
    auto it = pages_.find(page);
    if (it == pages_.end()) continue;
    CodePage& code_page = *it->second;
    const u64 lo = std::max(pa, page), hi = std::min(pa + len, page + kPageSize);
    if (!code_page.bytes.any(lo - page, hi - lo)) continue;
    // Drop the blocks holding overwritten bytes; rebuild the page's bytes from the rest.
    std::vector<Block*> kept;
    code_page.bytes = PageCodeBytes{};
    for (Block* b : code_page.blocks) {
      if (b->paddr < hi && lo < b->paddr + b->bytes) {
        if (tier) tier->block_dropped(*this, *b);
        auto owned = blocks_.find(b->paddr);
        retired_.push_back(std::move(owned->second));
        blocks_.erase(owned);
        ++blocks_invalidated_;
      } else {
        kept.push_back(b);
        code_page.bytes.set(b->paddr - page, b->bytes);
      }
    }
    code_page.blocks = std::move(kept);
    if (code_page.blocks.empty()) drop_page(page);
    dropped = true;
  }
  if (dropped) flush_jump_cache();  // it may point at a dropped block
  return dropped;
}

void CodeCache::invalidate_all() {
  for (auto& [addr, block] : blocks_) retired_.push_back(std::move(block));
  blocks_.clear();
  for (auto& [page, code_page] : pages_) {
    RamBlock& ram = *code_page->ram;
    ram.page_flags[(page - ram.base) / kPageSize] &= ~kPageHasCode;
  }
  pages_.clear();
  flush_store_tlbs(nullptr);
  ++generation_;
  flush_jump_cache();
}

void CodeCache::flush_jump_cache() { std::fill(jump_.begin(), jump_.end(), JumpEntry{}); }

}  // namespace lockstep::core
