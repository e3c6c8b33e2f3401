// The engine against straight runs: every landing (goto, reverse-stepi, reverse-continue) must be
// the state a fresh machine reaches by running straight there, digest for digest; breakpoint and
// watchpoint hits must be where single-stepping a fresh machine finds them.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include <fmt/format.h>

#include "machines/boot/elf_image.h"
#include "replay/gdb/debug_engine.h"

namespace gdb = lockstep::replay::gdb;
using lockstep::machines::virt::RunOutcome;
using lockstep::machines::virt::VirtConfig;
using lockstep::machines::virt::VirtMachine;
using Kind = gdb::EngineStop::Kind;

namespace {

std::string guest(const std::string& name) {
  return name == "gdb_target" ? std::string(GDB_TARGET_ELF) : fmt::format("{}/{}.elf", GUESTS_DIR, name);
}

std::unique_ptr<VirtMachine> make(const std::string& elf, unsigned smp) {
  VirtConfig c;
  c.bios = "none";
  c.kernel = elf;
  c.smp = smp;
  auto vm = VirtMachine::create(c, [](std::uint8_t) {});
  REQUIRE_MESSAGE(vm.ok(), (vm.ok() ? "" : vm.error().message));
  return std::move(vm.value());
}

std::uint64_t length_of(const std::string& elf, unsigned smp) {
  auto vm = make(elf, smp);
  const RunOutcome o = vm->run(std::uint64_t{200'000'000});
  REQUIRE(o.kind == RunOutcome::Exited);
  return vm->icount();
}

std::uint64_t symbol(const std::string& elf, const std::string& name) {
  auto bytes = lockstep::machines::read_file(elf, 1 << 26);
  REQUIRE(bytes.ok());
  auto image = lockstep::machines::parse_elf(bytes.value(), elf);
  REQUIRE(image.ok());
  REQUIRE(image.value().symbols.count(name));
  return image.value().symbols.at(name);
}

// A machine run straight from power-on, one instruction at a time when asked.
struct Straight {
  std::unique_ptr<VirtMachine> vm;
  Straight(const std::string& elf, unsigned smp) : vm(make(elf, smp)) {}
  std::uint64_t digest_at(std::uint64_t t) {
    REQUIRE(vm->icount() <= t);
    vm->run(t);
    REQUIRE(vm->icount() == t);
    return vm->digest();
  }
};

// The engine stopped for `kind` at icount `at`, in the state a straight run has there.
void check_stop(VirtMachine& vm, const std::string& elf, const gdb::EngineStop& stop, Kind kind, std::uint64_t at) {
  REQUIRE_MESSAGE(stop.kind == kind, stop.message);
  CHECK(vm.icount() == at);
  CHECK(vm.digest() == Straight(elf, vm.hart_count()).digest_at(at));
}

gdb::EngineOptions small_checkpoints(std::uint64_t length) {
  gdb::EngineOptions o;
  o.checkpoints.interval = length / 6 + 1;
  o.checkpoints.landing_gap = length / 40 + 1;
  o.checkpoints.verify = true;  // every restore is checked against the checkpoint's digest
  o.slice = length / 10 + 1;
  return o;
}

struct Session {
  std::unique_ptr<VirtMachine> vm;
  std::unique_ptr<gdb::DebugEngine> engine;
  std::uint64_t length;
  Session(const std::string& elf, unsigned smp, std::uint64_t len) : vm(make(elf, smp)), length(len) {
    auto e = gdb::DebugEngine::create(*vm, small_checkpoints(len), nullptr, nullptr);
    REQUIRE(e.ok());
    engine = std::move(e.value());
    // Run to just before the end: the history every later landing comes back into.
    REQUIRE(engine->go_to(len - 1, nullptr).kind == Kind::Step);
    REQUIRE(vm->icount() == len - 1);
  }
};

struct GuestCase {
  const char* name;
  unsigned smp;
};
// Interrupts and WFI (timer, plic_uart), traps, paging with A/D updates (vm), self-modifying
// code (selfmod), atomics, and two harts taking turns (gdb_target -smp 2).
constexpr GuestCase kGuests[] = {{"hello", 1},    {"timer", 1},   {"traps", 1},      {"vm", 1},
                                 {"selfmod", 1},  {"plic_uart", 1}, {"atomics", 1}, {"gdb_target", 2}};

}  // namespace

