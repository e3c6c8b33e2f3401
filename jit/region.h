#pragma once
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "core/insn.h"

// Region formation: which guest instructions one compiled function covers.
namespace lockstep::jit {

using core::u64;

// A straight run of instructions, cut where the interpreter cuts its blocks.
struct RegionBlock {
  u64 pc = 0;  // virtual address of the first instruction
  std::vector<core::Insn> insns;
  // Where control goes inside the region after the last instruction: when it falls through
  // (Flow::Next), and when it jumps to its static target (a taken branch or jal). -1: the
  // region exits there.
  int fallthrough_block = -1;
  int taken_block = -1;
};

// A single-entry region of blocks within one guest page (one translation, one code-page flag):
// the hot block and what it reaches through static control flow, loops included.
struct RegionPlan {
  u64 entry_pc = 0;     // virtual
  u64 entry_paddr = 0;  // physical
  std::vector<RegionBlock> blocks;  // blocks[0] is the entry
  u64 insn_count = 0;
  // Some instruction takes its rounding mode from frm: the region is compiled for frm = RNE
  // (see uses_dynamic_rounding) and entered only while frm is RNE.
  bool needs_rne = false;
  // How rare cases are compiled. false: the region is left before a plain load or store the
  // inline TLB misses (compiled code stays small: most of an access's code was its slow path),
  // and floating-point instructions run in speculative groups (jit/speculation.h) that leave
  // before themselves when a result needs the flag path. true: calls, leaving only for what
  // they refuse (core::load_ram/store_ram for accesses, the flag paths themselves for
  // floating point). A region that keeps being left early (a working set beyond the TLB, a
  // guest whose floating-point results keep needing flags) is compiled again with true.
  bool ram_calls = false;
};

// The mnemonic of a semantics function (its name in LOCKSTEP_FOR_EACH_SEMANTICS); empty when the
// function is not in that list (an undecodable instruction).
std::string_view semantics_name(core::SemFn fn);
// A branch or jal: control may go to pc + imm, known when compiling.
bool has_static_target(core::SemFn fn);
// An F or D instruction other than a load or store (its mnemonic starts with f; fence does not
// count): where compiled code gains from speculative groups (jit/speculation.h).
bool floating_point_operation(core::SemFn fn);

// A floating-point instruction with the dynamic rounding mode (rm = 7), which reads frm. frm
// cannot change inside a region (a CSR write ends it), so a region compiled with rm = RNE for
// these instructions behaves exactly as they would while frm is RNE: LLVM then sees a constant
// mode and keeps only the round-to-nearest fast path.
bool uses_dynamic_rounding(const core::Insn& insn);

// A load or store whose one memory access is its first effect (compressed forms decode to the
// same semantics): compiled code leaves the region before it when the inline TLB cannot serve it.
struct PlainAccess {
  unsigned size;
  bool store;
};
std::optional<PlainAccess> plain_memory_access(core::SemFn fn);

// Decodes the region entered at entry_pc from the host copy of its page. Grows only into blocks
// `is_hot(paddr)` says ran often (LLVM's time is spent on every instruction compiled, so cold
// paths stay interpreted: the region exits there) and stops at max_insns instructions. An empty
// plan (no blocks) means nothing there can be compiled.
RegionPlan plan_region(const core::u8* host_page, u64 entry_pc, u64 entry_paddr, unsigned max_insns,
                       const std::function<bool(u64 paddr)>& is_hot);

}  // namespace lockstep::jit
