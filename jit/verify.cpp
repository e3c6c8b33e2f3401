#include "jit/verify.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "core/address_space.h"
#include "core/decode/disasm.h"
#include "core/interpreter.h"
#include "core/memory.h"
#include "jit/jit.h"

namespace lockstep::jit {
namespace {

using core::Flow;
using core::Hart;
using core::Insn;
using core::u8;

// Guest memory as the interpreter copy sees it: RAM underneath, its own writes on top.
class Overlay final : public core::MemoryOverlay {
 public:
  bool touched_device = false;
  struct Written {
    u8 byte;
    u64 icount;  // of the instruction that wrote it last
  };
  std::map<u64, Written> written;  // physical address -> byte

  bool read(Hart& h, u64 va, u64 pa, unsigned size, u64& out, core::Exc fault) override {
    core::RamBlock* b = h.bus->find_ram(pa, size);
    if (!b) return refuse(h, va, fault);
    out = 0;
    for (unsigned k = 0; k < size; ++k) {
      auto it = written.find(pa + k);
      const u8 byte = it != written.end() ? it->second.byte : b->host[pa + k - b->base];
      out |= static_cast<u64>(byte) << (8 * k);
    }
    return true;
  }
  bool write(Hart& h, u64 va, u64 pa, unsigned size, u64 value) override {
    core::RamBlock* b = h.bus->find_ram(pa, size);
    if (!b) return refuse(h, va, core::Exc::StoreAccessFault);
    if (b->read_only) return true;
    for (unsigned k = 0; k < size; ++k) written[pa + k] = Written{static_cast<u8>(value >> (8 * k)), h.icount};
    // Stores into code or watched pages end the block on the real hart: do the same here.
    if (b->page_flags[(pa - b->base) / core::kPageSize] || b->page_flags[(pa + size - 1 - b->base) / core::kPageSize]) {
      h.stop_block = true;
    }
    return true;
  }

