#pragma once
#include <vector>

#include "core/hart.h"
#include "jit/compiler.h"
#include "jit/region.h"

namespace lockstep::jit {

struct JitStats;

// --jit-verify: every region execution is checked against the interpreter. The interpreter runs
// first, on a copy of the hart whose memory accesses go to a private overlay (so guest RAM is
// untouched), following the region's own block structure to the point where the region would
// stop; then the region runs on the real hart; then registers, CSRs, pc, icount and every byte
// the interpreter wrote are compared. Compiled code may leave a region early, unexecuted, at the
// points the compiler declares (before a speculative group, before a plain load or store): the
// interpreter keeps its state at each of them, and an early stop is compared with that state
// and the bytes written before it (an early stop anywhere else is a difference). A run that
// touches a device cannot be repeated, so it is counted as not checkable and runs compiled only.
// The first difference ends the process with a message naming the pc, the instruction and the
// register or CSR.
class Verifier {
 public:
  // Returns what the region returned (the caller finishes the flow on the real hart).
  unsigned run(core::Hart& h, const RegionPlan& plan, const std::vector<u64>& leave_pcs, RegionFn fn, core::u32 entry,
               u64 end_icount, JitStats& stats);
};

}  // namespace lockstep::jit
