#pragma once
// Which guest memory an instruction is about to touch: what watchpoints need. The interpreter has
// no per-access hook (its loads and stores are inlined TLB hits), so the stop probe asks this
// before executing each instruction while watchpoints are set, from the decoded operands and the
// registers: effective address = x[rs1] + imm, the size and direction from the semantics function.
#include <cstdint>
#include <optional>

#include "core/hart.h"
#include "core/insn.h"

namespace lockstep::replay::gdb {

struct MemoryAccess {
  std::uint64_t address = 0;  // virtual
  unsigned size = 0;
  bool reads = false, writes = false;
  // sc.w/sc.d: it writes only when it succeeds (rd == 0 afterwards).
  bool conditional = false;
};

// The access `i` makes if executed now on `h`; nullopt for instructions that touch no memory
// (implicit accesses, page-table walks and device DMA are not instructions' accesses).
std::optional<MemoryAccess> memory_access(const core::Hart& h, const core::Insn& i);

// Whether `fn` is a semantics function this file classifies (for the test that every load, store
// and AMO row of the decode table is).
bool classifies(core::SemFn fn);

}  // namespace lockstep::replay::gdb
