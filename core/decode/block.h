#pragma once
#include <vector>

#include "core/insn.h"

namespace lockstep::core::decode {

// The one block decoder (interpreter blocks, the JIT's region blocks, QEMU's TB tail after WFI):
// decodes the straight run of instructions at `offset` of a page's bytes into `out`, cut where a
// block ends: after an instruction that ends_block, before one that straddles the page end (its
// second half lies on another page, fetched through its own translation), after max_insns, and
// before the first instruction `accept` refuses (nullptr accepts all). Returns the bytes decoded.
u32 decode_block(const u8* host_page, u64 offset, u64 max_insns, std::vector<Insn>& out,
                 bool (*accept)(const Insn&) = nullptr);

// Whether an instruction ends a block: the decode table says so, or it is undecodable.
bool ends_block(const Insn& insn);

}  // namespace lockstep::core::decode
