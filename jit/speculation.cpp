#include "jit/speculation.h"

#include <algorithm>
#include <set>

#include <llvm/Analysis/ValueTracking.h>
#include <llvm/IR/CFG.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/IntrinsicInst.h>

namespace lockstep::jit {

// What one instruction's code does, as far as a group cares.
struct SpeculativeGroups::Shape {
  std::vector<llvm::BasicBlock*> rare;             // blocks on its rare paths: speculated past
  std::set<int64_t> hart_writes;                   // fields it writes: kept in registers?
};

namespace {

bool is_guest_memory(const llvm::Value* object) { return llvm::isa<llvm::IntToPtrInst>(object); }

}  // namespace

SpeculativeGroups::SpeculativeGroups(llvm::Function& fn, llvm::Value* hart, const SpeculationLayout& layout,
                                     LeaveFn leave)
    : fn_(fn), hart_(hart), layout_(layout), leave_(std::move(leave)) {
  llvm::IRBuilder<> entry(&*fn.getEntryBlock().getFirstInsertionPt());
  ok_ = entry.CreateAlloca(entry.getInt1Ty(), nullptr, "group_ok");
}

bool SpeculativeGroups::analyze(const InstructionCode& code, Shape& shape) const {
  if (!code.may_join) return false;
  llvm::BasicBlock* first_block = code.first->getParent();
  llvm::BasicBlock* last_block = code.flow_switch->getParent();
  std::set<llvm::BasicBlock*> span;  // the instruction's inlined code, in function order
  for (auto it = first_block->getIterator();; ++it) {
    span.insert(&*it);
    if (&*it == last_block) break;
    if (std::next(it) == fn_.end()) return false;
  }
  std::set<llvm::BasicBlock*> cold(code.leaves.begin(), code.leaves.end());
  for (llvm::BasicBlock* bb : span) {
    for (llvm::Instruction& inst : *bb) {
      if (auto* call = llvm::dyn_cast<llvm::CallInst>(&inst); call && layout_.is_rare_path(*call)) {
        cold.insert(bb);
        shape.rare.push_back(bb);
        break;
      }
    }
  }
  // A plain store's one rare path is its own access: its check is the group's (see add).
  if (code.plain_store && (code.leaves.size() != 1 || !shape.rare.empty())) return false;
  // Every rare path must be entered by a two-way branch whose other side goes on.
  for (llvm::BasicBlock* c : cold) {
    for (llvm::BasicBlock* pred : llvm::predecessors(c)) {
      auto* br = llvm::dyn_cast<llvm::BranchInst>(pred->getTerminator());
      if (!br || !br->isConditional() || br->getSuccessor(0) == br->getSuccessor(1) || cold.count(pred)) return false;
    }
  }

  const llvm::DataLayout& dl = fn_.getParent()->getDataLayout();
  bool guest_store = false;
  std::vector<llvm::BasicBlock*> work = {first_block};
  std::set<llvm::BasicBlock*> seen;
  while (!work.empty()) {
    llvm::BasicBlock* bb = work.back();
    work.pop_back();
    if (!seen.insert(bb).second) continue;
    auto start = bb == first_block ? code.first->getIterator() : bb->begin();
    for (auto it = start; it != bb->end(); ++it) {
      llvm::Instruction& inst = *it;
      if (auto* call = llvm::dyn_cast<llvm::CallInst>(&inst)) {
        if (!call->isInlineAsm() && !llvm::isa<llvm::IntrinsicInst>(call)) return false;
        for (llvm::Value* arg : call->args()) {
          if (arg->getType()->isPointerTy() && llvm::getUnderlyingObject(arg, 16) == hart_) return false;
        }
      } else if (auto* store = llvm::dyn_cast<llvm::StoreInst>(&inst)) {
        int64_t offset = 0;
        llvm::Value* ptr = store->getPointerOperand();
        if (llvm::GetPointerBaseWithConstantOffset(ptr, offset, dl) == hart_) {
          const bool kept = std::any_of(layout_.not_given_up.begin(), layout_.not_given_up.end(),
                                        [&](const HartRange& r) { return offset >= r.begin && offset < r.end; });
          if (!kept) shape.hart_writes.insert(offset);
          continue;
        }
        const llvm::Value* object = llvm::getUnderlyingObject(ptr, 16);
        if (object == hart_) return false;  // a field at a variable offset
        if (is_guest_memory(object)) {
          if (!code.plain_store || guest_store) return false;
          guest_store = true;
        }
      } else if (auto* load = llvm::dyn_cast<llvm::LoadInst>(&inst)) {
        // A guest load only behind its own TLB check (a plain load's), which leaves when it fails.
        if (is_guest_memory(llvm::getUnderlyingObject(load->getPointerOperand(), 16)) &&
            (code.plain_store || code.leaves.empty())) {
          return false;
        }
      } else if (inst.mayHaveSideEffects() || inst.isAtomic() || llvm::isa<llvm::FenceInst>(inst)) {
        return false;
      }
    }
    if (bb == last_block) continue;
    for (llvm::BasicBlock* next : llvm::successors(bb)) {
      if (cold.count(next)) continue;
      if (!span.count(next)) return false;  // control leaves the instruction some other way
      work.push_back(next);
    }
  }
  // Whatever else it may return (a trap; Sync after a device access, which only a rare path
  // makes) leaves before the group: the interpreter then runs it. Only the last instruction of a
  // block ends it by design (a jump, a CSR write), and that one runs alone.
  return !code.plain_store || guest_store;
}

void SpeculativeGroups::open(const InstructionCode& code, uint64_t pc, llvm::Value* icount) {
  llvm::IRBuilder<> b(code.first);
  group_ = Group{};
  group_.pc = pc;
  group_.icount = icount;
  group_.anchor = b.CreateStore(b.getTrue(), ok_);
  group_.exit = llvm::BasicBlock::Create(fn_.getContext(), "leave_group", &fn_);
  open_ = true;
}

llvm::BasicBlock* SpeculativeGroups::add(const InstructionCode& code, uint64_t pc, llvm::Value* icount) {
  Shape shape;
  if (!analyze(code, shape)) {
    if (open_) end_before(code.first);
    return nullptr;
  }
  // A group starts only where floating-point instructions follow in the block: its start writes
  // the hart back, which pays where it saves a branch per operation, not in integer code
  // (measured: the integer workload ran slower with groups of loads alone).
  if (!open_ && !code.may_open) return nullptr;
  if (!open_) open(code, pc, icount);
  sync_.discardable_fields.insert(shape.hart_writes.begin(), shape.hart_writes.end());
  // A floating-point rare path: its check only clears `ok`; the group goes on with the host's
  // result, which nothing outside the group sees unless `ok` holds where the group ends.
  // An access the inline TLB cannot serve: leave before the group at once (a branch, not a
  // flag: the load's address then never waits for the TLB check, and no access is ever made
  // through an entry that does not serve it). A plain store's check is also the group's.
  auto rewrite = [&](llvm::BasicBlock* cold, bool accumulate) {
    std::vector<llvm::BasicBlock*> preds(llvm::pred_begin(cold), llvm::pred_end(cold));
    for (llvm::BasicBlock* pred : preds) {
      auto* br = llvm::cast<llvm::BranchInst>(pred->getTerminator());
      const bool rare_if_true = br->getSuccessor(0) == cold;
      llvm::BasicBlock* on = br->getSuccessor(rare_if_true ? 1 : 0);
      llvm::IRBuilder<> b(br);
      llvm::Value* fine = rare_if_true ? b.CreateNot(br->getCondition()) : br->getCondition();
      if (accumulate) {
        b.CreateStore(b.CreateAnd(b.CreateLoad(b.getInt1Ty(), ok_), fine), ok_);
        b.CreateBr(on);
        group_.speculated = true;
      } else if (code.plain_store) {
        b.CreateCondBr(b.CreateAnd(b.CreateLoad(b.getInt1Ty(), ok_), fine), on, group_.exit);
      } else {
        b.CreateCondBr(fine, on, group_.exit);
      }
      br->eraseFromParent();
    }
  };
  for (llvm::BasicBlock* c : shape.rare) rewrite(c, true);
  for (llvm::BasicBlock* c : code.leaves) rewrite(c, false);
  llvm::BasicBlock* exit = group_.exit;
  if (code.plain_store) {
    group_.speculated = false;  // its check was the group's
    finish();
  }
  return exit;
}

void SpeculativeGroups::end_before(llvm::Instruction* first) {
  if (group_.speculated) {
    llvm::BasicBlock* bb = first->getParent();
    llvm::BasicBlock* rest = bb->splitBasicBlock(first, "group_checked");
    bb->getTerminator()->eraseFromParent();
    llvm::IRBuilder<> b(bb);
    b.CreateCondBr(b.CreateLoad(b.getInt1Ty(), ok_), rest, group_.exit);
  }
  finish();
}

void SpeculativeGroups::finish() {
  open_ = false;
  if (llvm::pred_empty(group_.exit)) {
    group_.exit->eraseFromParent();
    group_.anchor->eraseFromParent();
    return;
  }
  // The hart in memory is brought up to date at the group's start, and the exit gives up what
  // the group changed since: memory then holds the state before the group.
  sync_.write_back.push_back(group_.anchor);
  leave_(group_.exit, group_.pc, group_.icount);
  sync_.discarding_returns.push_back(group_.exit->getTerminator());
}

}  // namespace lockstep::jit
