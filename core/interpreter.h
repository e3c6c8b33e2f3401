#pragma once
#include <cstdio>

#include "core/code_cache.h"
#include "core/hart.h"

namespace lockstep::core {

enum class StopReason {
  Budget,   // icount reached the requested end
  Waiting,  // the hart executed WFI and no enabled interrupt is pending
  Request,  // a device asked the machine to look (exit, reset, timer reprogrammed)
  TrapLoop, // an instruction fetch faults and the trap vector is that same address: nothing can
            // ever retire, so no instruction bound would stop the loop (h.pc is the address)
};

// Instruction tracing, off by default: one line per retired or trapping instruction.
struct TraceSink {
  std::FILE* out = nullptr;
};

// A faster engine for hot code (jit/), offered each block by run_hart. It must leave the hart
// exactly as interpreting the same instructions would: same registers, memory, pc and icount,
// and it may only stop where the interpreter could (never past end_icount).
class CompiledTier {
 public:
  virtual ~CompiledTier() = default;
  // The dispatcher counts the instructions it runs in each block (Block::hits) and offers the
  // block to the tier only once that count reaches offer_after, or when the block has a
  // compiled region: cold code never pays for the tier.
  u32 offer_after = 1;
  // Runs compiled code starting at `block` (h.pc is its first instruction) if there is some, and
  // returns true; false leaves the hart untouched for the interpreter (not compiled yet, too
  // little budget). May compile, synchronously, before answering. Setting block.hits to 0 stops
  // the offers until the block has run offer_after more instructions.
  virtual bool execute(Hart& h, Block& block, u64 end_icount) = 0;
  // The cache is dropping `block` because a store or DMA overwrote bytes it was decoded from:
  // forget every pointer to it and everything compiled from those bytes. The block stays
  // readable until the dispatcher is between blocks; compiled code running now must stay
  // callable until then too (it returns at once: the hart's stop_block is set).
  virtual void block_dropped(CodeCache& cache, Block& block) = 0;
};

// What the dispatcher does after an instruction returned Trap, Jump or Sync (icount, trap entry,
// WFI accounting); compiled code returns such flows to its caller, which finishes them here.
void finish_flow(Hart& h, Flow f);

// Runs the hart until its icount reaches end_icount or something needs the machine's attention.
// Interrupts are taken only at block boundaries, which the dispatcher makes instruction-exact
// because a device access or CSR write always ends the block.
StopReason run_hart(Hart& h, u64 end_icount, const TraceSink* trace = nullptr);

}  // namespace lockstep::core
