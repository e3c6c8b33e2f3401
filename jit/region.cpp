#include "jit/region.h"

#include <deque>
#include <map>

#include "core/code_cache.h"
#include "core/decode/block.h"
#include "core/decode/table.h"
#include "core/semantics/all.h"

namespace lockstep::jit {
namespace {

using core::Insn;
using core::kPageSize;
using core::u8;

struct NamedSemantics {
  core::SemFn fn;
  std::string_view name;
};
constexpr NamedSemantics kSemantics[] = {
#define LOCKSTEP_JIT_NAMED(name) {&core::sem::name, #name},
    LOCKSTEP_FOR_EACH_SEMANTICS(LOCKSTEP_JIT_NAMED)
#undef LOCKSTEP_JIT_NAMED
};

bool has_semantics_name(const Insn& insn) { return !semantics_name(insn.fn).empty(); }

// Decodes one block the way the interpreter's build_block does (the same decoder, same cut
// points), leaving out instructions the JIT has no semantics name for.
RegionBlock decode_block(const u8* host_page, u64 pc) {
  RegionBlock block;
  block.pc = pc;
  core::decode::decode_block(host_page, pc & (kPageSize - 1), core::CodeCache::kMaxBlockInsns, block.insns,
                             has_semantics_name);
  return block;
}

}  // namespace

std::string_view semantics_name(core::SemFn fn) {
  for (const NamedSemantics& s : kSemantics) {
    if (s.fn == fn) return s.name;
  }
  return {};
}

bool has_static_target(core::SemFn fn) {
  using namespace core::sem;
  return fn == &beq || fn == &bne || fn == &blt || fn == &bge || fn == &bltu || fn == &bgeu || fn == &jal;
}

bool floating_point_operation(core::SemFn fn) {
  const std::string_view name = semantics_name(fn);
  return name.starts_with('f') && !name.starts_with("fence") && !plain_memory_access(fn);
}

RegionPlan plan_region(const u8* host_page, u64 entry_pc, u64 entry_paddr, unsigned max_insns,
                       const std::function<bool(u64 paddr)>& is_hot) {
  RegionPlan plan;
  plan.entry_pc = entry_pc;
  plan.entry_paddr = entry_paddr;
  const u64 page = entry_pc & ~(kPageSize - 1);
  std::map<u64, int> index_of;  // block pc -> index in plan.blocks
  std::deque<u64> work{entry_pc};
  constexpr unsigned kMaxBlocks = 64;
  // Breadth first from the entry: the blocks nearest the hot one are the likeliest to be hot.
  while (!work.empty() && plan.blocks.size() < kMaxBlocks) {
    const u64 pc = work.front();
    work.pop_front();
    if (index_of.count(pc)) continue;
    if (pc != entry_pc && !is_hot(entry_paddr + (pc - entry_pc))) continue;
    RegionBlock b = decode_block(host_page, pc);
    if (b.insns.empty()) continue;
    if (plan.insn_count + b.insns.size() > max_insns && !plan.blocks.empty()) break;
    const Insn& last = b.insns.back();
    u64 end_pc = pc;
    for (const Insn& i : b.insns) end_pc += i.len;
    index_of[pc] = static_cast<int>(plan.blocks.size());
    plan.insn_count += b.insns.size();
    for (const Insn& i : b.insns) plan.needs_rne = plan.needs_rne || uses_dynamic_rounding(i);
    plan.blocks.push_back(std::move(b));
    if (has_static_target(last.fn)) {
      const u64 target = end_pc - last.len + static_cast<u64>(last.imm);
      if ((target & ~(kPageSize - 1)) == page) work.push_back(target);
    }
    if (last.fn != &core::sem::jal && (end_pc & ~(kPageSize - 1)) == page) work.push_back(end_pc);
  }
  // Link the blocks now that the set is known.
  for (RegionBlock& b : plan.blocks) {
    const Insn& last = b.insns.back();
    u64 end_pc = b.pc;
    for (const Insn& i : b.insns) end_pc += i.len;
    if (auto it = index_of.find(end_pc); it != index_of.end() && last.fn != &core::sem::jal) {
      b.fallthrough_block = it->second;
    }
    if (has_static_target(last.fn)) {
      if (auto it = index_of.find(end_pc - last.len + static_cast<u64>(last.imm)); it != index_of.end()) {
        b.taken_block = it->second;
      }
    }
  }
  return plan;
}

bool uses_dynamic_rounding(const core::Insn& insn) {
  if (insn.len != 4 || insn.rm != 7) return false;
  const u64 opcode = insn.raw & 0x7f;
  // OP-FP, and the fused multiply-adds (MADD, MSUB, NMSUB, NMADD): the formats with an rm field.
  return opcode == 0x53 || opcode == 0x43 || opcode == 0x47 || opcode == 0x4b || opcode == 0x4f;
}

std::optional<PlainAccess> plain_memory_access(core::SemFn fn) {
  // By function pointer, found by name once: the verifier asks for every instruction it steps.
  static const std::vector<std::pair<core::SemFn, PlainAccess>> kAccesses = [] {
    static const std::pair<std::string_view, PlainAccess> kNames[] = {
        {"lb", {1, false}},  {"lbu", {1, false}}, {"lh", {2, false}}, {"lhu", {2, false}}, {"lw", {4, false}},
        {"lwu", {4, false}}, {"ld", {8, false}},  {"flw", {4, false}}, {"fld", {8, false}}, {"sb", {1, true}},
        {"sh", {2, true}},   {"sw", {4, true}},   {"sd", {8, true}},   {"fsw", {4, true}},  {"fsd", {8, true}}};
    std::vector<std::pair<core::SemFn, PlainAccess>> table;
    for (const NamedSemantics& sem : kSemantics) {
      for (const auto& [name, access] : kNames) {
        if (name == sem.name) table.push_back({sem.fn, access});
      }
    }
    return table;
  }();
  for (const auto& [f, access] : kAccesses) {
    if (f == fn) return access;
  }
  return std::nullopt;
}

}  // namespace lockstep::jit
