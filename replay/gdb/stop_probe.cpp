#include "replay/gdb/stop_probe.h"

#include <algorithm>

#include "core/code_cache.h"
#include "core/decode/table.h"
#include "machines/virt/virt_machine.h"
#include "replay/gdb/guest_memory.h"

namespace lockstep::replay::gdb {

StopProbe::StopProbe(machines::virt::VirtMachine& vm) : vm_(vm) {
  offer_after = 0;  // every block is offered: a breakpoint may be in cold code
}

void StopProbe::arm(ProbePlan plan) {
  plan_ = std::move(plan);
  hit_.reset();
  stop_requested_ = false;
  went_blind_ = false;
}

void StopProbe::resume_after_blind() {
  stop_requested_ = false;
  went_blind_ = false;
}

unsigned StopProbe::hart_index(const core::Hart& h) const {
  for (unsigned k = 0; k < vm_.hart_count(); ++k)
    if (&vm_.hart(k) == &h) return k;
  return 0;
}

std::uint64_t StopProbe::machine_icount() const { return vm_.icount(); }

bool StopProbe::breakpoint_at(std::uint64_t pc) const {
  return std::binary_search(breakpoints.begin(), breakpoints.end(), pc);
}

namespace {

// A CSR instruction on tselect/tdata1-3/tinfo/tcontrol (0x7a0-0x7af): it may arm the guest's own
// triggers, after which the interpreter offers no block to a tier.
bool may_arm_triggers(const core::Insn& i) {
  if (i.row == 0xffff) return false;
  const auto f = core::decode::row(i.row).format;
  return (f == core::decode::Format::Csr || f == core::decode::Format::CsrI) && (i.imm & 0xff0) == 0x7a0;
}

}  // namespace

// Called for every block while the probe is installed: the common answer (no) must be cheap.
bool StopProbe::interested(unsigned k, const core::Hart& h, const core::Block& block) const {
  if (block.length && may_arm_triggers(block.insns[block.length - 1])) return true;
  if (plan_.use_points && !watchpoints.empty()) return true;
  if (plan_.step && plan_.step->hart == k && plan_.step->icount >= h.icount && plan_.step->icount - h.icount < block.length)
    return true;
  if (plan_.before && plan_.before->hart == k) {
    const std::uint64_t total = machine_icount();
    if (plan_.before->total >= total && plan_.before->total - total < block.length) return true;
  }
  if (!plan_.use_points || breakpoints.empty()) return false;
  auto it = std::lower_bound(breakpoints.begin(), breakpoints.end(), h.pc);
  return it != breakpoints.end() && *it - h.pc < block.bytes;
}

std::optional<Hit> StopProbe::check_before(unsigned k, const core::Hart& h, std::uint64_t total, bool block_start) const {
  if (plan_.before && plan_.before->hart == k && plan_.before->total == total && plan_.before->pc == h.pc)
    return Hit{Hit::Kind::Target, k, total, total, h.pc, 0, PointKind::Software};
  // A trap or interrupt entered since the step began (no instruction retired): the step ends at
  // the handler's first instruction, before it runs.
  if (block_start && plan_.step && plan_.step->stop_on_trap && plan_.step->hart == k &&
      h.icount == plan_.step->icount && h.pc != plan_.step->pc)
    return Hit{Hit::Kind::Step, k, total, total, h.pc, 0, PointKind::Software};
  if (plan_.use_points && breakpoint_at(h.pc) && !(total == plan_.start_total && k < plan_.start_pcs.size() && plan_.start_pcs[k] == h.pc))
    return Hit{Hit::Kind::Breakpoint, k, total, total, h.pc, 0, PointKind::Software};
  return std::nullopt;
}

std::optional<std::pair<std::uint64_t, PointKind>> StopProbe::watched(const MemoryAccess& a) const {
  const std::uint64_t lo = a.address, hi = a.address + a.size;
  for (const Watchpoint& w : watchpoints) {
    const bool kind_matches = w.kind == PointKind::Write  ? a.writes
                              : w.kind == PointKind::Read ? a.reads
                                                          : a.reads || a.writes;
    if (kind_matches && hi > w.address && lo < w.address + w.length) return std::pair{std::max(lo, w.address), w.kind};
  }
  return std::nullopt;
}

bool StopProbe::record(const Hit& hit) {
  hit_ = hit;
  if (plan_.collect) return false;
  stop_requested_ = true;
  return true;
}

bool StopProbe::execute(core::Hart& h, core::Block& block, std::uint64_t end_icount) {
  const unsigned k = hart_index(h);
  if (!interested(k, h, block)) return false;
  const std::uint64_t total0 = machine_icount();
  const std::uint64_t icount0 = h.icount;
  const std::uint64_t n = std::min<std::uint64_t>(block.length, end_icount - h.icount);
  for (std::uint64_t j = 0; j < n; ++j) {
    const core::Insn& i = block.insns[j];
    const std::uint64_t total = total0 + (h.icount - icount0);
    if (auto hit = check_before(k, h, total, j == 0); hit && record(*hit)) {
      h.stop_block = true;
      return true;
    }
    std::optional<MemoryAccess> access;
    if (plan_.use_points && !watchpoints.empty()) access = memory_access(h, i);
    // Going forwards a watchpoint stops before the access, as RISC-V's triggers do and as gdb
    // expects of this architecture (its watchpoints are "nonsteppable": gdb steps over the access
    // itself, then compares values). Going backwards (collecting) only accesses that happened count.
    if (access && !plan_.collect) {
      if (auto w = watched(*access)) {
        record(Hit{Hit::Kind::Watchpoint, k, total, total, h.pc, w->first, w->second});
        h.stop_block = true;
        return true;
      }
    }
    const std::uint64_t pc = h.pc, hart_before = h.icount;
    // What the interpreter's dispatch does for one instruction (core/interpreter.cpp).
    const core::Flow f = i.fn(h, i);
    if (f == core::Flow::Next) {
      h.pc += i.len;
      ++h.icount;
    } else {
      core::finish_flow(h, f);
    }
    bool stop = false;
    if (access && f != core::Flow::Trap && !(access->conditional && i.rd != 0 && h.x[i.rd] != 0)) {
      if (auto w = watched(*access)) stop = record(Hit{Hit::Kind::Watchpoint, k, total + 1, total, pc, w->first, w->second});
    }
    // The step's instruction: the one the hart runs at the step's icount (a counted trap retires).
    if (!stop && plan_.step && plan_.step->hart == k && hart_before == plan_.step->icount &&
        (h.icount > hart_before || (f == core::Flow::Trap && plan_.step->stop_on_trap)))
      stop = record(Hit{Hit::Kind::Step, k, machine_icount(), total, h.pc, 0, PointKind::Software});
    if (!stop && h.triggers_armed) {
      // The guest armed its own triggers: from here no block reaches the probe. The run ends here
      // (after a look at where the hart stands) and the engine goes on one instruction at a time.
      if (auto hit = check_before(k, h, machine_icount(), true)) record(*hit);
      stop_requested_ = went_blind_ = true;
      stop = true;
    }
    if (stop) {
      h.stop_block = true;
      return true;
    }
    if (f != core::Flow::Next) return true;
  }
  return true;
}

bool StopProbe::blind() const {
  for (unsigned k = 0; k < vm_.hart_count(); ++k)
    if (vm_.hart(k).triggers_armed) return true;
  return false;
}

std::vector<StopProbe::Mark> StopProbe::marks() const {
  std::vector<Mark> out;
  for (unsigned k = 0; k < vm_.hart_count(); ++k) {
    core::Hart& h = vm_.hart(k);
    Mark m{h.icount, h.pc, std::nullopt};
    if (plan_.use_points && !watchpoints.empty()) {
      // The instruction at pc, fetched as the hart would (no side effects), decoded.
      std::uint32_t raw = 0;
      const auto lo = debug_translate(h, h.pc, true), hi = debug_translate(h, h.pc + 2, true);
      core::Insn insn;
      if (lo && h.bus->dma_read(*lo, &raw, 2) && ((raw & 3) != 3 || (hi && h.bus->dma_read(*hi, reinterpret_cast<std::uint8_t*>(&raw) + 2, 2))) &&
          core::decode::decode(raw, insn))
        m.access = memory_access(h, insn);
    }
    out.push_back(m);
  }
  return out;
}

bool StopProbe::between(const std::vector<Mark>& before, std::uint64_t limit) {
  const std::uint64_t total = machine_icount();
  for (unsigned k = 0; k < vm_.hart_count(); ++k) {
    const core::Hart& h = vm_.hart(k);
    const Mark& m = before[k];
    if (h.icount == m.icount && h.pc == m.pc) continue;  // this hart did not run
    if (plan_.step && plan_.step->hart == k && m.icount == plan_.step->icount)
      return record(Hit{Hit::Kind::Step, k, total, total - 1, h.pc, 0, PointKind::Software});
    if (m.access) {
      if (auto w = watched(*m.access); w && record(Hit{Hit::Kind::Watchpoint, k, total, total - 1, m.pc, w->first, w->second}))
        return true;
    }
    // Where the hart now stands: a position of this run only before its end (a search's end is
    // the next span's, or now).
    if (total >= limit && plan_.collect) continue;
    if (plan_.before && plan_.before->hart == k && plan_.before->total == total && plan_.before->pc == h.pc)
      return record(Hit{Hit::Kind::Target, k, total, total, h.pc, 0, PointKind::Software});
    if (plan_.use_points && breakpoint_at(h.pc) && record(Hit{Hit::Kind::Breakpoint, k, total, total, h.pc, 0, PointKind::Software}))
      return true;
  }
  return false;
}

}  // namespace lockstep::replay::gdb