TEST_CASE("engine: goto lands on the straight run's state, backwards and forwards, in any order") {
  for (const auto& g : kGuests) {
    INFO(std::string(g.name) << " -smp " << g.smp);
    const std::string elf = guest(g.name);
    const std::uint64_t len = length_of(elf, g.smp);
    std::mt19937_64 rng(len);
    std::vector<std::uint64_t> targets;
    for (int i = 0; i < 10; ++i) {
      const std::uint64_t t = 1 + rng() % (len - 10);
      targets.push_back(t);
      targets.push_back(t + 1 + rng() % 8);  // a short hop after it
    }
    targets.push_back(0);
    std::sort(targets.begin(), targets.end());
    targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
    Straight straight(elf, g.smp);
    std::map<std::uint64_t, std::uint64_t> expected;
    for (std::uint64_t t : targets) expected[t] = straight.digest_at(t);

    Session s(elf, g.smp, len);
    std::shuffle(targets.begin(), targets.end(), rng);
    for (std::uint64_t t : targets) {
      INFO("icount " << t);
      const gdb::EngineStop stop = s.engine->go_to(t, nullptr);
      REQUIRE_MESSAGE(stop.kind == Kind::Step, stop.message);
      REQUIRE(s.vm->icount() == t);
      CHECK(s.vm->digest() == expected[t]);
    }
  }
}

TEST_CASE("engine: reverse-stepi lands exactly one instruction back (the selected hart's, with -smp)") {
  for (const auto& g : kGuests) {
    INFO(std::string(g.name) << " -smp " << g.smp);
    const std::string elf = guest(g.name);
    const std::uint64_t len = length_of(elf, g.smp);
    std::mt19937_64 rng(len + 1);
    std::vector<std::uint64_t> starts;
    for (int i = 0; i < 6; ++i) starts.push_back(20 + rng() % (len - 40));
    Session s(elf, g.smp, len);
    for (std::uint64_t t : starts) {
      const unsigned hart = static_cast<unsigned>(rng() % g.smp);
      INFO("from icount " << t << ", hart " << hart);
      REQUIRE(s.engine->go_to(t, nullptr).kind == Kind::Step);
      // Where the step must land: just before the hart's last instruction, found by stepping a
      // fresh machine one instruction at a time and noting which hart ran each.
      Straight straight(elf, g.smp);
      std::uint64_t before_last = 0;
      bool ran = false;
      for (std::uint64_t i = 0; i < t; ++i) {
        const std::uint64_t mine = straight.vm->hart(hart).icount;
        straight.vm->run(i + 1);
        if (straight.vm->hart(hart).icount != mine) {
          before_last = i;
          ran = true;
        }
      }
      if (!ran) {
        CHECK(s.engine->reverse_step(hart).kind == Kind::HistoryBegin);
        continue;
      }
      for (int back = 0; back < 3 && before_last > 0; ++back) {
        const gdb::EngineStop stop = s.engine->reverse_step(hart);
        REQUIRE_MESSAGE(stop.kind == Kind::Step, stop.message);
        CHECK(stop.hart == hart);
        REQUIRE(s.vm->icount() == before_last);
        Straight fresh(elf, g.smp);
        CHECK(s.vm->digest() == fresh.digest_at(before_last));
        // The next step back, found the same way.
        Straight again(elf, g.smp);
        std::uint64_t prior = 0;
        for (std::uint64_t i = 0; i < before_last; ++i) {
          const std::uint64_t mine = again.vm->hart(hart).icount;
          again.vm->run(i + 1);
          if (again.vm->hart(hart).icount != mine) prior = i;
        }
        before_last = prior;
      }
    }
  }
}

