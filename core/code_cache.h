#pragma once
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/insn.h"

namespace lockstep::core {

// A straight run of decoded instructions within one guest page, ending at the first
// instruction that can change control flow (or the page end, or a length cap).
struct Block {
  u64 paddr = 0;
  std::vector<Insn> insns;  // `length` instructions, then an end marker for the dispatcher
  u64 length = 0;
  // For the compiled tier (jit/), opaque to core: the instructions the dispatcher ran in this
  // block, counted until the tier's offer_after (then the block is offered to the tier on every
  // run), and the compiled region entered here (owned by the tier, dropped with the block).
  u32 hits = 0;
  void* compiled_region = nullptr;
};

class CompiledTier;

// Decoded blocks keyed by physical address, plus a direct-mapped lookup by virtual pc.
// Blocks are dropped wholesale on fence.i, a store into a code page, or a translation change
// (for the virtual-pc lookup only). Dropped blocks are kept until the dispatcher is between
// blocks, because the running block may be the one that was invalidated.
class CodeCache {
 public:
  static constexpr unsigned kJumpEntries = 4096;
  static constexpr unsigned kMaxBlockInsns = 64;

  Block* find(u64 paddr) const;
  Block* insert(std::unique_ptr<Block> block);
  // Drops all translations: decoded blocks here and, through generation(), everything the
  // compiled tier built from them. The one entry point for code writes, fence.i, reset and
  // loading a snapshot (call it after the RAM and harts are loaded, with flush_translations).
  void invalidate_all();
  void flush_jump_cache();
  void release_retired() {
    if (!retired_.empty()) retired_.clear();
  }
  // Counts invalidate_all calls: a compiled tier drops its code when this changes (a code write,
  // fence.i, reset, or a loaded snapshot all go through invalidate_all).
  u64 generation() const { return generation_; }
  // The compiled tier the dispatcher offers each block to (nullptr: interpret everything).
  CompiledTier* tier = nullptr;

  struct JumpEntry {
    u64 vpc = ~u64{0};
    u64 key = 0;
    Block* block = nullptr;
  };
  JumpEntry& jump_slot(u64 vpc) { return jump_[(vpc >> 1) % kJumpEntries]; }


 private:
  std::unordered_map<u64, std::unique_ptr<Block>> blocks_;
  std::vector<std::unique_ptr<Block>> retired_;
  u64 generation_ = 0;
  std::vector<JumpEntry> jump_ = std::vector<JumpEntry>(kJumpEntries);
};

}  // namespace lockstep::core
