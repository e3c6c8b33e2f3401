#include "jit/hart_promotion.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include <llvm/ADT/BitVector.h>
#include <llvm/IR/CFG.h>
#include <llvm/IR/DataLayout.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/Operator.h>

namespace lockstep::jit {
namespace {

// One hart field the function reads: its offset, type and the instructions that reach it.
struct Field {
  llvm::Type* type = nullptr;
  uint64_t size = 0;
  bool kept_in_memory = false;  // reached some other way too
  std::vector<llvm::LoadInst*> loads;
  std::vector<llvm::StoreInst*> stores;
  llvm::AllocaInst* local = nullptr;
  llvm::Value* address = nullptr;  // the field in the hart
  int64_t offset = 0;
  unsigned index = 0;             // among the promoted fields
  bool in_register_file = false;  // x or f: out of reach of CallEffect::State callees
  bool slow_paths_write = false;  // CallEffect::State callees may change it
  bool exit_state = false;        // written even by a discarding return
};

using Range = HartRange;

// The bytes a GEP with a variable index may reach: the array its first variable index selects
// in, at the offset its constant prefix gives. nullopt when the pointer operand itself is indexed
// by a variable (then anything could be reached).
std::optional<Range> variable_range(llvm::GetElementPtrInst& gep, const llvm::DataLayout& layout) {
  llvm::Type* type = gep.getSourceElementType();
  auto idx = gep.idx_begin();
  auto* first = llvm::dyn_cast<llvm::ConstantInt>(idx->get());
  if (!first) return std::nullopt;
  int64_t offset = first->getSExtValue() * static_cast<int64_t>(layout.getTypeAllocSize(type));
  for (++idx; idx != gep.idx_end(); ++idx) {
    if (auto* st = llvm::dyn_cast<llvm::StructType>(type)) {
      auto* field = llvm::dyn_cast<llvm::ConstantInt>(idx->get());
      if (!field) return std::nullopt;
      const unsigned k = static_cast<unsigned>(field->getZExtValue());
      offset += static_cast<int64_t>(layout.getStructLayout(st)->getElementOffset(k));
      type = st->getElementType(k);
      continue;
    }
    llvm::Type* element = nullptr;
    if (auto* at = llvm::dyn_cast<llvm::ArrayType>(type)) element = at->getElementType();
    if (!element) return std::nullopt;
    auto* index = llvm::dyn_cast<llvm::ConstantInt>(idx->get());
    if (!index) return Range{offset, offset + static_cast<int64_t>(layout.getTypeAllocSize(type))};
    offset += index->getSExtValue() * static_cast<int64_t>(layout.getTypeAllocSize(element));
    type = element;
  }
  return std::nullopt;  // all constant: accumulateConstantOffset would have taken it
}

bool scalar(llvm::Type* t) { return t->isIntegerTy() || t->isFloatingPointTy() || t->isPointerTy(); }

}  // namespace

std::vector<int64_t> promote_hart_fields(llvm::Function& fn, llvm::Value* hart, const llvm::DataLayout& layout,
                                         const HartLayout& hart_layout, const SyncPoints& sync,
                                         const std::function<CallEffect(const llvm::CallInst&)>& classify,
                                         std::string* why_not) {
  auto fail = [&](std::string why) {
    if (why_not) *why_not = std::move(why);
    return std::vector<int64_t>{};
  };
  // Every way the function reaches the hart: constant-offset fields, variable-index ranges,
  // and calls that are handed a pointer into it.
  std::map<int64_t, Field> fields;
  std::vector<Range> variable;
  std::set<llvm::CallInst*> handed_hart;
  std::vector<std::pair<llvm::Value*, std::optional<int64_t>>> work = {{hart, 0}};
  std::set<llvm::Value*> seen;
  std::vector<std::pair<llvm::Instruction*, int64_t>> constant_accesses;
  while (!work.empty()) {
    auto [value, offset] = work.back();
    work.pop_back();
    if (!seen.insert(value).second) continue;
    for (llvm::User* user : value->users()) {
      if (auto* gep = llvm::dyn_cast<llvm::GetElementPtrInst>(user)) {
        if (gep->getPointerOperand() != value) return fail("the hart pointer is used as an index");
        llvm::APInt delta(64, 0);
        if (offset && gep->accumulateConstantOffset(layout, delta)) {
          work.push_back({gep, *offset + delta.getSExtValue()});
          continue;
        }
        if (offset) {
          const auto range = variable_range(*gep, layout);
          if (!range || !gep->isInBounds()) return fail("a hart access at an unknown offset");
          variable.push_back({*offset + range->begin, *offset + range->end});
        }
        work.push_back({gep, std::nullopt});
      } else if (auto* cast = llvm::dyn_cast<llvm::BitCastInst>(user)) {
        work.push_back({cast, offset});
      } else if (auto* load = llvm::dyn_cast<llvm::LoadInst>(user)) {
        if (!load->isSimple()) return fail("a volatile or atomic hart access");
        if (offset) constant_accesses.push_back({load, *offset});
      } else if (auto* store = llvm::dyn_cast<llvm::StoreInst>(user)) {
        if (store->getValueOperand() == value) return fail("the hart pointer is stored");
        if (!store->isSimple()) return fail("a volatile or atomic hart access");
        if (offset) constant_accesses.push_back({store, *offset});
      } else if (auto* call = llvm::dyn_cast<llvm::CallInst>(user)) {
        if (llvm::isa<llvm::IntrinsicInst>(call) && !llvm::isa<llvm::DbgInfoIntrinsic>(call)) {
          const auto id = call->getIntrinsicID();
          if (id != llvm::Intrinsic::lifetime_start && id != llvm::Intrinsic::lifetime_end) {
            return fail("an intrinsic is handed a pointer into the hart");
          }
          continue;
        }
        handed_hart.insert(call);
      } else {
        return fail("the hart pointer is used by a " + std::string(llvm::cast<llvm::Instruction>(user)->getOpcodeName()));
      }
    }
  }

  for (auto [inst, offset] : constant_accesses) {
    llvm::Type* type = llvm::isa<llvm::LoadInst>(inst) ? inst->getType()
                                                       : llvm::cast<llvm::StoreInst>(inst)->getValueOperand()->getType();
    Field& f = fields[offset];
    if (!f.type) {
      f.type = type;
      f.size = layout.getTypeStoreSize(type);
    }
    if (f.type != type || !scalar(type)) f.kept_in_memory = true;
    if (auto* load = llvm::dyn_cast<llvm::LoadInst>(inst)) {
      f.loads.push_back(load);
    } else {
      f.stores.push_back(llvm::cast<llvm::StoreInst>(inst));
    }
  }
  // Overlaps: fields sharing bytes with another field or with a variable-index range stay in memory.
  int64_t reach = INT64_MIN;
  Field* reaching = nullptr;
  for (auto& [offset, f] : fields) {
    if (offset < reach) {
      f.kept_in_memory = true;
      reaching->kept_in_memory = true;
    }
    if (offset + static_cast<int64_t>(f.size) > reach) {
      reach = offset + static_cast<int64_t>(f.size);
      reaching = &f;
    }
    for (const Range& r : variable) {
      if (offset < r.end && r.begin < offset + static_cast<int64_t>(f.size)) f.kept_in_memory = true;
    }
    // A field only written is left as it is: its stores are on exit paths (trap causes).
    if (f.loads.empty() && !sync.discardable_fields.count(offset)) f.kept_in_memory = true;
  }

  std::vector<Field*> live;
  for (auto& [offset, f] : fields) {
    if (f.kept_in_memory) continue;
    f.index = static_cast<unsigned>(live.size());
    f.offset = offset;
    // Copies: clang 14 cannot capture structured bindings in a lambda.
    const int64_t field_begin = offset, field_end = offset + static_cast<int64_t>(f.size);
    auto within = [&](const std::vector<HartRange>& ranges) {
      return std::any_of(ranges.begin(), ranges.end(), [&](const HartRange& r) {
        return field_begin < r.end && r.begin < field_end;
      });
    };
    f.in_register_file = within(hart_layout.register_file);
    f.slow_paths_write = within(hart_layout.slow_path_writes);
    f.exit_state = within(hart_layout.exit_state);
    live.push_back(&f);
  }
  if (live.empty()) return fail("no hart field is read at a constant offset");
  const unsigned n = static_cast<unsigned>(live.size());

  llvm::BasicBlock& entry = fn.getEntryBlock();
  llvm::IRBuilder<> b(&*entry.getFirstInsertionPt());
  llvm::Type* i8 = b.getInt8Ty();
  llvm::Value* bytes = b.CreateBitCast(hart, i8->getPointerTo(), "hart_bytes");
  for (Field* f : live) f->local = b.CreateAlloca(f->type, nullptr, "hart_field");
  for (Field* f : live) {
    f->address = b.CreateBitCast(b.CreateConstInBoundsGEP1_64(i8, bytes, static_cast<uint64_t>(f->offset)),
                                 f->type->getPointerTo());
    b.CreateStore(b.CreateLoad(f->type, f->address), f->local);
  }
  std::map<llvm::StoreInst*, unsigned> writes;  // store to a local -> its field
  for (Field* f : live) {
    for (llvm::LoadInst* load : f->loads) load->setOperand(0, f->local);
    for (llvm::StoreInst* store : f->stores) {
      store->setOperand(1, f->local);
      writes[store] = f->index;
    }
  }

  // Where the hart in memory is brought up to date, and how far.
  enum class Sync { None, WriteBack, CallReadsState, CallState, CallAll, Return, DiscardingReturn };
  const std::set<llvm::Instruction*> write_back_points(sync.write_back.begin(), sync.write_back.end());
  const std::set<llvm::Instruction*> discarding(sync.discarding_returns.begin(), sync.discarding_returns.end());
  auto sync_of = [&](llvm::Instruction& inst) {
    if (write_back_points.count(&inst)) return Sync::WriteBack;
    if (discarding.count(&inst)) return Sync::DiscardingReturn;
    if (llvm::isa<llvm::ReturnInst>(inst)) return Sync::Return;
    if (auto* call = llvm::dyn_cast<llvm::CallInst>(&inst)) {
      CallEffect effect = classify(*call);
      if (effect == CallEffect::None && handed_hart.count(call)) effect = CallEffect::All;
      if (effect == CallEffect::All) return Sync::CallAll;
      if (effect == CallEffect::State) return Sync::CallState;
      if (effect == CallEffect::ReadsState) return Sync::CallReadsState;
    }
    return Sync::None;
  };
  // What a sync writes back (of the dirty fields) and reloads after a call. A CallEffect::State
  // callee never looks at the register file: registers stay dirty across it (writing them
  // before every slow path measured slower to compile than writing them at the exits).
  llvm::BitVector state(n), written_by_slow_paths(n), exit_state(n), everything(n, true), nothing(n);
  for (Field* f : live) {
    if (!f->in_register_file) state.set(f->index);
    if (f->slow_paths_write) written_by_slow_paths.set(f->index);
    if (f->exit_state) exit_state.set(f->index);
  }
  auto written_back = [&](Sync sync) -> const llvm::BitVector& {
    if (sync == Sync::DiscardingReturn) return exit_state;
    return sync == Sync::CallState || sync == Sync::CallReadsState ? state : everything;
  };
  auto reloaded = [&](Sync sync) -> const llvm::BitVector& {
    if (sync == Sync::CallState) return written_by_slow_paths;
    return sync == Sync::CallAll ? everything : nothing;
  };

  // Forward may-dirty dataflow: a field is dirty where some path from its last sync stored it.
  std::map<llvm::BasicBlock*, llvm::BitVector> dirty_in;
  auto transfer = [&](llvm::BasicBlock& bb, llvm::BitVector dirty, auto&& at_sync) {
    for (llvm::Instruction& inst : bb) {
      // A sync point may itself be a store (a speculative group's start): the write-back goes
      // before it.
      if (const Sync sync = sync_of(inst); sync != Sync::None) {
        at_sync(inst, sync, dirty);
        dirty.reset(written_back(sync));
        dirty.reset(reloaded(sync));
      }
      if (auto* store = llvm::dyn_cast<llvm::StoreInst>(&inst)) {
        if (auto it = writes.find(store); it != writes.end()) dirty.set(it->second);
      }
    }
    return dirty;
  };
  std::vector<llvm::BasicBlock*> work_blocks = {&entry};
  dirty_in[&entry] = llvm::BitVector(n);
  while (!work_blocks.empty()) {
    llvm::BasicBlock* bb = work_blocks.back();
    work_blocks.pop_back();
    const llvm::BitVector out = transfer(*bb, dirty_in[bb], [](llvm::Instruction&, Sync, const llvm::BitVector&) {});
    for (llvm::BasicBlock* next : llvm::successors(bb)) {
      auto [it, inserted] = dirty_in.try_emplace(next, out);
      if (!inserted) {
        llvm::BitVector merged = it->second;
        merged |= out;
        if (merged == it->second) continue;
        it->second = merged;
      }
      work_blocks.push_back(next);
    }
  }

  struct Action {
    llvm::Instruction* at;
    Sync sync;
    llvm::BitVector dirty;
  };
  std::vector<Action> actions;
  for (auto& [bb, in] : dirty_in) {
    transfer(*bb, in, [&](llvm::Instruction& inst, Sync sync, const llvm::BitVector& dirty) {
      actions.push_back({&inst, sync, dirty});
    });
  }
  for (const Action& a : actions) {
    llvm::IRBuilder<> at(a.at);
    const llvm::BitVector& scope = written_back(a.sync);
    for (unsigned k : a.dirty.set_bits()) {
      if (scope.test(k)) at.CreateStore(at.CreateLoad(live[k]->type, live[k]->local), live[k]->address);
    }
    if (a.sync == Sync::CallState || a.sync == Sync::CallAll) {  // CallReadsState: nothing to reload
      llvm::IRBuilder<> after(a.at->getNextNode());
      for (unsigned k : reloaded(a.sync).set_bits()) {
        after.CreateStore(after.CreateLoad(live[k]->type, live[k]->address), live[k]->local);
      }
    }
  }
  std::vector<int64_t> promoted;
  for (Field* f : live) promoted.push_back(f->offset);
  return promoted;
}

}  // namespace lockstep::jit