TEST_CASE("engine: breakpoints and watchpoints, forwards and backwards, hit where single-stepping finds them") {
  const std::string elf = guest("gdb_target");
  const std::uint64_t len = length_of(elf, 1);
  const std::uint64_t bump = symbol(elf, "bump"), watched = symbol(elf, "watched");
  // The oracle: a fresh machine stepped one instruction at a time.
  // A write is a change of the value, or crt0's .bss clear (`sd zero, 0(t0)` with t0 = &watched),
  // which writes the zero that is already there.
  std::vector<std::uint64_t> bp_hits, writes;  // icounts before bump runs / before each write of `watched`
  {
    Straight st(elf, 1);
    std::uint64_t old = 0;
    for (std::uint64_t i = 0; i + 1 < len; ++i) {
      const auto& h = st.vm->hart(0);
      if (h.pc == bump) bp_hits.push_back(i);
      std::uint32_t insn = 0;
      (void)st.vm->bus().dma_read(h.pc, &insn, 4);
      const bool clears = insn == 0x0002b023 && h.x[5] == watched;
      st.vm->run(i + 1);
      std::uint64_t now = 0;
      REQUIRE(st.vm->bus().dma_read(watched, &now, 8));
      if (now != old || clears) writes.push_back(i);
      old = now;
    }
  }
  REQUIRE(bp_hits.size() == 5);
  REQUIRE(writes.size() == 6);

  SUBCASE("reverse-continue to each breakpoint hit, newest first, then the start of history") {
    Session s(elf, 1, len);
    REQUIRE(s.engine->insert(gdb::PointKind::Software, bump, 2).ok());
    for (auto it = bp_hits.rbegin(); it != bp_hits.rend(); ++it) {
      const gdb::EngineStop stop = s.engine->reverse_cont(nullptr);
      check_stop(*s.vm, elf, stop, Kind::Breakpoint, *it);
      CHECK(stop.address == bump);
      CHECK(s.vm->hart(0).pc == bump);
    }
    const gdb::EngineStop begin = s.engine->reverse_cont(nullptr);
    CHECK(begin.kind == Kind::HistoryBegin);
    CHECK(s.vm->icount() == 0);
    // And forwards again, through the same history.
    for (std::uint64_t hit : bp_hits) {
      const gdb::EngineStop stop = s.engine->cont(nullptr);
      REQUIRE(stop.kind == Kind::Breakpoint);
      CHECK(s.vm->icount() == hit);
    }
  }
  SUBCASE("watchpoints: forwards before the write, backwards after it (gdb steps over the access)") {
    Session s(elf, 1, len);
    REQUIRE(s.engine->insert(gdb::PointKind::Write, watched, 8).ok());
    for (auto it = writes.rbegin(); it != writes.rend(); ++it) {
      const gdb::EngineStop stop = s.engine->reverse_cont(nullptr);
      check_stop(*s.vm, elf, stop, Kind::Watchpoint, *it + 1);
      CHECK(stop.address == watched);
      // What gdb then does: one step back with the watchpoint removed.
      s.engine->clear_points();
      REQUIRE(s.engine->reverse_step(0).kind == Kind::Step);
      CHECK(s.vm->icount() == *it);
      REQUIRE(s.engine->insert(gdb::PointKind::Write, watched, 8).ok());
    }
    CHECK(s.engine->reverse_cont(nullptr).kind == Kind::HistoryBegin);
    for (std::uint64_t w : writes) {
      check_stop(*s.vm, elf, s.engine->cont(nullptr), Kind::Watchpoint, w);
      s.engine->clear_points();
      REQUIRE(s.engine->step(0, nullptr).kind == Kind::Step);
      CHECK(s.vm->icount() == w + 1);
      REQUIRE(s.engine->insert(gdb::PointKind::Write, watched, 8).ok());
    }
    // Reads of `watched` (bump reads it before writing): a read watchpoint stops there first.
    REQUIRE(s.engine->go_to(0, nullptr).kind == Kind::Step);
    s.engine->clear_points();
    REQUIRE(s.engine->insert(gdb::PointKind::Read, watched, 8).ok());
    const gdb::EngineStop read = s.engine->cont(nullptr);
    REQUIRE(read.kind == Kind::Watchpoint);
    CHECK(read.watch == gdb::PointKind::Read);
    CHECK(s.vm->icount() > writes[0]);  // after the .bss clear, before bump's first write
    CHECK(s.vm->icount() < writes[1]);
  }
}

