#include "core/interpreter.h"

#include <fmt/format.h>

#include "core/address_space.h"
#include "core/code_cache.h"
#include "core/decode/disasm.h"
#include "core/decode/table.h"
#include "core/interrupts.h"
#include "core/mmu.h"

namespace lockstep::core {
namespace {

bool ends_block(const Insn& i) { return i.row == 0xffff || decode::ends_block(decode::row(i.row)); }

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
  u64 offset = pa & (kPageSize - 1);
  while (block->insns.size() < CodeCache::kMaxBlockInsns && offset + 2 <= kPageSize) {
    u16 low;
    std::memcpy(&low, host_page + offset, 2);
    Insn insn;
    if ((low & 3) == 3) {
      if (offset + 4 > kPageSize) break;  // straddles: left to the next lookup
      u32 raw;
      std::memcpy(&raw, host_page + offset, 4);
      decode::decode32(raw, insn);
    } else {
      decode::decode16(low, insn);
    }
    block->insns.push_back(insn);
    offset += insn.len;
    if (ends_block(insn)) break;
  }
  u8& flags = ram.page_flags[(pa - ram.base) / kPageSize];
  if (!(flags & kPageHasCode)) {
    flags |= kPageHasCode;
    h.store_tlb.flush();  // stores to this page must now see the code
  }
  return h.code->insert(std::move(block));
}

// QEMU charges a WFI with the rest of its translation block (the block is aborted after being
// counted in full; docs/qemu-icount.md §4). Returns how many instructions follow the WFI up to
// and including the one that ends a QEMU block, within the page.
u64 qemu_tb_tail_after(Hart& h) {
  u8* host_page;
  u64 pa_page;
  RamBlock* ram;
  if (!fetch_page(h, h.pc, host_page, pa_page, ram)) return 0;
  u64 offset = h.pc & (kPageSize - 1);
  u64 count = 0;
  while (offset + 2 <= kPageSize) {
    u16 low;
    std::memcpy(&low, host_page + offset, 2);
    Insn insn;
    if ((low & 3) == 3) {
      if (offset + 4 > kPageSize) break;
      u32 raw;
      std::memcpy(&raw, host_page + offset, 4);
      decode::decode32(raw, insn);
    } else {
      decode::decode16(low, insn);
    }
    ++count;
    offset += insn.len;
    if (ends_block(insn)) break;
  }
  return count;
}

void trace_line(const TraceSink& t, const Hart& h, const Insn& i) {
  static constexpr char kPriv[] = {'U', 'S', '?', 'M'};
  fmt::print(t.out, "{:>10} {} {:016x} {:0{}x} {}\n", h.icount, kPriv[static_cast<unsigned>(h.priv)], h.pc, i.raw,
             i.len * 2, decode::disassemble(i, h.pc));
}

template <bool kTraced>
StopReason run(Hart& h, u64 end, const TraceSink* trace) {
  CodeCache& cache = *h.code;
  while (h.icount < end) {
    cache.release_retired();
    if (h.waiting_for_interrupt) {
      if (!(h.csr.mip & h.csr.mie)) return StopReason::Waiting;
      h.waiting_for_interrupt = false;
    }
    if (const u64 irq = pending_interrupt(h)) enter_trap(h, irq, 0);

    h.stop_block = false;
    Block* block = nullptr;
    Block straddling;
    CodeCache::JumpEntry& slot = cache.jump_slot(h.pc);
    if (slot.vpc == h.pc && slot.key == h.fetch_key) {
      block = slot.block;
    } else {
      u8* host_page;
      u64 pa_page;
      RamBlock* ram;
      if (!fetch_page(h, h.pc, host_page, pa_page, ram)) {
        enter_trap(h, h.trap.cause, h.trap.tval);
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
            enter_trap(h, h.trap.cause, h.trap.tval);
            continue;
          }
          block = &straddling;
        } else {
          block = build_block(h, pa, host_page, *ram);
        }
      }
      if (block != &straddling) slot = CodeCache::JumpEntry{h.pc, h.fetch_key, block};
    }

    const Insn* insns = block->insns.data();
    u64 n = block->insns.size();
    if (n > end - h.icount) n = end - h.icount;
    // h.icount stays exact at every instruction: CSR reads and device accesses see it.
    for (const Insn* i = insns; i != insns + n; ++i) {
      if constexpr (kTraced) trace_line(*trace, h, *i);
      const Flow f = i->fn(h, *i);
      if (f == Flow::Next) {
        h.pc += i->len;
        ++h.icount;
        if (h.stop_block) break;
        continue;
      }
      if (f == Flow::Trap) {
        if (h.trap.counted) ++h.icount;
        enter_trap(h, h.trap.cause, h.trap.tval);
        break;
      }
      ++h.icount;  // Jump or Sync: retired, pc already set
      if (h.waiting_for_interrupt && h.clock) h.clock->offset_ns += qemu_tb_tail_after(h) * h.clock->ns_per_insn;
      break;
    }
    if (h.stop_block) return StopReason::Request;
  }
  return StopReason::Budget;
}

}  // namespace

StopReason run_hart(Hart& h, u64 end_icount, const TraceSink* trace) {
  if (trace && trace->out) return run<true>(h, end_icount, trace);
  return run<false>(h, end_icount, trace);
}

}  // namespace lockstep::core
