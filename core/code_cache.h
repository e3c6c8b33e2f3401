#pragma once
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/insn.h"
#include "core/page_code_bytes.h"

namespace lockstep::core {

struct Hart;
struct RamBlock;
struct Tlb;

// A straight run of decoded instructions within one guest page, ending at the first
// instruction that can change control flow (or the page end, or a length cap).
struct Block {
  u64 paddr = 0;
  std::vector<Insn> insns;  // `length` instructions, then an end marker for the dispatcher
  u64 length = 0;
  u32 bytes = 0;  // guest bytes the instructions were decoded from, [paddr, paddr + bytes)
  // For the compiled tier (jit/), opaque to core: the instructions the dispatcher ran in this
  // block, counted until the tier's offer_after (then the block is offered to the tier on every
  // run), and the compiled region entered here (owned by the tier, dropped with the block).
  u32 hits = 0;
  void* compiled_region = nullptr;
};

class CompiledTier;

// Decoded blocks keyed by physical address, plus a direct-mapped lookup by virtual pc.
//
// Self-modifying code is handled precisely, as QEMU does: every page that blocks were decoded
// from has a PageCodeBytes and the RAM page flag kPageHasCode, which keeps stores to it off the
// inline TLB path. A store (or DMA) into such a page tests the bitmap; only when it overwrites
// decoded bytes are the blocks holding those bytes dropped (and the tier told, block by block),
// and the hart leaves its block. A store to data bytes on a code page costs that one test.
//
// Dropped blocks are kept until the dispatcher is between blocks, because the running block may
// be the one that was invalidated.
class CodeCache {
 public:
  static constexpr unsigned kJumpEntries = 4096;
  static constexpr unsigned kMaxBlockInsns = 64;

  Block* find(u64 paddr) const;
  // Adds a block decoded from `ram` and marks its bytes as code. The first block on a page
  // flushes the store TLBs of every attached hart (and of `h`): their entries for the page
  // predate the code.
  Block* insert(Hart& h, RamBlock& ram, std::unique_ptr<Block> block);
  // The harts that share this cache: their store TLBs are flushed when a page first holds code.
  void attach(Hart& h);

  // Whether [pa, pa+len) overwrites decoded code (within one page). The test the store paths make.
  bool overlaps_code(u64 pa, u64 len) const;
  // The code bytes of the page holding pa, or nullptr if it holds none. Stable while the page
  // keeps code: the store TLB may point at it (TlbEntry::code_bytes).
  const PageCodeBytes* code_bytes(u64 pa) const;
  // A write to [pa, pa+len) happened or is about to (any length, any pages): drops the blocks
  // whose bytes it overwrites. Returns whether any were dropped.
  bool invalidate_range(u64 pa, u64 len);

  // Drops all translations: decoded blocks here and, through generation(), everything the
  // compiled tier built from them. For reset and loading a snapshot (call it after the RAM and
  // harts are loaded, with flush_translations), and the tier's own cache bound.
  void invalidate_all();
  void flush_jump_cache();
  void release_retired() {
    if (!retired_.empty()) retired_.clear();
  }
  // Counts invalidate_all calls: a compiled tier drops all its code when this changes.
  u64 generation() const { return generation_; }
  // Blocks dropped one by one by invalidate_range, since the start (for statistics).
  u64 blocks_invalidated() const { return blocks_invalidated_; }
  // The compiled tier the dispatcher offers each block to (nullptr: interpret everything).
  CompiledTier* tier = nullptr;

  struct JumpEntry {
    u64 vpc = ~u64{0};
    u64 key = 0;
    Block* block = nullptr;
  };
  JumpEntry& jump_slot(u64 vpc) { return jump_[(vpc >> 1) % kJumpEntries]; }

 private:
  struct CodePage {
    RamBlock* ram = nullptr;
    PageCodeBytes bytes;
    std::vector<Block*> blocks;  // in insertion order (deterministic)
  };
  void flush_store_tlbs(Hart* also);
  void drop_page(u64 page);  // the page holds no code any more

  std::unordered_map<u64, std::unique_ptr<Block>> blocks_;
  // Physical page -> its code. Looked up only, never iterated, so its order reaches nothing.
  std::unordered_map<u64, std::unique_ptr<CodePage>> pages_;
  std::vector<std::unique_ptr<Block>> retired_;
  std::vector<Tlb*> store_tlbs_;
  u64 generation_ = 0;
  u64 blocks_invalidated_ = 0;
  std::vector<JumpEntry> jump_ = std::vector<JumpEntry>(kJumpEntries);
};

}  // namespace lockstep::core