 private:
  // Devices have side effects and cannot be asked twice: give up on this run.
  bool refuse(Hart& h, u64 va, core::Exc fault) {
    touched_device = true;
    h.trap = core::Trap{static_cast<u64>(fault), va};
    return false;
  }
};

// The interpreter's state before each plain memory access that the real hart's inline TLB
// cannot serve: compiled code leaves the region there (unexecuted), so the comparison is with
// that state. Keyed by icount.
using StatesBeforeMisses = std::map<u64, std::unique_ptr<Hart>>;

// The interpreter, stepping through the region's blocks exactly where the compiled code would go.
// Returns the last instruction executed (for the report).
void interpret_like_region(Hart& h, const Hart& real, const RegionPlan& plan, int entry, u64 end, const Insn*& last,
                           u64& last_pc, StatesBeforeMisses& before_misses) {
  int current = entry;
  for (;;) {
    const RegionBlock& b = plan.blocks[static_cast<size_t>(current)];
    if (h.icount + b.insns.size() > end) return;  // out of budget: the region stops here too
    int next = b.fallthrough_block;
    bool left = false;
    for (size_t n = 0; n < b.insns.size(); ++n) {
      const Insn& i = b.insns[n];
      if (const auto access = plain_memory_access(i.fn)) {
        const u64 va = h.x[i.rs1] + static_cast<u64>(i.imm);
        const core::Tlb& tlb = access->store ? real.store_tlb : real.load_tlb;
        if (!core::tlb_serves(tlb.entries[(va >> core::kPageBits) % core::Tlb::kEntries], real.data_key, va, access->size)) {
          before_misses.try_emplace(h.icount, std::make_unique<Hart>(h));
        }
      }
      last = &i;
      last_pc = h.pc;
      const Flow f = i.fn(h, i);
      if (f == Flow::Next) {
        h.pc += i.len;
        ++h.icount;
        continue;
      }
      if (f == Flow::Jump && n + 1 == b.insns.size() && b.taken_block >= 0) {
        ++h.icount;
        next = b.taken_block;
        break;
      }
      core::finish_flow(h, f);
      left = true;
      break;
    }
    if (left || next < 0) return;
    current = next;
  }
}

struct Difference {
  std::string what;
  u64 jit = 0, interpreter = 0;
};

std::optional<Difference> compare(const Hart& jit, const Hart& ref) {
  for (unsigned r = 0; r < 32; ++r) {
    if (jit.x[r] != ref.x[r]) return Difference{fmt::format("register {}", core::decode::xreg_name(r)), jit.x[r], ref.x[r]};
  }
  for (unsigned r = 0; r < 32; ++r) {
    if (jit.f[r] != ref.f[r]) return Difference{fmt::format("register {}", core::decode::freg_name(r)), jit.f[r], ref.f[r]};
  }
  if (jit.pc != ref.pc) return Difference{"pc", jit.pc, ref.pc};
  if (jit.icount != ref.icount) return Difference{"icount", jit.icount, ref.icount};
  if (jit.priv != ref.priv) return Difference{"privilege", static_cast<u64>(jit.priv), static_cast<u64>(ref.priv)};
  const core::CsrState& a = jit.csr;
  const core::CsrState& b = ref.csr;
#define LOCKSTEP_VERIFY_CSR(field) \
  if (a.field != b.field) return Difference{"csr " #field, a.field, b.field};
  LOCKSTEP_VERIFY_CSR(mstatus) LOCKSTEP_VERIFY_CSR(medeleg) LOCKSTEP_VERIFY_CSR(mideleg) LOCKSTEP_VERIFY_CSR(mie)
  LOCKSTEP_VERIFY_CSR(mip) LOCKSTEP_VERIFY_CSR(mtvec) LOCKSTEP_VERIFY_CSR(mscratch) LOCKSTEP_VERIFY_CSR(mepc)
  LOCKSTEP_VERIFY_CSR(mcause) LOCKSTEP_VERIFY_CSR(mtval) LOCKSTEP_VERIFY_CSR(mcounteren)
  LOCKSTEP_VERIFY_CSR(mcountinhibit) LOCKSTEP_VERIFY_CSR(menvcfg) LOCKSTEP_VERIFY_CSR(stvec)
  LOCKSTEP_VERIFY_CSR(sscratch) LOCKSTEP_VERIFY_CSR(sepc) LOCKSTEP_VERIFY_CSR(scause) LOCKSTEP_VERIFY_CSR(stval)
  LOCKSTEP_VERIFY_CSR(scounteren) LOCKSTEP_VERIFY_CSR(senvcfg) LOCKSTEP_VERIFY_CSR(satp) LOCKSTEP_VERIFY_CSR(fflags)
  LOCKSTEP_VERIFY_CSR(frm) LOCKSTEP_VERIFY_CSR(minstret_offset) LOCKSTEP_VERIFY_CSR(mcycle_offset)
#undef LOCKSTEP_VERIFY_CSR
  if (jit.reservation.valid != ref.reservation.valid || jit.reservation.vaddr != ref.reservation.vaddr ||
      jit.reservation.value != ref.reservation.value) {
    return Difference{"LR reservation (address)", jit.reservation.vaddr, ref.reservation.vaddr};
  }
  if (jit.waiting_for_interrupt != ref.waiting_for_interrupt) {
    return Difference{"WFI state", jit.waiting_for_interrupt, ref.waiting_for_interrupt};
  }
  return std::nullopt;
}

}  // namespace

unsigned Verifier::run(Hart& h, const RegionPlan& plan, RegionFn fn, core::u32 entry, u64 end_icount, JitStats& stats) {
  // The interpreter on a copy: private memory, no code cache, the clock following the copy.
  auto copy = std::make_unique<Hart>(h);
  Overlay overlay;
  copy->overlay = &overlay;
  copy->code = nullptr;
  copy->load_tlb.flush();
  copy->store_tlb.flush();
  copy->fetch_tlb.flush();
  core::VirtualClock* clock = h.clock;
  const u64* running = clock ? clock->running_icount : nullptr;
  if (clock) clock->running_icount = &copy->icount;
  const Insn* last = nullptr;
  u64 last_pc = h.pc;
  const u64 entry_icount = h.icount;
  StatesBeforeMisses before_misses;
  interpret_like_region(*copy, h, plan, static_cast<int>(entry), end_icount, last, last_pc, before_misses);
  if (clock) clock->running_icount = running;

  const unsigned returned = fn(&h, end_icount, entry);
  const unsigned rc = returned == kLeftBeforeAccess ? 0 : returned;
  if (overlay.touched_device) {
    ++stats.unverifiable;
    return returned;
  }
  // The compiled code left early, before an access its inline TLB could not serve: compare with
  // the interpreter's state there, and only the bytes written before it.
  const Hart* reference = copy.get();
  u64 written_before = ~u64{0};
  if (returned == kLeftBeforeAccess) {
    auto it = before_misses.find(h.icount);
    if (it == before_misses.end()) {  // a TLB entry the region itself replaced: not predictable here
      ++stats.unverifiable;
      return returned;
    }
    reference = it->second.get();
    written_before = h.icount;
  }
  // Compare after finishing the flow on both, as the dispatcher will.
  Hart finished = h;
  finished.code = nullptr;
  if (rc != 0) {
    if (clock) clock->running_icount = &finished.icount;
    core::finish_flow(finished, static_cast<Flow>(rc));
    if (clock) clock->running_icount = running;
  }
  std::optional<Difference> diff = compare(finished, *reference);
  if (!diff) {
    for (const auto& [pa, w] : overlay.written) {
      if (w.icount >= written_before) continue;
      core::RamBlock* b = h.bus->find_ram(pa);
      if (b && b->host[pa - b->base] != w.byte) {
        diff = Difference{fmt::format("memory byte at physical 0x{:x}", pa), b->host[pa - b->base], w.byte};
        break;
      }
    }
  }
  ++stats.verified;
  if (!diff) return returned;
  std::string insn = last ? core::decode::disassemble(*last, last_pc) : "?";
  fmt::print(stderr,
             "lockstep: --jit-verify: the compiled region entered at pc 0x{:x} ({} instructions, icount {}) and the "
             "interpreter differ in {}: compiled 0x{:x}, interpreter 0x{:x}; the interpreter stopped at icount {} "
             "after pc 0x{:x}: {}\n",
             plan.blocks[entry].pc, plan.insn_count, entry_icount, diff->what, diff->jit, diff->interpreter, copy->icount,
             last_pc, insn);
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(1);
}

}  // namespace lockstep::jit
