#include "replay/gdb/debug_engine.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/code_cache.h"

namespace lockstep::replay::gdb {
namespace {

using machines::virt::RunOutcome;
using machines::virt::VirtioDeviceConfig;

constexpr std::size_t kMaxBreakpoints = 4096;
constexpr std::size_t kMaxWatchpoints = 64;
constexpr std::uint64_t kMaxWatchLength = std::uint64_t{1} << 20;

// Reverse execution re-runs the past; a disk the guest writes is host state no checkpoint holds.
std::string refusal_for(const machines::virt::VirtConfig& config) {
  for (const VirtioDeviceConfig& d : config.virtio)
    if (d.kind == VirtioDeviceConfig::Kind::Blk && !d.drive.read_only)
      return fmt::format(
          "reverse execution needs read-only disks: -drive {} is writable and its contents are not in the checkpoints "
          "(use readonly=on)",
          d.drive.file);
  return {};
}

EngineStop stop_of(EngineStop::Kind kind, unsigned hart = 0) {
  EngineStop s;
  s.kind = kind;
  s.hart = hart;
  return s;
}

EngineStop refused(std::string message, unsigned hart = 0) {
  EngineStop s = stop_of(EngineStop::Kind::Refused, hart);
  s.message = std::move(message);
  return s;
}

}  // namespace

DebugEngine::DebugEngine(machines::virt::VirtMachine& vm, const EngineOptions& options, machines::InputSource* live,
                         ConsoleGate* console)
    : vm_(vm),
      options_(options),
      console_(console),
      inner_tier_(vm.hart(0).code->tier),
      board_input_(live),
      probe_(vm),
      history_(live, probe_),
      store_(vm, options.checkpoints),
      reverse_refusal_(refusal_for(vm.config())) {
  probe_.set_inner(inner_tier_);
  vm_.set_input_source(&history_);
  if (console_) {
    console_->attach(&vm_);
    console_->shown_until(vm_.icount());
  }
}

Result<std::unique_ptr<DebugEngine>> DebugEngine::create(machines::virt::VirtMachine& vm, const EngineOptions& options,
                                                         machines::InputSource* live, ConsoleGate* console) {
  if (options.checkpoints.interval == 0 || options.slice == 0)
    return Error{"the checkpoint interval and the run slice must be at least one instruction"};
  std::unique_ptr<DebugEngine> e(new DebugEngine(vm, options, live, console));
  LS_TRY(e->store_.take(e->history_.cursor()));
  e->history_.reached(vm.icount());
  return e;
}

DebugEngine::~DebugEngine() {
  vm_.hart(0).code->tier = inner_tier_;
  vm_.set_input_source(board_input_);
  if (console_) console_->attach(nullptr);
}

RunOutcome DebugEngine::run(std::uint64_t limit, const ProbePlan* plan) {
  bool probed = plan && probe_.needed(*plan);
  probe_.arm(probed ? *plan : ProbePlan{});
  RunOutcome o{RunOutcome::InsnLimit, 0};
  if (!probed || !probe_.blind()) {
    vm_.hart(0).code->tier = probed ? static_cast<core::CompiledTier*>(&probe_) : inner_tier_;
    o = vm_.run(limit);
    vm_.hart(0).code->tier = inner_tier_;
    if (probe_.went_blind() && (plan->collect || !probe_.hit())) {
      probe_.resume_after_blind();
      o = RunOutcome{RunOutcome::InsnLimit, 0};  // the run ended only for the switch
    } else {
      probed = false;
    }
  }
  if (probed) {
    // The guest armed its own triggers: no block reaches a tier; one instruction at a time.
    while (vm_.icount() < limit && o.kind == RunOutcome::InsnLimit) {
      const auto before = probe_.marks();
      o = vm_.run(vm_.icount() + 1);
      if (probe_.between(before, limit)) break;
    }
  }
  history_.reached(vm_.icount());
  if (console_) console_->shown_until(vm_.icount());
  return o;
}

Status DebugEngine::restore(const CheckpointStore::Checkpoint& cp) {
  LS_TRY(store_.restore(cp));
  history_.restore(cp.cursor);
  at_count_ = true;
  return Ok{};
}

Status DebugEngine::goto_count(std::uint64_t target) {
  const std::uint64_t now = vm_.icount();
  const CheckpointStore::Checkpoint* cp = store_.latest_at_or_before(target);
  if (!cp) return Error{fmt::format("icount {} is before the start of the history ({})", target, history_start())};
  const bool on_the_way = now >= cp->icount && (now < target || (now == target && at_count_));
  if (!on_the_way) LS_TRY(restore(*cp));
  const std::uint64_t gap = options_.checkpoints.landing_gap;
  // A far landing leaves a checkpoint half a gap before it: the next reverse steps re-run little.
  if (target - vm_.icount() > gap) {
    const RunOutcome o = run(target - gap / 2, nullptr);
    if (o.kind != RunOutcome::InsnLimit) return Error{fmt::format("the run to icount {} ended early", target)};
    LS_TRY(store_.take(history_.cursor()));
  }
  if (vm_.icount() < target) {
    const RunOutcome o = run(target, nullptr);
    at_count_ = o.kind == RunOutcome::InsnLimit;
    if (!at_count_) return Error{fmt::format("the run to icount {} ended at {}", target, vm_.icount())};
  }
  at_count_ = true;
  return Ok{};
}

Status DebugEngine::land_before(std::uint64_t total, unsigned hart, std::uint64_t pc) {
  LS_TRY(goto_count(total));
  if (vm_.hart(hart).pc == pc) return Ok{};
  // A trap or interrupt entry comes before the instruction: run until the hart is about to run it.
  ProbePlan plan;
  plan.use_points = false;
  plan.before = ProbePlan::Before{total, hart, pc};
  run(total + 1, &plan);
  at_count_ = false;
  if (!probe_.hit()) return Error{fmt::format("could not land before pc 0x{:x} at icount {}", pc, total)};
  return Ok{};
}

ProbePlan DebugEngine::plan_from_here() const {
  ProbePlan plan;
  plan.start_total = vm_.icount();
  for (unsigned k = 0; k < vm_.hart_count(); ++k) plan.start_pcs.push_back(vm_.hart(k).pc);
  return plan;
}

EngineStop DebugEngine::stop_at_hit(const Hit& hit) {
  EngineStop s;
  s.hart = hit.hart;
  switch (hit.kind) {
    case Hit::Kind::Breakpoint: {
      s.kind = EngineStop::Kind::Breakpoint;
      s.address = hit.pc;
      for (const auto& r : breakpoint_refs_)
        if (r.address == hit.pc) s.hardware = r.software == 0;
      break;
    }
    case Hit::Kind::Watchpoint:
      s.kind = EngineStop::Kind::Watchpoint;
      s.address = hit.data_address;
      s.watch = hit.watch;
      break;
    case Hit::Kind::Target:
    case Hit::Kind::Step: s.kind = EngineStop::Kind::Step; break;
  }
  return s;
}

std::optional<EngineStop> DebugEngine::outcome_stop(const RunOutcome& o) {
  EngineStop s;
  switch (o.kind) {
    case RunOutcome::InsnLimit: return std::nullopt;
    case RunOutcome::Exited:
    case RunOutcome::ScriptStop:  // --stop-on: the run ends as the guest's own exit would
      exited_ = o.kind == RunOutcome::Exited ? o.exit_code : 0;
      s.kind = EngineStop::Kind::Exited;
      s.exit_code = *exited_;
      return s;
    case RunOutcome::InputQuit: s.kind = EngineStop::Kind::HistoryEnd; return s;
    case RunOutcome::Deadlock:
      s.kind = EngineStop::Kind::Deadlock;
      s.message = "every hart waits for an interrupt and none can come";
      return s;
    case RunOutcome::TrapLoop:
      s.kind = EngineStop::Kind::TrapLoop;
      s.hart = o.hart;
      s.address = o.pc;
      s.message = fmt::format("hart {} is stuck: its trap vector 0x{:x} cannot be fetched (cause {})", o.hart, o.pc, o.cause);
      return s;
  }
  return std::nullopt;
}

EngineStop DebugEngine::forward(ProbePlan plan, const Interrupted& interrupted) {
  if (exited_) {
    EngineStop s = stop_of(EngineStop::Kind::Exited);
    s.exit_code = *exited_;
    return s;
  }
  for (;;) {
    const std::uint64_t now = vm_.icount();
    std::uint64_t limit = now + options_.slice;
    // New ground gets a checkpoint every interval; the past has its own already.
    if (const auto* last = store_.latest_at_or_before(now); last && last->icount + options_.checkpoints.interval > now)
      limit = std::min(limit, last->icount + options_.checkpoints.interval);
    const RunOutcome o = run(limit, &plan);
    at_count_ = o.kind == RunOutcome::InsnLimit && !probe_.hit();
    if (const auto& hit = probe_.hit()) {
      const Hit h = *hit;
      // Seen from outside (guest triggers armed) a watchpoint hit is after the access; forwards
      // the stop is before it.
      if (h.kind == Hit::Kind::Watchpoint && h.total != h.total_before) {
        if (Status st = land_before(h.total_before, h.hart, h.pc); !st) return refused(st.error().message, h.hart);
      }
      return stop_at_hit(h);
    }
    if (auto s = outcome_stop(o)) return *s;
    const auto* last = store_.latest_at_or_before(vm_.icount());
    if (!last || vm_.icount() - last->icount >= options_.checkpoints.interval) {
      if (auto taken = store_.take(history_.cursor()); !taken)
        return refused(taken.error().message);
    }
    // The probe stays where this run left off: a breakpoint under a hart now is not the start's.
    plan.start_total = ~std::uint64_t{0};
    if (interrupted && interrupted()) return stop_of(EngineStop::Kind::Interrupted);
  }
}

EngineStop DebugEngine::cont(const Interrupted& interrupted) { return forward(plan_from_here(), interrupted); }

EngineStop DebugEngine::step(unsigned hart, const Interrupted& interrupted) {
  ProbePlan plan = plan_from_here();
  const core::Hart& h = vm_.hart(hart);
  plan.step = ProbePlan::Step{hart, h.icount, h.pc, true};
  EngineStop s = forward(std::move(plan), interrupted);
  if (s.kind == EngineStop::Kind::Step) s.hart = hart;
  return s;
}

EngineStop DebugEngine::reverse_step(unsigned hart) {
  EngineStop s;
  s.hart = hart;
  if (!reverse_refusal_.empty()) return refused(reverse_refusal_, hart);
  auto failed = [&](const Error& e) { return refused(e.message, hart); };
  const std::uint64_t now = vm_.icount();
  if (!at_count_) {
    // Stopped after a trap entry (or at a breakpoint after one)? The same icount before the entry
    // is one step back; when the count's state has the hart where it is, step over an instruction.
    const core::Hart& h = vm_.hart(hart);
    const std::uint64_t pc = h.pc;
    const core::Priv priv = h.priv;
    if (Status st = goto_count(now); !st) return failed(st.error());
    if (vm_.hart(hart).pc != pc || vm_.hart(hart).priv != priv) return s;
  }
  if (now <= history_start()) {
    s.kind = EngineStop::Kind::HistoryBegin;
    return s;
  }
  std::uint64_t target = now - 1;
  if (vm_.hart_count() > 1) {
    // Just before the hart's own last instruction: find when it ran, from a checkpoint before it.
    const std::uint64_t n = vm_.hart(hart).icount;
    const auto* cp = store_.latest_before_hart(hart, n);
    if (!cp) {
      s.kind = EngineStop::Kind::HistoryBegin;
      if (Status st = goto_count(history_start()); !st) return failed(st.error());
      return s;
    }
    if (Status st = restore(*cp); !st) return failed(st.error());
    ProbePlan plan;
    plan.collect = true;
    plan.use_points = false;
    plan.step = ProbePlan::Step{hart, n - 1, 0, false};
    run(now, &plan);
    if (probe_.hit()) target = probe_.hit()->total - 1;
  }
  if (Status st = goto_count(target); !st) return failed(st.error());
#ifdef LOCKSTEP_PLANT_GDB_REVERSE_STEP_TWO
  // Planted bug, defined only by a test build (tests/gdb): reverse-stepi lands two instructions back.
  if (target > history_start()) (void)goto_count(target - 1);
#endif
  return s;
}

EngineStop DebugEngine::reverse_cont(const Interrupted& interrupted) {
  if (!reverse_refusal_.empty()) return refused(reverse_refusal_);
  std::uint64_t end = vm_.icount();
  while (end > history_start()) {
    const auto* cp = store_.latest_at_or_before(end - 1);
    if (!cp) break;
    if (Status st = restore(*cp); !st) return refused(st.error().message);
    ProbePlan plan;
    plan.collect = true;
    run(end, &plan);
    if (const auto& hit = probe_.hit()) {
      Hit h = *hit;
#ifdef LOCKSTEP_PLANT_GDB_REVERSE_CONTINUE_SKIPS_ONE
      // Planted bug, defined only by a test build (tests/gdb): the search ends one hit early and
      // lands on the hit before the last one of the span.
      if (restore(*cp)) {
        run(h.kind == Hit::Kind::Watchpoint ? h.total_before : h.total, &plan);
        if (probe_.hit()) h = *probe_.hit();
      }
#endif
      // A breakpoint: before its instruction. A watchpoint: just after the access; gdb steps back
      // over it itself (RISC-V watchpoints are "nonsteppable" to gdb) and sees the value change.
      const Status landed = h.kind == Hit::Kind::Watchpoint ? goto_count(h.total) : land_before(h.total, h.hart, h.pc);
      if (!landed) return refused(landed.error().message, h.hart);
      return stop_at_hit(h);
    }
    end = cp->icount;
    if (interrupted && interrupted()) return stop_of(EngineStop::Kind::Interrupted);
  }
  if (Status st = goto_count(history_start()); !st) return refused(st.error().message);
  return stop_of(EngineStop::Kind::HistoryBegin);
}

EngineStop DebugEngine::go_to(std::uint64_t icount, const Interrupted& interrupted) {
  EngineStop s;
  if (icount < vm_.icount() && !reverse_refusal_.empty())
    return refused(reverse_refusal_);
  if (icount <= vm_.icount()) {
    if (Status st = goto_count(icount); !st) return refused(st.error().message);
    return s;
  }
  // Forward: in slices (Ctrl-C, checkpoints), without breakpoints.
  while (vm_.icount() < icount) {
    const std::uint64_t now = vm_.icount();
    std::uint64_t limit = std::min(icount, now + options_.slice);
    if (const auto* last = store_.latest_at_or_before(now); last && last->icount + options_.checkpoints.interval > now)
      limit = std::min(limit, last->icount + options_.checkpoints.interval);
    const RunOutcome o = run(limit, nullptr);
    at_count_ = o.kind == RunOutcome::InsnLimit;
    if (auto stop = outcome_stop(o)) return *stop;
    const auto* last = store_.latest_at_or_before(vm_.icount());
    if (!last || vm_.icount() - last->icount >= options_.checkpoints.interval) (void)store_.take(history_.cursor());
    if (vm_.icount() < icount && interrupted && interrupted()) {
      s.kind = EngineStop::Kind::Interrupted;
      return s;
    }
  }
  return s;
}

Status DebugEngine::visit(std::uint64_t icount, const std::function<Status()>& visit) {
  LS_TRY_ASSIGN(auto here, store_.copy(history_.cursor()));
  const bool was_at_count = at_count_;
  Status st = goto_count(icount);
  if (st) st = visit();
  // Back exactly: the copy holds every section and RAM page as they were.
  LS_TRY(store_.restore(*here));
  history_.restore(here->cursor);
  at_count_ = was_at_count;
  return st;
}

Status DebugEngine::modified() {
  const std::uint64_t now = vm_.icount();
  store_.drop_after(now);
  history_.truncate(now);
  if (console_) console_->reset_to(now);
  // The changed machine is where history goes on from: re-running any later span must start here,
  // not from a checkpoint of the unchanged past.
  LS_TRY(store_.take(history_.cursor(), true));
  return Ok{};
}

Status DebugEngine::insert(PointKind kind, std::uint64_t address, std::uint64_t length) {
  if (kind == PointKind::Software || kind == PointKind::Hardware) {
    auto it = std::find_if(breakpoint_refs_.begin(), breakpoint_refs_.end(), [&](const auto& r) { return r.address == address; });
    if (it == breakpoint_refs_.end()) {
      if (breakpoint_refs_.size() >= kMaxBreakpoints) return Error{fmt::format("at most {} breakpoints", kMaxBreakpoints)};
      breakpoint_refs_.push_back({address, 0, 0});
      it = std::prev(breakpoint_refs_.end());
      probe_.breakpoints.insert(std::lower_bound(probe_.breakpoints.begin(), probe_.breakpoints.end(), address), address);
    }
    ++(kind == PointKind::Software ? it->software : it->hardware);
    return Ok{};
  }
  if (length == 0 || length > kMaxWatchLength || address + length < address)
    return Error{fmt::format("a watchpoint covers 1 to {} bytes", kMaxWatchLength)};
  if (probe_.watchpoints.size() >= kMaxWatchpoints) return Error{fmt::format("at most {} watchpoints", kMaxWatchpoints)};
  probe_.watchpoints.push_back(Watchpoint{address, length, kind});
  return Ok{};
}

Status DebugEngine::remove(PointKind kind, std::uint64_t address, std::uint64_t length) {
  if (kind == PointKind::Software || kind == PointKind::Hardware) {
    auto it = std::find_if(breakpoint_refs_.begin(), breakpoint_refs_.end(), [&](const auto& r) { return r.address == address; });
    if (it == breakpoint_refs_.end()) return Error{"no breakpoint there"};
    unsigned& refs = kind == PointKind::Software ? it->software : it->hardware;
    if (refs) --refs;
    if (it->software + it->hardware == 0) {
      breakpoint_refs_.erase(it);
      probe_.breakpoints.erase(std::lower_bound(probe_.breakpoints.begin(), probe_.breakpoints.end(), address));
    }
    return Ok{};
  }
  auto& w = probe_.watchpoints;
  auto it = std::find_if(w.begin(), w.end(), [&](const Watchpoint& x) {
    return x.address == address && x.length == length && x.kind == kind;
  });
  if (it == w.end()) return Error{"no such watchpoint"};
  w.erase(it);
  return Ok{};
}

void DebugEngine::clear_points() {
  breakpoint_refs_.clear();
  probe_.breakpoints.clear();
  probe_.watchpoints.clear();
}

}  // namespace lockstep::replay::gdb
