// The hart's migratable state, section "cpu". Field names follow QEMU's target/riscv/machine.c
// where QEMU keeps the same register ("env.gpr", "env.mstatus", "env.load_res", subsection
// "cpu/pmp", ...); lockstep-only state (counter offsets, the LR valid bit, WFI, icount) has plain
// names. The layout is lockstep's own: QEMU's riscv "cpu" (v11) carries state lockstep does not
// model (H, V, AIA, ...), so the two are not wire compatible, only name compatible. Subsection
// "cpu/debug" has QEMU's layout exactly.
#include "snapshot/descriptions/hart_vmstate.h"

#include <type_traits>

#include "core/triggers.h"

namespace lockstep::snapshot {
namespace {

using core::Hart;
using C = core::CsrState;
using P = core::PmpState;
using R = core::Reservation;
using T = core::TriggerState;

// Tripwires: these structs are padding-free and every member is described below. A new member
// changes the size and stops the build here until it is described (then update the size).
// tests/unit/snapshot/hart_vmstate_test.cpp flips every byte of them and checks the save changes.
static_assert(std::has_unique_object_representations_v<C>);
static_assert(std::has_unique_object_representations_v<R> || sizeof(R) == 24);
static_assert(sizeof(C) == 26 * 8 + 2 * 4 + 2 * 16 * 8 + sizeof(P) + sizeof(T),
              "CsrState changed: describe the new member");
static_assert(sizeof(P) == 16 + 16 * 8, "PmpState changed: describe the new member");
static_assert(sizeof(T) == 8 + 3 * core::kTriggers * 8, "TriggerState changed: describe the new member");
static_assert(sizeof(R) == 24, "Reservation changed: describe the new member");

Status hart_post_load(Hart& h, int) {
  const auto p = static_cast<unsigned>(h.priv);
  if (p != 0 && p != 1 && p != 3) return Error{fmt::format("env.priv {} is not a privilege level", p)};
  if (h.x[0] != 0) return Error{fmt::format("env.gpr[0] is {:#x}, must be 0", h.x[0])};
  LS_TRY(core::check_trigger_state(h.csr.triggers));
  // Derived state: TLB keys and cached translations follow the loaded privilege and CSRs, and
  // the triggers are armed again (QEMU 7.2 loses them on the destination; lockstep does not).
  core::flush_translations(h);
  core::update_translation_keys(h);
  h.triggers_armed = 0;
  core::rearm_triggers(h);
  return Ok{};
}

bool pmp_needed(const Hart& h) {
#ifdef LOCKSTEP_PLANT_PMP_NEEDED_LIES
  // Planted bug, defined only by a test build (tests/planted): an off-by-one that skips entry 0, so
  // a PMP set up in entry 0 alone (what every test guest's crt0 does) is never sent.
  constexpr std::size_t first = 1;
#else
  constexpr std::size_t first = 0;
#endif
  for (std::size_t i = first; i < h.csr.pmp.cfg.size(); ++i)
    if (h.csr.pmp.cfg[i]) return true;
  for (std::size_t i = first; i < h.csr.pmp.addr.size(); ++i)
    if (h.csr.pmp.addr[i]) return true;
  return false;
}

constexpr vm::Field<Hart> kPmpFields[] = {
    vm::u64_array<&Hart::csr, &C::pmp, &P::addr>("env.pmp_state.addr_reg"),
    vm::u8_array<&Hart::csr, &C::pmp, &P::cfg>("env.pmp_state.cfg_reg"),
};
constexpr vm::Subsection<Hart> kPmp{
    .name = "cpu/pmp",
    .version = 1,
    .min_version = 1,
    .needed = pmp_needed,  // all-zero PMP is the reset state: nothing to send
    .absent = [](Hart& h) { h.csr.pmp = P{}; },
    .fields = kPmpFields,
};

bool envcfg_needed(const Hart& h) { return h.csr.menvcfg != 0 || h.csr.senvcfg != 0; }

constexpr vm::Field<Hart> kEnvcfgFields[] = {
    vm::u64<&Hart::csr, &C::menvcfg>("env.menvcfg"),
    vm::u64<&Hart::csr, &C::senvcfg>("env.senvcfg"),
};
constexpr vm::Subsection<Hart> kEnvcfg{
    .name = "cpu/envcfg",
    .version = 1,
    .min_version = 1,
    .needed = envcfg_needed,
    .absent = [](Hart& h) { h.csr.menvcfg = h.csr.senvcfg = 0; },
    .fields = kEnvcfgFields,
};

// QEMU 7.2's "cpu/debug" (target/riscv/machine.c), sent whenever the CPU has the debug property,
// field for field: trigger_cur is tselect.
bool debug_needed(const Hart& h) { return h.sdtrig; }

constexpr vm::Field<Hart> kDebugFields[] = {
    vm::u64<&Hart::csr, &C::triggers, &T::tselect>("env.trigger_cur"),
    vm::u64_array<&Hart::csr, &C::triggers, &T::tdata1>("env.tdata1"),
    vm::u64_array<&Hart::csr, &C::triggers, &T::tdata2>("env.tdata2"),
    vm::u64_array<&Hart::csr, &C::triggers, &T::tdata3>("env.tdata3"),
};
constexpr vm::Subsection<Hart> kDebug{
    .name = "cpu/debug",
    .version = 2,
    .min_version = 2,
    .needed = debug_needed,
    .absent = [](Hart& h) { h.csr.triggers = T{}; },  // post_load arms nothing then
    .fields = kDebugFields,
    .enabled = debug_needed,  // machine versions before virt-2.1 have no triggers to send
};

constexpr vm::Field<Hart> kHartFields[] = {
    vm::u64_array<&Hart::x>("env.gpr"),
    vm::u64_array<&Hart::f>("env.fpr"),
    vm::u64<&Hart::pc>("env.pc"),
    vm::u64<&Hart::reservation, &R::vaddr>("env.load_res"),
    vm::u64<&Hart::reservation, &R::value>("env.load_val"),
    vm::boolean<&Hart::reservation, &R::valid>("load_res_valid"),
    vm::u32<&Hart::csr, &C::frm>("env.frm"),
    vm::u32<&Hart::csr, &C::fflags>("env.fflags"),
    vm::u8<&Hart::priv>("env.priv"),
    vm::u64<&Hart::csr, &C::mhartid>("env.mhartid"),
    vm::u64<&Hart::csr, &C::mstatus>("env.mstatus"),
    vm::u64<&Hart::csr, &C::mip>("env.mip"),
    vm::u64<&Hart::csr, &C::mie>("env.mie"),
    vm::u64<&Hart::csr, &C::mideleg>("env.mideleg"),
    vm::u64<&Hart::csr, &C::satp>("env.satp"),
    vm::u64<&Hart::csr, &C::stval>("env.stval"),
    vm::u64<&Hart::csr, &C::medeleg>("env.medeleg"),
    vm::u64<&Hart::csr, &C::stvec>("env.stvec"),
#ifndef LOCKSTEP_PLANT_SWAP_HART_SEPC_SCAUSE
    vm::u64<&Hart::csr, &C::sepc>("env.sepc"),
    vm::u64<&Hart::csr, &C::scause>("env.scause"),
#else  // planted bug, defined only by a test build (tests/planted): two fields swapped, no version bump
    vm::u64<&Hart::csr, &C::scause>("env.scause"),
    vm::u64<&Hart::csr, &C::sepc>("env.sepc"),
#endif
    vm::u64<&Hart::csr, &C::mtvec>("env.mtvec"),
    vm::u64<&Hart::csr, &C::mepc>("env.mepc"),
    vm::u64<&Hart::csr, &C::mcause>("env.mcause"),
    vm::u64<&Hart::csr, &C::mtval>("env.mtval"),
    vm::u64<&Hart::csr, &C::scounteren>("env.scounteren"),
    vm::u64<&Hart::csr, &C::mcounteren>("env.mcounteren"),
    vm::u64<&Hart::csr, &C::mcountinhibit>("env.mcountinhibit"),
    vm::u64_array<&Hart::csr, &C::mhpmcounter>("env.mhpmcounter_val"),
    vm::u64_array<&Hart::csr, &C::mhpmevent>("env.mhpmevent_val"),
    vm::u64<&Hart::csr, &C::sscratch>("env.sscratch"),
    vm::u64<&Hart::csr, &C::mscratch>("env.mscratch"),
    vm::u64<&Hart::csr, &C::minstret_offset>("minstret_offset"),
    vm::u64<&Hart::csr, &C::mcycle_offset>("mcycle_offset"),
    vm::u64<&Hart::csr, &C::minstret_frozen>("minstret_frozen"),
    vm::u64<&Hart::csr, &C::mcycle_frozen>("mcycle_frozen"),
    vm::boolean<&Hart::waiting_for_interrupt>("waiting_for_interrupt"),
    vm::u64<&Hart::icount>("icount"),
};
constexpr const vm::Subsection<Hart>* kHartSubsections[] = {&kPmp, &kEnvcfg, &kDebug};

}  // namespace

constexpr vm::Section<Hart> kHartVmstate{
    .name = "cpu",
    .version = 1,
    .min_version = 1,
    .fields = kHartFields,
    .subsections = kHartSubsections,
    .post_load = hart_post_load,
};

}  // namespace lockstep::snapshot
