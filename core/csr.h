#pragma once
#include "core/hart.h"

namespace lockstep::core {

// CSR access with the privilege, read-only and extension checks of the privileged spec.
// false means the access is illegal (the caller raises an illegal-instruction trap).
bool csr_read(Hart& h, u16 number, u64& value);
bool csr_write(Hart& h, u16 number, u64 value);

// The counters as the guest sees them (icount-derived).
u64 read_minstret(const Hart& h);
u64 read_mcycle(const Hart& h);

// Privilege changes go through here: QEMU clears the LR reservation on every mode set.
void set_priv(Hart& h, Priv p);

// mstatus with SD computed from FS.
u64 read_mstatus(const Hart& h);

}  // namespace lockstep::core
