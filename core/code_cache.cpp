#include "core/code_cache.h"

namespace lockstep::core {

Block* CodeCache::find(u64 paddr) const {
  auto it = blocks_.find(paddr);
  return it == blocks_.end() ? nullptr : it->second.get();
}

Block* CodeCache::insert(std::unique_ptr<Block> block) {
  Block* raw = block.get();
  blocks_[raw->paddr] = std::move(block);
  return raw;
}

void CodeCache::invalidate_all() {
  for (auto& [addr, block] : blocks_) retired_.push_back(std::move(block));
  blocks_.clear();
  ++generation_;
  flush_jump_cache();
}

void CodeCache::flush_jump_cache() { std::fill(jump_.begin(), jump_.end(), JumpEntry{}); }

}  // namespace lockstep::core