TEST_CASE("engine: a breakpoint on a trap vector stops after the entry; stepping back undoes the entry first") {
  const std::string elf = guest("gdb_target");
  const std::uint64_t len = length_of(elf, 1);
  const std::uint64_t vector = symbol(elf, "trap_vector_m"), fault = symbol(elf, "fault_site"),
                      ecall = symbol(elf, "ecall_site");
  Session s(elf, 1, len);
  REQUIRE(s.engine->insert(gdb::PointKind::Hardware, vector, 4).ok());
  // Newest first: the load access fault (not counted: the entry happens at the same icount).
  gdb::EngineStop stop = s.engine->reverse_cont(nullptr);
  REQUIRE(stop.kind == Kind::Breakpoint);
  CHECK(stop.hardware);
  CHECK(s.vm->hart(0).pc == vector);
  CHECK(s.vm->hart(0).csr.mcause == 5);
  const std::uint64_t at = s.vm->icount();
  stop = s.engine->reverse_step(0);
  CHECK(stop.kind == Kind::Step);
  CHECK(s.vm->icount() == at);  // the entry undone, nothing retired
  CHECK(s.vm->hart(0).pc == fault);
  CHECK(s.engine->step(0, nullptr).kind == Kind::Step);  // and stepping enters the trap again
  CHECK(s.vm->hart(0).pc == vector);
  CHECK(s.vm->icount() == at);
  // Then the ecall (it retires: the vector is reached one icount later).
  stop = s.engine->reverse_cont(nullptr);
  REQUIRE(stop.kind == Kind::Breakpoint);
  CHECK(s.vm->hart(0).csr.mcause == 11);
  stop = s.engine->reverse_step(0);
  CHECK(s.vm->hart(0).pc == ecall);
}

TEST_CASE("engine: checkpoint memory stays under the cap; the start of history stays") {
  const std::string elf = guest("gdb_target");
  const std::uint64_t len = length_of(elf, 2);
  auto vm = make(elf, 2);
  gdb::EngineOptions o = small_checkpoints(len);
  o.checkpoints.interval = 50;
  o.checkpoints.memory_cap = 2 << 20;
  auto engine = gdb::DebugEngine::create(*vm, o, nullptr, nullptr);
  REQUIRE(engine.ok());
  REQUIRE(engine.value()->go_to(len - 1, nullptr).kind == Kind::Step);
  const auto st = engine.value()->checkpoints().stats();
  CHECK(st.bytes <= o.checkpoints.memory_cap);
  CHECK(st.checkpoints > 2);
  CHECK(st.first_icount == 0);
  REQUIRE(engine.value()->go_to(3, nullptr).kind == Kind::Step);
  CHECK(vm->digest() == Straight(elf, 2).digest_at(3));
}

TEST_CASE("engine: with the guest's own triggers armed (no block reaches the probe), stops are found between instructions") {
  // tests/guests/priv/triggers arms Sdtrig triggers: the interpreter then offers no block to a
  // tier, so the engine steps one instruction at a time and looks between them.
  const std::string elf = guest("triggers");
  if (!std::filesystem::exists(elf)) return;
  const std::uint64_t len = length_of(elf, 1);
  const std::uint64_t spin = symbol(elf, "t_exec");
  std::vector<std::uint64_t> hits;
  {
    Straight st(elf, 1);
    for (std::uint64_t i = 0; i + 1 < len; ++i) {
      if (st.vm->hart(0).pc == spin) hits.push_back(i);
      st.vm->run(i + 1);
    }
  }
  REQUIRE_FALSE(hits.empty());
  Session s(elf, 1, len);
  REQUIRE(s.engine->insert(gdb::PointKind::Software, spin, 2).ok());
  for (auto it = hits.rbegin(); it != hits.rend(); ++it) check_stop(*s.vm, elf, s.engine->reverse_cont(nullptr), Kind::Breakpoint, *it);
  CHECK(s.engine->reverse_cont(nullptr).kind == Kind::HistoryBegin);
  for (std::uint64_t hit : hits) check_stop(*s.vm, elf, s.engine->cont(nullptr), Kind::Breakpoint, hit);
  // Stepping one instruction, seen from outside.
  const std::uint64_t at = s.vm->icount();
  CHECK(s.engine->step(0, nullptr).kind == Kind::Step);
  CHECK(s.vm->icount() == at + 1);
}
