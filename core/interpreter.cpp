#include "core/interpreter.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/address_space.h"
#include "core/code_cache.h"
#include "core/decode/block.h"
#include "core/decode/disasm.h"
#include "core/decode/table.h"
#include "core/interrupts.h"
#include "core/mmu.h"
#include "core/semantics/all.h"
#include "core/triggers.h"

namespace lockstep::core {
namespace {

// Handler numbers: 0 calls Insn::fn; 1.. are the functions of LOCKSTEP_FOR_EACH_SEMANTICS,
// each inlined into its own threaded-code handler.
enum HandlerId : u16 {
  kHandlerIndirect = 0,
#define LOCKSTEP_HANDLER_ID(name) kHandler_##name,
  LOCKSTEP_FOR_EACH_SEMANTICS(LOCKSTEP_HANDLER_ID)
#undef LOCKSTEP_HANDLER_ID
  kHandlerEnd,  // the marker after a block's last instruction
};

// Appends the end marker, so the threaded dispatch needs no per-instruction bounds check.
void seal(Block& b) {
  b.length = b.insns.size();
  Insn end;
  end.handler = kHandlerEnd;
  b.insns.push_back(end);
}

u16 handler_for(SemFn fn) {
#define LOCKSTEP_HANDLER_MATCH(name) \
  if (fn == &sem::name) return kHandler_##name;
  LOCKSTEP_FOR_EACH_SEMANTICS(LOCKSTEP_HANDLER_MATCH)
#undef LOCKSTEP_HANDLER_MATCH
  return kHandlerIndirect;
}

// Translates pc for fetch; on success returns the host pointer of the pc's page start and its
// physical page. Fetch from anything but RAM is an access fault.
bool fetch_page(Hart& h, u64 pc, u8*& host_page, u64& pa_page, RamBlock*& block) {
  Translation t;
  if (!translate(h, pc, 2, Access::Fetch, t)) return false;
  const u64 page = t.pa & ~(kPageSize - 1);
  block = h.bus->find_ram(t.pa, 2);
  if (!block) {
    h.trap = Trap{static_cast<u64>(Exc::InsnAccessFault), pc};
    return false;
  }
  host_page = block->host + (page - block->base);
  pa_page = page;
  return true;
}

// Decodes the instruction that straddles a page boundary (fetching the second half through
// its own translation). Never cached.
bool decode_straddling(Hart& h, u16 low, Insn& out) {
  const u64 second = (h.pc & ~(kPageSize - 1)) + kPageSize;
  Translation t;
  if (!translate(h, second, 2, Access::Fetch, t)) return false;
  u64 high;
  if (!h.bus->find_ram(t.pa, 2) || !h.bus->read_phys(t.pa, 2, high)) {
    h.trap = Trap{static_cast<u64>(Exc::InsnAccessFault), second};
    return false;
  }
  decode::decode32(static_cast<u32>(low) | (static_cast<u32>(high) << 16), out);
  return true;
}

Block* build_block(Hart& h, u64 pa, const u8* host_page, RamBlock& ram) {
  auto block = std::make_unique<Block>();
  block->paddr = pa;
  block->bytes = decode::decode_block(host_page, pa & (kPageSize - 1), CodeCache::kMaxBlockInsns, block->insns);
  for (Insn& insn : block->insns) insn.handler = handler_for(insn.fn);
  seal(*block);
  return h.code->insert(h, ram, std::move(block));
}

// QEMU charges a WFI with the rest of its translation block (the block is aborted after being
// counted in full; docs/qemu-icount.md §4). Returns how many instructions follow the WFI up to
// and including the one that ends a QEMU block, within the page.
u64 qemu_tb_tail_after(Hart& h) {
  u8* host_page;
  u64 pa_page;
  RamBlock* ram;
  if (!fetch_page(h, h.pc, host_page, pa_page, ram)) return 0;
  std::vector<Insn> tail;
  decode::decode_block(host_page, h.pc & (kPageSize - 1), kPageSize / 2, tail);
  return tail.size();
}

void trace_line(const TraceSink& t, const Hart& h, const Insn& i) {
  static constexpr char kPriv[] = {'U', 'S', '?', 'M'};
  fmt::print(t.out, "{:>10} {} {:016x} {:0{}x} {}\n", h.icount, kPriv[static_cast<unsigned>(h.priv)], h.pc, i.raw,
             i.len * 2, decode::disassemble(i, h.pc));
}

void after_trap_or_jump(Hart& h, Flow f) {
  if (f == Flow::Trap) {
    if (h.trap.counted) ++h.icount;
    enter_trap(h, h.trap.cause, h.trap.tval);
    return;
  }
  ++h.icount;  // Jump or Sync: retired, pc already set
  if (h.waiting_for_interrupt && h.clock) h.clock->offset_ns += qemu_tb_tail_after(h) * h.clock->ns_per_insn;
}

// Runs a whole block with threaded dispatch: each handler is a semantics function inlined,
// followed by the jump to the next instruction's handler, until the end marker. h.icount and
// h.pc stay exact at every instruction (CSR reads and device accesses see them). Memory
// instructions return Flow::Sync when a device access or code write must end the block.
void execute(Hart& h, const Insn* i) {
  static void* const kLabels[] = {
      &&handler_indirect,
#define LOCKSTEP_HANDLER_LABEL(name) &&handler_##name,
      LOCKSTEP_FOR_EACH_SEMANTICS(LOCKSTEP_HANDLER_LABEL)
#undef LOCKSTEP_HANDLER_LABEL
      &&handler_end,
  };
  // pc and icount live in registers and are stored (never read back) after each instruction:
  // a read-modify-write of h.pc/h.icount per instruction would chain every guest instruction
  // through store-to-load forwarding. Instructions returning Flow::Next do not change either.
  u64 pc = h.pc;
  u64 icount = h.icount;
  Flow f;
  goto *kLabels[i->handler];

#define LOCKSTEP_NEXT_OR_LEAVE(call)                                  \
  f = (call);                                                         \
  if (__builtin_expect(f != Flow::Next, 0)) goto leave;               \
  pc += i->len;                                                       \
  h.pc = pc;                                                          \
  h.icount = ++icount;                                                \
  ++i;                                                                \
  goto *kLabels[i->handler];

handler_indirect:
  LOCKSTEP_NEXT_OR_LEAVE(i->fn(h, *i))
#define LOCKSTEP_HANDLER_BODY(name) \
  handler_##name:                   \
  LOCKSTEP_NEXT_OR_LEAVE(sem::name(h, *i))
  LOCKSTEP_FOR_EACH_SEMANTICS(LOCKSTEP_HANDLER_BODY)
#undef LOCKSTEP_HANDLER_BODY
#undef LOCKSTEP_NEXT_OR_LEAVE

handler_end:
  return;
leave:
  after_trap_or_jump(h, f);
}

// The first n instructions of a block only (the run ends inside it), or traced.
template <bool kTraced>
void execute_prefix(Hart& h, const Insn* insns, u64 n, const TraceSink* trace) {
  for (const Insn* i = insns; i != insns + n; ++i) {
    if constexpr (kTraced) trace_line(*trace, h, *i);
    const Flow f = i->fn(h, *i);
    if (f != Flow::Next) {
      after_trap_or_jump(h, f);
      return;
    }
    h.pc += i->len;
    ++h.icount;
  }
}

// Whether the block goes to the compiled tier: it has a region, or has run enough instructions
// (counted until then only, so the count never wraps).
inline bool offered(const CompiledTier& tier, Block& block) {
  if (block.compiled_region || block.hits >= tier.offer_after) return true;
  block.hits += static_cast<u32>(block.length);
  return block.hits >= tier.offer_after;
}

template <bool kTraced>
StopReason run(Hart& h, u64 end, const TraceSink* trace) {
  CodeCache& cache = *h.code;
  Block straddling;
  while (h.icount < end) {
    cache.release_retired();
    if (h.waiting_for_interrupt) {
      if (!(h.csr.mip & h.csr.mie)) return StopReason::Waiting;
      h.waiting_for_interrupt = false;
    }
    if (h.csr.mip & h.csr.mie) {
      if (const u64 irq = pending_interrupt(h)) enter_trap(h, irq, 0);
    }
    // Sdtrig execute triggers: QEMU checks them before every instruction, before its fetch; the
    // instruction does not run and is not counted. A trap vector that fires again is a loop.
    if (__builtin_expect(h.triggers_armed & kArmedExec, 0) && exec_trigger_fires(h)) {
      const u64 at = h.pc;
      enter_trap(h, static_cast<u64>(Exc::Breakpoint), 0);
      if (h.pc == at && exec_trigger_fires(h)) return StopReason::TrapLoop;
      continue;
    }

    h.stop_block = false;
    Block* block = nullptr;
    CodeCache::JumpEntry& slot = cache.jump_slot(h.pc);
    if (slot.vpc == h.pc && slot.key == h.fetch_key) {
      block = slot.block;
    } else {
      u8* host_page;
      u64 pa_page;
      RamBlock* ram;
      if (!fetch_page(h, h.pc, host_page, pa_page, ram)) {
        const u64 faulting = h.pc;
        enter_trap(h, h.trap.cause, h.trap.tval);
        if (h.pc == faulting) return StopReason::TrapLoop;
        continue;
      }
      const u64 pa = pa_page | (h.pc & (kPageSize - 1));
      block = cache.find(pa);
      if (!block) {
        const u64 offset = h.pc & (kPageSize - 1);
        u16 low;
        std::memcpy(&low, host_page + offset, 2);
        if ((low & 3) == 3 && offset + 4 > kPageSize) {
          straddling.insns.resize(1);
          if (!decode_straddling(h, low, straddling.insns[0])) {
            const u64 faulting = h.pc;
            enter_trap(h, h.trap.cause, h.trap.tval);
            if (h.pc == faulting) return StopReason::TrapLoop;
            continue;
          }
          straddling.insns[0].handler = handler_for(straddling.insns[0].fn);
          seal(straddling);
          block = &straddling;
        } else {
          block = build_block(h, pa, host_page, *ram);
        }
      }
      if (block != &straddling) slot = CodeCache::JumpEntry{h.pc, h.fetch_key, block};
    }

    // While a trigger is set the hart stays here (compiled code checks none), one instruction
    // per dispatch when it is an execute trigger (checked above, at every instruction).
    const bool exec_triggers = h.triggers_armed & kArmedExec;
    if (!kTraced && h.triggers_armed == 0 && cache.tier && block != &straddling && offered(*cache.tier, *block) &&
        cache.tier->execute(h, *block, end)) {
      if (h.stop_block) return StopReason::Request;
      continue;
    }
    const u64 budget = end - h.icount;
    if (!kTraced && !exec_triggers && block->length <= budget) {
      execute(h, block->insns.data());
    } else {
      const u64 n = std::min({exec_triggers ? u64{1} : block->length, block->length, budget});
      execute_prefix<kTraced>(h, block->insns.data(), n, trace);
    }
    if (h.stop_block) return StopReason::Request;
  }
  return StopReason::Budget;
}

}  // namespace

void finish_flow(Hart& h, Flow f) { after_trap_or_jump(h, f); }

StopReason run_hart(Hart& h, u64 end_icount, const TraceSink* trace) {
  if (trace && trace->out) return run<true>(h, end_icount, trace);
  return run<false>(h, end_icount, trace);
}

}  // namespace lockstep::core
