#pragma once
#include "core/hart.h"

namespace lockstep::core {

// Enters the trap handler for an exception or interrupt (cause has the interrupt bit set
// for interrupts), with delegation, xepc/xcause/xtval and the mstatus stack.
void enter_trap(Hart& h, u64 cause, u64 tval);

// The highest-priority interrupt that is pending, enabled and not masked in the current
// mode, as a cause value with the interrupt bit; 0 if none.
u64 pending_interrupt(const Hart& h);

}  // namespace lockstep::core
