#include "core/decode/block.h"

#include <cstring>

#include "core/decode/table.h"

namespace lockstep::core::decode {

bool ends_block(const Insn& insn) { return insn.row == 0xffff || ends_block(row(insn.row)); }

u32 decode_block(const u8* host_page, u64 offset, u64 max_insns, std::vector<Insn>& out, bool (*accept)(const Insn&)) {
  const u64 start = offset;
  for (u64 n = 0; n < max_insns && offset + 2 <= kPageSize; ++n) {
    u16 low;
    std::memcpy(&low, host_page + offset, 2);
    Insn insn;
    if ((low & 3) == 3) {
      if (offset + 4 > kPageSize) break;
      u32 raw;
      std::memcpy(&raw, host_page + offset, 4);
      decode32(raw, insn);
    } else {
      decode16(low, insn);
    }
    if (accept && !accept(insn)) break;
    out.push_back(insn);
    offset += insn.len;
    if (ends_block(insn)) break;
  }
  return static_cast<u32>(offset - start);
}

}  // namespace lockstep::core::decode
