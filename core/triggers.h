#pragma once
// Sdtrig debug triggers as QEMU 7.2's default CPU has them (its "debug" property, on by default):
// two triggers behind tselect, tdata1-3 and tinfo, each an mcontrol (type 2) or mcontrol6 (type
// 6) address match on execute, load or store whose only action is a breakpoint exception (cause 3,
// tval 0) before the instruction or the access. The rules are QEMU's, quirks included, because
// the guest sees them; docs/machine-versions.md lists the quirks. State: CsrState::triggers.
#include "core/hart.h"
#include "core/result.h"

namespace lockstep::core {

// Hart::triggers_armed bits.
inline constexpr u8 kArmedExec = 1;   // an execute trigger is set
inline constexpr u8 kArmedWatch = 2;  // a load or store trigger is set

// tselect, tdata1-3 and tinfo on a hart with sdtrig (csr.cpp checks privilege and sdtrig first).
// Every access is legal: a write QEMU ignores (an unsupported tdata1 type, tdata3, tinfo) is dropped.
u64 trigger_csr_read(const Hart& h, u16 number);
void trigger_csr_write(Hart& h, u16 number, u64 value);

// Recomputes Hart::triggers_armed from the trigger registers (after a tdata write, a reset, a
// load). Arming a load/store trigger drops the data TLBs: while one is set nothing refills them,
// so no inline access can pass a trigger by.
void rearm_triggers(Hart& h);
// The power-on trigger state.
void reset_triggers(Hart& h);
// A loaded trigger state must be one a guest can reach by CSR writes (tselect < 2, each tdata1 as
// a write leaves it, tdata3 = 0): anything else has no meaning here (and hangs QEMU).
Status check_trigger_state(const TriggerState& t);

// Whether the instruction at h.pc raises the breakpoint before it runs (checked with
// kArmedExec set, at every instruction, before its fetch).
bool exec_trigger_fires(const Hart& h);

// QEMU's access kinds of a watchpoint check (BP_MEM_READ, BP_MEM_WRITE).
inline constexpr u8 kWatchLoad = 1, kWatchStore = 2;
// Whether an access of [addr, addr + len) (len may be 0 or wrap: QEMU's arithmetic) hits a load or
// store trigger set for the current privilege.
bool watch_fires(const Hart& h, u64 addr, u64 len, u8 access);
// Whether a load or store trigger overlaps the page of va (QEMU's TLB_WATCHPOINT page flag).
bool watch_on_page(const Hart& h, u64 va);

// The checks of one access, in QEMU's order around its translation faults (trigger_access.cpp).
// Called from the slow paths with kArmedWatch set; true means h.trap is the breakpoint.
bool load_trigger_fires(Hart& h, u64 va, unsigned size);
bool store_trigger_fires(Hart& h, u64 va, unsigned size);
// An AMO's read (QEMU runs an AMO as a load, then a store, each checked on its own).
bool amo_load_trigger_fires(Hart& h, u64 va, unsigned size);

}  // namespace lockstep::core
