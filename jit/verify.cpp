#include "jit/verify.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/address_space.h"
#include "core/code_cache.h"
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
  u64 device_icount = 0;  // of the instruction that touched one first
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
    // Stores that overwrite decoded code, or reach a watched page, end the block on the real
    // hart: do the same here. (Slow-path accesses reach here within one page.)
    const u8 flags = b->page_flags[(pa - b->base) / core::kPageSize];
    if ((flags & core::kPageWatched) || ((flags & core::kPageHasCode) && h.code && h.code->overlaps_code(pa, size))) {
      h.stop_block = true;
    }
    return true;
  }

 private:
  // Devices have side effects and cannot be asked twice: give up on this run.
  bool refuse(Hart& h, u64 va, core::Exc fault) {
    if (!touched_device) device_icount = h.icount;
    touched_device = true;
    h.trap = core::Trap{static_cast<u64>(fault), va};
    return false;
  }
};

// What compare() looks at: the architectural state without the caches (a Hart is mostly TLBs).
struct ArchState {
  std::array<u64, 32> x{}, f{};
  u64 pc = 0, icount = 0;
  core::Priv priv = core::Priv::M;
  core::CsrState csr;
  core::Reservation reservation;
  bool waiting_for_interrupt = false;

  static ArchState of(const Hart& h) {
    return {h.x, h.f, h.pc, h.icount, h.priv, h.csr, h.reservation, h.waiting_for_interrupt};
  }
};

// The interpreter's state at each point where compiled code may leave the region unexecuted
// (Compiler::Compiled::leave_pcs: before a speculative group, before a plain access), in
// icount order.
using StatesAtLeavePoints = std::vector<ArchState>;

// The interpreter, stepping through the region's blocks exactly where the compiled code would go.
// Returns the last instruction executed (for the report).
void interpret_like_region(Hart& h, const RegionPlan& plan, const std::vector<u64>& leave_pcs, int entry, u64 end,
                           const Insn*& last, u64& last_pc, StatesAtLeavePoints& at_leave_points) {
  int current = entry;
  for (;;) {
    const RegionBlock& b = plan.blocks[static_cast<size_t>(current)];
    if (h.icount + b.insns.size() > end) return;  // out of budget: the region stops here too
    int next = b.fallthrough_block;
    bool left = false;
    for (size_t n = 0; n < b.insns.size(); ++n) {
      const Insn& i = b.insns[n];
      if (std::binary_search(leave_pcs.begin(), leave_pcs.end(), h.pc)) at_leave_points.push_back(ArchState::of(h));
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

std::optional<Difference> compare(const Hart& jit, const ArchState& ref) {
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

unsigned Verifier::run(Hart& h, const RegionPlan& plan, const std::vector<u64>& leave_pcs, RegionFn fn, core::u32 entry,
                       u64 end_icount, JitStats& stats) {
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
  // Kept between runs: a region's loop can pass thousands of leave points per run, and fresh
  // pages for them each time cost more than the interpreter itself.
  static thread_local StatesAtLeavePoints at_leave_points;
  at_leave_points.clear();
  interpret_like_region(*copy, plan, leave_pcs, static_cast<int>(entry), end_icount, last, last_pc, at_leave_points);
  if (clock) clock->running_icount = running;

  const unsigned returned = fn(&h, end_icount, entry);
  const unsigned rc = returned == kLeftBeforeAccess ? 0 : returned;
  // A device access cannot be repeated: the run is checkable only if the compiled code left
  // early, before the interpreter's first one.
  if (overlay.touched_device && !(returned == kLeftBeforeAccess && h.icount <= overlay.device_icount)) {
    ++stats.unverifiable;
    return returned;
  }
  // The compiled code left early, unexecuted, at one of its leave points: compare with the
  // interpreter's state there, and only the bytes written before it.
  ArchState reference = ArchState::of(*copy);
  u64 written_before = ~u64{0};
  std::optional<Difference> diff;
  if (returned == kLeftBeforeAccess) {
    auto it = std::lower_bound(at_leave_points.begin(), at_leave_points.end(), h.icount,
                               [](const ArchState& s, u64 icount) { return s.icount < icount; });
    if (it != at_leave_points.end() && it->icount == h.icount) {
      reference = *it;
    } else {
      // The interpreter was at no leave point at that instruction count: the region left where
      // it may not, or its path went elsewhere.
      diff = Difference{"where it left the region early (icount)", h.icount,
                        it == at_leave_points.end() ? copy->icount : it->icount};
    }
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
  if (!diff) diff = compare(finished, reference);
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
