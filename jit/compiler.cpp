#include "jit/compiler.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstddef>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>
#include <llvm/Analysis/AliasAnalysis.h>
#include <llvm/Analysis/ValueTracking.h>
#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/ErrorHandling.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Timer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/JumpThreading.h>
#include <llvm/Transforms/Scalar/SROA.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>
#include <llvm/Transforms/IPO/GlobalDCE.h>
#include <llvm/Transforms/Utils/Cloning.h>

#include "core/insn.h"
#include "jit/hart_promotion.h"
#include "jit/speculation.h"

// The bitcode of jit/bitcode/semantics_bitcode.cpp, embedded by semantics_blob.S.
extern "C" const char lockstep_semantics_bitcode[];
extern "C" const char lockstep_semantics_bitcode_end[];

namespace lockstep::jit {
namespace {

using core::Flow;
using core::Hart;
using core::Insn;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
// Must match lockstep_bitcode_layout in semantics_bitcode.cpp, entry for entry.
const u64 kHostLayout[] = {
    sizeof(Hart), offsetof(Hart, pc), offsetof(Hart, icount), offsetof(Hart, x), offsetof(Hart, stop_block),
    sizeof(Insn), offsetof(Insn, imm), offsetof(Insn, rd), offsetof(Insn, len),
};
constexpr u64 kPcOffset = offsetof(Hart, pc);
constexpr u64 kIcountOffset = offsetof(Hart, icount);
constexpr int64_t kStopBlockOffset = offsetof(Hart, stop_block);
constexpr int64_t kXOffset = offsetof(Hart, x), kFOffset = offsetof(Hart, f), kTrapOffset = offsetof(Hart, trap);
#pragma GCC diagnostic pop

std::string to_string(llvm::Error e) {
  std::string s;
  llvm::handleAllErrors(std::move(e), [&](const llvm::ErrorInfoBase& info) { s += info.message(); });
  return s;
}

llvm::StringRef bitcode_bytes() {
  return llvm::StringRef(lockstep_semantics_bitcode,
                         static_cast<size_t>(lockstep_semantics_bitcode_end - lockstep_semantics_bitcode));
}

// core/fpu works on values and its flags argument only (core/fpu/README.md: nothing there reads
// guest state); its inline asm touches MXCSR and locals. Saying so lets LLVM keep registers and
// CSRs in SSA values across a floating-point operation, and no pc/icount store is needed before it.
bool is_fpu_function(const llvm::Function* f) {
  return f && f->getName().startswith("_ZN8lockstep4core3fpu");
}

// core::sem, the semantics functions and their helpers.
constexpr const char* kSemanticsPrefix = "_ZN8lockstep4core3sem";

void describe_fpu_functions(llvm::Module& m) {
  for (llvm::Function& f : m) {
    if (!is_fpu_function(&f)) continue;
    f.addFnAttr(llvm::Attribute::InaccessibleMemOrArgMemOnly);
    f.addFnAttr(llvm::Attribute::NoUnwind);
    f.addFnAttr(llvm::Attribute::WillReturn);
  }
}

// Functions this process already has (the project compiler's copies of the same inline
// functions: soft-float, out-of-line semantics helpers) are called there instead of being
// compiled again in every module: LLVM's time is spent per instruction it compiles.
void use_process_copies(llvm::Module& m, const std::vector<llvm::Function*>& keep) {
  for (llvm::Function& f : m) {
    if (f.isDeclaration() || std::find(keep.begin(), keep.end(), &f) != keep.end()) continue;
    if (!f.hasLinkOnceODRLinkage() && !f.hasWeakODRLinkage()) continue;  // only ODR copies are interchangeable
    if (!dlsym(RTLD_DEFAULT, f.getName().str().c_str())) continue;
    f.deleteBody();
    f.setLinkage(llvm::GlobalValue::ExternalLinkage);
    f.setComdat(nullptr);
  }
}

// A core/fpu call gets its flags through a pointer into the hart (`u32& fflags`), which tells LLVM
// the call may write anywhere in the hart: every register and CSR would be reloaded after each
// floating-point instruction, and the FS/rounding-mode checks of the next one could not fold.
// Passing the address of a local instead (copied in and out around the call) keeps the effect
// on the hart exactly the same and lets LLVM see that nothing else changes.
void isolate_fpu_flags(llvm::Function& fn, llvm::Value* h) {
  std::vector<llvm::CallInst*> calls;
  for (llvm::BasicBlock& bb : fn) {
    for (llvm::Instruction& inst : bb) {
      if (auto* c = llvm::dyn_cast<llvm::CallInst>(&inst); c && is_fpu_function(c->getCalledFunction())) calls.push_back(c);
    }
  }
  if (calls.empty()) return;
  llvm::IRBuilder<> entry(&*fn.getEntryBlock().getFirstInsertionPt());
  for (llvm::CallInst* c : calls) {
    for (unsigned k = 0; k < c->arg_size(); ++k) {
      llvm::Value* arg = c->getArgOperand(k);
      if (!arg->getType()->isPointerTy() || llvm::getUnderlyingObject(arg, 16) != h) continue;
      llvm::Type* ty = arg->getType()->getPointerElementType();
      if (!ty->isIntegerTy()) continue;
      llvm::AllocaInst* local = entry.CreateAlloca(ty, nullptr, "fpu_flags");
      llvm::IRBuilder<> b(c);
      b.CreateStore(b.CreateLoad(ty, arg), local);
      c->setArgOperand(k, local);
      b.SetInsertPoint(c->getNextNode());
      b.CreateStore(b.CreateLoad(ty, local), arg);
    }
  }
}

// What the memory slow paths (core/memory.cpp: load_slow, store_slow) leave alone: the
// register files; what they may write: stop_block (a device access) and the trap (a fault).
// TLB fills are at variable indices, which promotion never keeps in registers. A failed
// speculative group still leaves with its exit state: pc and icount.
HartLayout hart_layout() {
  return {{{kXOffset, kXOffset + static_cast<int64_t>(sizeof(Hart::x))},
           {kFOffset, kFOffset + static_cast<int64_t>(sizeof(Hart::f))}},
          {{kStopBlockOffset, kStopBlockOffset + 1}, {kTrapOffset, kTrapOffset + static_cast<int64_t>(sizeof(core::Trap))}},
          {{static_cast<int64_t>(kPcOffset), static_cast<int64_t>(kPcOffset + 8)},
           {static_cast<int64_t>(kIcountOffset), static_cast<int64_t>(kIcountOffset + 8)}}};
}

// core/memory.h's slow paths, by their (Itanium) names.
constexpr const char* kLoadSlow = "_ZN8lockstep4core9load_slowERNS0_4HartEmjRm";
constexpr const char* kStoreSlow = "_ZN8lockstep4core10store_slowERNS0_4HartEmjm";
constexpr const char* kLoadRam = "_ZN8lockstep4core8load_ramERNS0_4HartEmjRm";
constexpr const char* kStoreRam = "_ZN8lockstep4core9store_ramERNS0_4HartEmjm";

bool is_memory_slow_path(const llvm::Function* f) {
  return f && (f->getName() == kLoadSlow || f->getName() == kStoreSlow);
}

CallEffect classify_call(const llvm::CallInst& c) {
  const llvm::Function* f = c.getCalledFunction();
  if (c.isInlineAsm() || llvm::isa<llvm::IntrinsicInst>(c) || is_fpu_function(f)) return CallEffect::None;
  if (is_memory_slow_path(f)) return CallEffect::State;
  if (f && (f->getName() == kLoadRam || f->getName() == kStoreRam)) return CallEffect::ReadsState;
  return CallEffect::All;
}

// The inlined semantics mark their locals' lifetimes (the out-parameter of every slow-path load):
// two calls per memory access that only cost LLVM time here, where SROA removes the locals.
void drop_lifetime_markers(llvm::Function& fn) {
  std::vector<llvm::Instruction*> markers;
  for (llvm::BasicBlock& bb : fn) {
    for (llvm::Instruction& inst : bb) {
      if (auto* c = llvm::dyn_cast<llvm::IntrinsicInst>(&inst);
          c && (c->getIntrinsicID() == llvm::Intrinsic::lifetime_start || c->getIntrinsicID() == llvm::Intrinsic::lifetime_end)) {
        markers.push_back(c);
      }
    }
  }
  for (llvm::Instruction* m : markers) m->eraseFromParent();
}

// One batch of regions being turned into IR: the lazily loaded semantics module plus the
// region functions built in it.
class ModuleBuilder {
 public:
  ModuleBuilder(llvm::Module& m) : m_(m), ctx_(m.getContext()), b_(ctx_) {
    llvm::Function* add = m.getFunction("lockstep_sem_add");
    hart_ptr_ty_ = add->getFunctionType()->getParamType(0);
    insn_ptr_ty_ = add->getFunctionType()->getParamType(1);
    i8_ = llvm::Type::getInt8Ty(ctx_);
    i64_ = llvm::Type::getInt64Ty(ctx_);
    llvm::MDBuilder md(ctx_);
    llvm::MDNode* domain = md.createAnonymousAliasScopeDomain("lockstep.memory");
    llvm::MDNode* guest = md.createAnonymousAliasScope(domain, "guest RAM");
    guest_scope_ = llvm::MDNode::get(ctx_, {guest});
  }

  // speculate: with speculative groups (jit/speculation.h), unless plan.ram_calls.
  Result<llvm::Function*> build(const RegionPlan& plan, const std::string& name, bool speculate = true);
  // Of the function built last: where it may leave unexecuted (kLeftBeforeAccess), sorted.
  std::vector<u64> leave_pcs() const {
    std::vector<u64> pcs = leave_pcs_;
    std::sort(pcs.begin(), pcs.end());
    pcs.erase(std::unique(pcs.begin(), pcs.end()), pcs.end());
    return pcs;
  }

 private:
  llvm::Value* hart_field(llvm::Value* h, u64 offset) {
    llvm::Value* bytes = b_.CreateBitCast(h, i8_->getPointerTo());
    llvm::Value* p = b_.CreateConstInBoundsGEP1_64(i8_, bytes, offset);
    return b_.CreateBitCast(p, i64_->getPointerTo());
  }
  void store_field(llvm::Value* h, u64 offset, llvm::Value* v) { b_.CreateStore(v, hart_field(h, offset)); }
  // Stores pc and icount and returns `code` from the region function.
  void exit_with(llvm::Value* h, llvm::Value* pc, llvm::Value* icount, unsigned code) {
    if (pc) store_field(h, kPcOffset, pc);
    store_field(h, kIcountOffset, icount);
    b_.CreateRet(b_.getInt32(code));
  }
  llvm::Constant* insn_constant(const Insn& insn);
  // The memory slow-path calls in the blocks [first, last] leave the region at this instruction,
  // unexecuted (pc, icount, kLeftBeforeAccess): at once, or (ram_calls) when the RAM-only slow
  // path (core::load_ram, store_ram) refuses.
  // Returns the blocks that now go straight to such an exit (without ram_calls).
  std::vector<llvm::BasicBlock*> leave_before_slow_paths(llvm::BasicBlock* first, llvm::BasicBlock* last, llvm::Value* pc,
                                                         llvm::Value* icount, llvm::Value* h, llvm::Function* fn,
                                                         bool ram_calls) {
    std::vector<llvm::BasicBlock*> cold;
    std::vector<llvm::CallInst*> slow;
    for (auto it = first->getIterator();; ++it) {
      for (llvm::Instruction& inst : *it) {
        if (auto* c = llvm::dyn_cast<llvm::CallInst>(&inst); c && is_memory_slow_path(c->getCalledFunction())) slow.push_back(c);
      }
      if (&*it == last) break;
    }
    for (llvm::CallInst* c : slow) {
      llvm::BasicBlock* bb = c->getParent();
      llvm::BasicBlock* leave = llvm::BasicBlock::Create(ctx_, "leave_before", fn);
      if (ram_calls) {
        llvm::Function* callee = c->getCalledFunction();
        const bool is_load = callee->getName() == kLoadSlow;
        c->setCalledFunction(m_.getOrInsertFunction(is_load ? kLoadRam : kStoreRam, callee->getFunctionType()));
        llvm::BasicBlock* done = bb->splitBasicBlock(c->getNextNode(), "ram_access_done");
        bb->getTerminator()->eraseFromParent();
        b_.SetInsertPoint(bb);
        b_.CreateCondBr(c, done, leave);
      } else {
        bb->splitBasicBlock(c, "slow_path");  // left unreachable; SimplifyCFG removes it
        bb->getTerminator()->eraseFromParent();
        b_.SetInsertPoint(bb);
        b_.CreateBr(leave);
        cold.push_back(bb);
      }
      b_.SetInsertPoint(leave);
      exit_with(h, pc, icount, kLeftBeforeAccess);
    }
    return cold;
  }
  Result<llvm::Function*> semantics(const Insn& insn);
  // Inlines what clang left out of line in core::sem (a big template such as fd::fma_d): called,
  // the process's copy would be a call that may touch any hart field, so every register would
  // be written back before it and reloaded after.
  Status inline_semantics_helpers(llvm::BasicBlock* first, llvm::SwitchInst* marker) {
    for (int round = 0; round < 4; ++round) {
      std::vector<llvm::CallInst*> calls;
      for (auto it = first->getIterator();; ++it) {
        for (llvm::Instruction& inst : *it) {
          auto* c = llvm::dyn_cast<llvm::CallInst>(&inst);
          const llvm::Function* f = c ? c->getCalledFunction() : nullptr;
          if (f && f->getName().startswith(kSemanticsPrefix)) calls.push_back(c);
        }
        if (&*it == marker->getParent()) break;
      }
      if (calls.empty()) return Ok{};
      for (llvm::CallInst* c : calls) {
        if (llvm::Error e = c->getCalledFunction()->materialize()) return Error{to_string(std::move(e))};
        llvm::InlineFunctionInfo ifi;
        if (llvm::InlineResult r = llvm::InlineFunction(*c, ifi); !r.isSuccess()) {
          return Error{fmt::format("cannot inline {}: {}", c->getCalledFunction()->getName().str(), r.getFailureReason())};
        }
      }
    }
    return Ok{};
  }
  void annotate_memory(llvm::Function& f, llvm::Value* h);

  llvm::Module& m_;
  llvm::LLVMContext& ctx_;
  llvm::IRBuilder<> b_;
  llvm::Type* hart_ptr_ty_;
  llvm::Type* insn_ptr_ty_;
  llvm::Type* i8_;
  llvm::Type* i64_;
  llvm::MDNode* guest_scope_;
  std::vector<u64> leave_pcs_;
};

llvm::Constant* ModuleBuilder::insn_constant(const Insn& insn) {
  // The decoded instruction as the semantics see it, byte for byte (fn cleared: the bytes of a
  // host pointer must not reach the code), so that LLVM folds every operand into the code.
  Insn copy;
  std::memset(static_cast<void*>(&copy), 0, sizeof copy);
  copy.imm = insn.imm;
  copy.raw = insn.raw;
  copy.rd = insn.rd;
  copy.rs1 = insn.rs1;
  copy.rs2 = insn.rs2;
  copy.rs3 = insn.rs3;
  copy.len = insn.len;
  copy.rm = uses_dynamic_rounding(insn) ? 0 : insn.rm;  // the region runs only while frm is RNE
  copy.row = insn.row;
  copy.handler = 0;
  copy.fn = nullptr;
  llvm::Constant* data =
      llvm::ConstantDataArray::get(ctx_, llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t*>(&copy), sizeof copy));
  auto* g = new llvm::GlobalVariable(m_, data->getType(), true, llvm::GlobalValue::PrivateLinkage, data, "insn");
  g->setAlignment(llvm::Align(alignof(Insn)));
  g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  return llvm::ConstantExpr::getBitCast(g, insn_ptr_ty_);
}

Result<llvm::Function*> ModuleBuilder::semantics(const Insn& insn) {
  const std::string name = "lockstep_sem_" + std::string(semantics_name(insn.fn));
  llvm::Function* f = m_.getFunction(name);
  if (!f) return Error{fmt::format("the semantics bitcode has no {}", name)};
  if (llvm::Error e = f->materialize()) return Error{to_string(std::move(e))};
  return f;
}

// Guest RAM is host memory that never overlaps a Hart: tell LLVM, so that a guest store does
// not force every register to be reloaded and a guest load does not keep dead pc stores alive.
void ModuleBuilder::annotate_memory(llvm::Function& f, llvm::Value* h) {
  for (llvm::BasicBlock& bb : f) {
    for (llvm::Instruction& inst : bb) {
      llvm::Value* ptr = nullptr;
      if (auto* ld = llvm::dyn_cast<llvm::LoadInst>(&inst)) ptr = ld->getPointerOperand();
      if (auto* st = llvm::dyn_cast<llvm::StoreInst>(&inst)) ptr = st->getPointerOperand();
      if (!ptr) continue;
      const llvm::Value* object = llvm::getUnderlyingObject(ptr, 16);
      if (object == h) {
        inst.setMetadata(llvm::LLVMContext::MD_noalias, guest_scope_);
      } else if (llvm::isa<llvm::IntToPtrInst>(object)) {
        inst.setMetadata(llvm::LLVMContext::MD_alias_scope, guest_scope_);
      }
    }
  }
}

Result<llvm::Function*> ModuleBuilder::build(const RegionPlan& plan, const std::string& name, bool speculate) {
  auto* fty = llvm::FunctionType::get(b_.getInt32Ty(), {hart_ptr_ty_, i64_, b_.getInt32Ty()}, false);
  llvm::Function* fn = llvm::Function::Create(fty, llvm::GlobalValue::ExternalLinkage, name, m_);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  llvm::Value* h = fn->getArg(0);
  llvm::Value* end = fn->getArg(1);
  h->setName("hart");
  end->setName("end_icount");

  leave_pcs_.clear();
  llvm::BasicBlock* entry = llvm::BasicBlock::Create(ctx_, "entry", fn);
  b_.SetInsertPoint(entry);
  llvm::AllocaInst* icount_var = b_.CreateAlloca(i64_, nullptr, "icount");
  b_.CreateStore(b_.CreateLoad(i64_, hart_field(h, kIcountOffset)), icount_var);
  // The dispatcher enters regions with stop_block clear (it clears it before every block);
  // saying so lets LLVM drop the "device access?" exit after every fast-path memory access.
  {
    llvm::Value* bytes = b_.CreateBitCast(h, i8_->getPointerTo());
    b_.CreateStore(b_.getInt8(0), b_.CreateConstInBoundsGEP1_64(i8_, bytes, kStopBlockOffset));
  }

  std::vector<llvm::BasicBlock*> heads;
  for (size_t k = 0; k < plan.blocks.size(); ++k) {
    heads.push_back(llvm::BasicBlock::Create(ctx_, fmt::format("block_{:x}", plan.blocks[k].pc), fn));
  }
  llvm::SwitchInst* entries = b_.CreateSwitch(fn->getArg(2), heads[0], static_cast<unsigned>(heads.size() - 1));
  for (size_t k = 1; k < heads.size(); ++k) entries->addCase(b_.getInt32(static_cast<uint32_t>(k)), heads[k]);

  // Without ram_calls, the rare exits of runs of instructions are checked once per run
  // (jit/speculation.h); with it, the region is one that kept leaving: each instruction on its own.
  std::optional<SpeculativeGroups> groups;
  if (speculate && !plan.ram_calls && !std::getenv("LOCKSTEP_JIT_NO_SPECULATION")) {
    SpeculationLayout layout;
    // core/fpu's fast paths are inline, so what a region still calls there is a rare path: a
    // flag path (`detail::*_flags`) or soft-float. (Were a fast path ever left out of line, its
    // group would leave whenever it runs: slow, never wrong.)
    layout.is_rare_path = [](const llvm::CallInst& c) { return is_fpu_function(c.getCalledFunction()); };
    const HartLayout hart = hart_layout();
    layout.not_given_up = hart.exit_state;
    layout.not_given_up.insert(layout.not_given_up.end(), hart.slow_path_writes.begin(), hart.slow_path_writes.end());
    groups.emplace(*fn, h, layout, [this, h](llvm::BasicBlock* at, u64 pc, llvm::Value* icount) {
      leave_pcs_.push_back(pc);
      b_.SetInsertPoint(at);
      exit_with(h, b_.getInt64(pc), icount, kLeftBeforeAccess);
    });
  }

  // Stores icount, then jumps to block `target` of the region. The hart is brought up to date
  // there (promote_hart_fields), so an exit inside a block writes back only that block's changes.
  std::vector<llvm::Instruction*> block_jumps;
  auto go_to_block = [&](int target, llvm::Value* icount) {
    b_.CreateStore(icount, icount_var);
    block_jumps.push_back(b_.CreateBr(heads[static_cast<size_t>(target)]));
  };

  for (size_t k = 0; k < plan.blocks.size(); ++k) {
    const RegionBlock& block = plan.blocks[k];
    b_.SetInsertPoint(heads[k]);
    llvm::Value* base = b_.CreateLoad(i64_, icount_var, "ic");
    // Exact icount: enter the block only if the budget covers all of it.
    llvm::Value* after = b_.CreateAdd(base, b_.getInt64(block.insns.size()));
    llvm::BasicBlock* body = llvm::BasicBlock::Create(ctx_, "body", fn);
    llvm::BasicBlock* out_of_budget = llvm::BasicBlock::Create(ctx_, "out_of_budget", fn);
    b_.CreateCondBr(b_.CreateICmpUGT(after, end), out_of_budget, body);
    b_.SetInsertPoint(out_of_budget);
    exit_with(h, b_.getInt64(block.pc), base, 0);
    b_.SetInsertPoint(body);

    u64 pc = block.pc;
    for (size_t n = 0; n < block.insns.size(); ++n) {
      const Insn& insn = block.insns[n];
      const bool last = n + 1 == block.insns.size();
      auto sem = semantics(insn);
      if (!sem) return sem.error();
      llvm::Value* icount = b_.CreateAdd(base, b_.getInt64(n));
      llvm::BasicBlock* code = b_.GetInsertBlock();
      // pc and icount for the instruction's own reads; removed below if it has none.
      llvm::StoreInst* pc_store = b_.CreateStore(b_.getInt64(pc), hart_field(h, kPcOffset));
      llvm::StoreInst* icount_store = b_.CreateStore(icount, hart_field(h, kIcountOffset));
      llvm::CallInst* call = b_.CreateCall(sem.value(), {h, insn_constant(insn)});
      llvm::BasicBlock* next = llvm::BasicBlock::Create(ctx_, "next", fn);
      llvm::BasicBlock* trap = llvm::BasicBlock::Create(ctx_, "trap", fn);
      llvm::BasicBlock* sync = llvm::BasicBlock::Create(ctx_, "sync", fn);
      llvm::BasicBlock* jump = llvm::BasicBlock::Create(ctx_, "jump", fn);
      llvm::SwitchInst* marker = b_.CreateSwitch(call, trap, 3);
      marker->addCase(b_.getInt8(static_cast<uint8_t>(Flow::Next)), next);
      marker->addCase(b_.getInt8(static_cast<uint8_t>(Flow::Jump)), jump);
      marker->addCase(b_.getInt8(static_cast<uint8_t>(Flow::Sync)), sync);
      llvm::InlineFunctionInfo ifi;
      if (llvm::InlineResult r = llvm::InlineFunction(*call, ifi); !r.isSuccess()) {
        return Error{fmt::format("cannot inline {}: {}", semantics_name(insn.fn), r.getFailureReason())};
      }
      if (Status st = inline_semantics_helpers(code, marker); !st) return st.error();
      // The inlined code spans the blocks from `code` to the one now holding `marker` (the
      // switch on the returned flow). Whatever it calls out of line (slow paths, CSR access) may
      // read icount, and whatever reads h.pc itself (auipc, branches, the Sync exit after a device
      // access) needs pc: store them there, and only there.
      // A plain load or store whose access misses the inline TLB leaves the region before the
      // instruction (nothing has changed yet: the access is its first effect) and the interpreter
      // runs it, slow path and all (RegionPlan::ram_calls: only what the RAM-only slow path
      // refuses). Measured: the slow-path call, its reloads and its trap and device exits were
      // most of the code LLVM compiled for a memory instruction, and misses are rare once the
      // TLB is warm (device accesses end the region anyway).
      std::vector<llvm::BasicBlock*> leaves;
      const auto access = plain_memory_access(insn.fn);
      if (access) {
        leave_pcs_.push_back(pc);
        leaves = leave_before_slow_paths(code, marker->getParent(), b_.getInt64(pc), icount, h, fn, plan.ram_calls);
      }
      bool calls_helper = false;  // an out-of-line semantics helper that might read h.pc
      bool calls_out = false;     // any out-of-line call that might write the hart
      bool stores_pc = false;
      std::vector<llvm::LoadInst*> state_loads;  // loads of h.pc / h.icount
      for (auto it = code->getIterator();; ++it) {
        for (llvm::Instruction& inst : *it) {
          if (auto* c = llvm::dyn_cast<llvm::CallInst>(&inst)) {
            if (c->isInlineAsm() || llvm::isa<llvm::IntrinsicInst>(c) || is_fpu_function(c->getCalledFunction())) continue;
            // icount: the clock (minstret, time, device timers) reads it. The core's out-of-line
            // functions (declarations here: csr_read, load_slow, set_priv, ...) never read h.pc,
            // and mret/sret have already set it when they call set_priv; a semantics helper clang
            // left out of line (a definition) might, so then pc is stored at the instruction's start.
            b_.SetInsertPoint(c);
            store_field(h, kIcountOffset, icount);
            calls_out = true;
            const llvm::Function* callee = c->getCalledFunction();
            if (!callee || !callee->isDeclaration()) calls_helper = true;
          } else if (llvm::isa<llvm::LoadInst>(&inst) || llvm::isa<llvm::StoreInst>(&inst)) {
            if (&inst == pc_store || &inst == icount_store) continue;
            llvm::Value* ptr = llvm::getLoadStorePointerOperand(&inst);
            int64_t offset = 0;
            const llvm::Value* base_ptr = llvm::GetPointerBaseWithConstantOffset(ptr, offset, m_.getDataLayout());
            if (base_ptr != h) continue;
            const u64 field = static_cast<u64>(offset);
            if (field != kPcOffset && field != kIcountOffset) continue;
            if (auto* ld = llvm::dyn_cast<llvm::LoadInst>(&inst)) {
              state_loads.push_back(ld);
            } else if (field == kPcOffset) {
              stores_pc = true;
            }
          }
        }
        if (&*it == marker->getParent()) break;
      }
      // At the instruction's start h.pc is this pc and h.icount this icount. clang's GVN already
      // forwarded every store-then-load inside the semantics function; so a load left in the
      // code reads the value at the start, unless an out-of-line call between a store and the
      // load could have written it. Without that case the loads become constants (and the hot
      // path stores nothing).
      bool reads_state = calls_helper;
      if (!state_loads.empty()) {
        if (!(stores_pc && calls_out)) {
          for (llvm::LoadInst* ld : state_loads) {
            int64_t offset = 0;
            llvm::GetPointerBaseWithConstantOffset(ld->getPointerOperand(), offset, m_.getDataLayout());
            llvm::Value* value = static_cast<u64>(offset) == kPcOffset ? static_cast<llvm::Value*>(b_.getInt64(pc)) : icount;
            if (ld->getType() != value->getType()) {
              reads_state = true;
              continue;
            }
            ld->replaceAllUsesWith(value);
            ld->eraseFromParent();
          }
        } else {
          reads_state = true;
        }
      }
      if (!reads_state) {
        pc_store->eraseFromParent();
        icount_store->eraseFromParent();
      }
      llvm::BasicBlock* group_exit = nullptr;
      if (groups) {
        InstructionCode shape;
        shape.first = llvm::cast<llvm::Instruction>(icount);
        shape.flow_switch = marker;
        shape.leaves = leaves;
        shape.plain_store = access && access->store;
        shape.may_join = !last;
        shape.may_open = std::any_of(block.insns.begin() + static_cast<std::ptrdiff_t>(n), block.insns.end(),
                                     [](const Insn& i) { return floating_point_operation(i.fn); });
        group_exit = groups->add(shape, pc, icount);
      }
      if (group_exit) {
        // A member of a speculative group: whatever stops it leaves before the group.
        for (llvm::BasicBlock* bb : {trap, sync, jump}) {
          b_.SetInsertPoint(bb);
          b_.CreateBr(group_exit);
        }
        b_.SetInsertPoint(next);
        pc += insn.len;
        continue;
      }
      // Trap: not retired, pc is this instruction's.
      b_.SetInsertPoint(trap);
      exit_with(h, b_.getInt64(pc), icount, static_cast<unsigned>(Flow::Trap));
      // Sync: pc set by the instruction; the caller retires it.
      b_.SetInsertPoint(sync);
      exit_with(h, nullptr, icount, static_cast<unsigned>(Flow::Sync));
      // Jump: retired, pc set by the instruction; inside the region for static targets.
      b_.SetInsertPoint(jump);
      llvm::Value* retired = b_.CreateAdd(base, b_.getInt64(n + 1));
      if (last && block.taken_block >= 0) {
        go_to_block(block.taken_block, retired);
      } else {
        exit_with(h, nullptr, retired, 0);
      }
      b_.SetInsertPoint(next);
      pc += insn.len;
      if (last) {
        llvm::Value* done = b_.CreateAdd(base, b_.getInt64(n + 1));
        if (block.fallthrough_block >= 0) {
          go_to_block(block.fallthrough_block, done);
        } else {
          exit_with(h, b_.getInt64(pc), done, 0);
        }
      }
    }
  }
  drop_lifetime_markers(*fn);
  isolate_fpu_flags(*fn, h);
  annotate_memory(*fn, h);
  std::string why_not;
  SyncPoints sync = groups ? groups->sync_points() : SyncPoints{};
  sync.write_back.insert(sync.write_back.end(), block_jumps.begin(), block_jumps.end());
  const std::vector<int64_t> promoted =
      promote_hart_fields(*fn, h, m_.getDataLayout(), hart_layout(), sync, classify_call, &why_not);
  if (groups) {
    for (int64_t field : groups->fields_written()) {
      if (std::find(promoted.begin(), promoted.end(), field) != promoted.end()) continue;
      // A field kept in memory cannot be given up when a group leaves: build it without groups.
      fn->eraseFromParent();
      return build(plan, name, false);
    }
  }
  if (std::getenv("LOCKSTEP_JIT_DEBUG")) {
    fmt::print(stderr, "jit-debug: {}: {} hart fields in registers{}{}; {} speculative groups\n", name, promoted.size(),
               why_not.empty() ? "" : ": ", why_not, groups ? groups->groups_checked() : 0);
  }
  return fn;
}

// Makes every function the regions reach available, and forgets the rest of the bitcode.
Status materialize_reachable(llvm::Module& m, const std::vector<llvm::Function*>& roots) {
  std::vector<llvm::Function*> work(roots.begin(), roots.end());
  llvm::SmallPtrSet<llvm::Function*, 32> done;
  while (!work.empty()) {
    llvm::Function* f = work.back();
    work.pop_back();
    if (!done.insert(f).second) continue;
    if (llvm::Error e = f->materialize()) return Error{to_string(std::move(e))};
    for (llvm::BasicBlock& bb : *f) {
      for (llvm::Instruction& inst : bb) {
        for (llvm::Value* op : inst.operands()) {
          if (auto* callee = llvm::dyn_cast<llvm::Function>(op->stripPointerCasts())) work.push_back(callee);
        }
      }
    }
  }
  std::vector<llvm::Function*> unused;
  for (llvm::Function& f : m) {
    if (!done.count(&f)) unused.push_back(&f);
  }
  for (llvm::Function* f : unused) {
    f->dropAllReferences();
  }
  for (llvm::Function* f : unused) {
    if (f->use_empty()) {
      f->eraseFromParent();
    } else {
      f->setLinkage(llvm::GlobalValue::ExternalLinkage);
    }
  }
  return Ok{};
}

}  // namespace

struct Compiler::Impl {
  CompileOptions options;
  std::unique_ptr<llvm::orc::LLJIT> jit;
  // LLVM 14's ORC does not take a module's removal while it is still being compiled: compiling
  // and dropping exclude each other (a drop waits for the batch in flight).
  std::mutex compile_mutex;
  std::mutex trackers_mutex;
  std::map<u64, llvm::orc::ResourceTrackerSP> trackers;  // module id -> its code
  u64 next_region = 0;
  std::atomic<u64> modules{0};
};

Compiler::Compiler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Compiler::~Compiler() {
  drop_all();
  if (std::getenv("LOCKSTEP_JIT_LLVM_ARGS")) llvm::TimerGroup::printAll(llvm::errs());
}

Result<std::unique_ptr<Compiler>> Compiler::create(CompileOptions options) {
  static const bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();  // the FPU semantics are inline asm
    // An LLVM failure is ours, not the guest's: one clear line and exit code 1, never an abort.
    llvm::install_fatal_error_handler([](void*, const char* reason, bool) {
      std::fprintf(stderr, "lockstep: the JIT (LLVM) failed: %s (run with --jit=off to interpret)\n", reason);
      std::fflush(stdout);
      std::_Exit(1);
    });
    // Debugging LLVM itself (e.g. LOCKSTEP_JIT_LLVM_ARGS=-time-passes); never needed otherwise.
    if (const char* args = std::getenv("LOCKSTEP_JIT_LLVM_ARGS")) {
      static std::string text = args;
      std::vector<const char*> argv = {"lockstep"};
      for (char* word = std::strtok(text.data(), " "); word; word = std::strtok(nullptr, " ")) argv.push_back(word);
      llvm::cl::ParseCommandLineOptions(static_cast<int>(argv.size()), argv.data());
    }
    return true;
  }();
  (void)initialized;

  // The layout check: clang and this binary's compiler must agree on the shared structs.
  {
    llvm::LLVMContext ctx;
    auto buffer = llvm::MemoryBuffer::getMemBuffer(bitcode_bytes(), "semantics", false);
    auto module = llvm::getOwningLazyBitcodeModule(std::move(buffer), ctx);
    if (!module) return Error{"the embedded semantics bitcode does not load: " + to_string(module.takeError())};
    llvm::GlobalVariable* layout = (*module)->getGlobalVariable("lockstep_bitcode_layout");
    auto* data = layout ? llvm::dyn_cast_or_null<llvm::ConstantDataArray>(layout->getInitializer()) : nullptr;
    if (!data || data->getNumElements() != std::size(kHostLayout)) {
      return Error{"the embedded semantics bitcode has no layout table"};
    }
    for (unsigned k = 0; k < std::size(kHostLayout); ++k) {
      if (data->getElementAsInteger(k) != kHostLayout[k]) {
        return Error{fmt::format("the semantics bitcode was compiled with another layout of Hart/Insn (entry {}: {} vs {})",
                                 k, data->getElementAsInteger(k), kHostLayout[k])};
      }
    }
  }

  auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!jtmb) return Error{"LLVM cannot target this host: " + to_string(jtmb.takeError())};
  jtmb->setCodeGenOptLevel(llvm::CodeGenOpt::Less);
  auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*jtmb)).create();
  if (!jit) return Error{"LLVM's JIT does not start: " + to_string(jit.takeError())};
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess((*jit)->getDataLayout().getGlobalPrefix());
  if (!process) return Error{"LLVM's JIT cannot see this process's symbols: " + to_string(process.takeError())};
  (*jit)->getMainJITDylib().addGenerator(std::move(*process));

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->jit = std::move(*jit);
  return std::unique_ptr<Compiler>(new Compiler(std::move(impl)));
}

u64 Compiler::modules_compiled() const { return impl_->modules; }

void Compiler::drop(u64 module) {
  std::lock_guard<std::mutex> compiling(impl_->compile_mutex);
  llvm::orc::ResourceTrackerSP tracker;
  {
    std::lock_guard<std::mutex> lock(impl_->trackers_mutex);
    auto it = impl_->trackers.find(module);
    if (it == impl_->trackers.end()) return;
    tracker = it->second;
    impl_->trackers.erase(it);
  }
  if (llvm::Error e = tracker->remove()) llvm::consumeError(std::move(e));
}

void Compiler::drop_all() {
  std::lock_guard<std::mutex> compiling(impl_->compile_mutex);
  std::map<u64, llvm::orc::ResourceTrackerSP> trackers;
  {
    std::lock_guard<std::mutex> lock(impl_->trackers_mutex);
    trackers.swap(impl_->trackers);
  }
  for (auto& [id, t] : trackers) {
    if (llvm::Error e = t->remove()) llvm::consumeError(std::move(e));
  }
}

Result<Compiler::Compiled> Compiler::compile(const std::vector<const RegionPlan*>& plans) {
  std::lock_guard<std::mutex> compiling(impl_->compile_mutex);
  const auto t_start = std::chrono::steady_clock::now();
  auto ctx = std::make_unique<llvm::LLVMContext>();
  auto buffer = llvm::MemoryBuffer::getMemBuffer(bitcode_bytes(), "semantics", false);
  auto loaded = llvm::getOwningLazyBitcodeModule(std::move(buffer), *ctx);
  if (!loaded) return Error{"the embedded semantics bitcode does not load: " + to_string(loaded.takeError())};
  std::unique_ptr<llvm::Module> m = std::move(*loaded);
  if (!m->getFunction("lockstep_sem_add")) return Error{"the semantics bitcode has no lockstep_sem_add"};
  if (llvm::Error e = m->getFunction("lockstep_sem_add")->materialize()) return Error{to_string(std::move(e))};

  ModuleBuilder builder(*m);
  std::vector<llvm::Function*> functions;
  std::vector<std::vector<u64>> leave_pcs;
  std::vector<std::string> names;
  for (const RegionPlan* plan : plans) {
    names.push_back(fmt::format("lockstep_region_{}", impl_->next_region++));
    auto f = builder.build(*plan, names.back());
    if (!f) return f.error();
    functions.push_back(f.value());
    leave_pcs.push_back(builder.leave_pcs());
  }
  if (Status s = materialize_reachable(*m, functions); !s) return s.error();
  use_process_copies(*m, functions);
  describe_fpu_functions(*m);
  // Only the region functions are entry points; everything else may be inlined away or dropped.
  for (llvm::Function& f : *m) {
    if (!f.isDeclaration() && std::find(functions.begin(), functions.end(), &f) == functions.end()) {
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
      f.setComdat(nullptr);
    }
  }
  for (llvm::GlobalVariable& g : m->globals()) {
    if (!g.isDeclaration()) {
      g.setLinkage(llvm::GlobalValue::InternalLinkage);
      g.setComdat(nullptr);
    }
  }
  m->getComdatSymbolTable().clear();
  std::string verify_errors;
  llvm::raw_string_ostream verify_out(verify_errors);
  if (llvm::verifyModule(*m, &verify_out)) return Error{"region IR does not verify: " + verify_out.str().substr(0, 2000)};

  const bool debug = std::getenv("LOCKSTEP_JIT_DEBUG") != nullptr;
  auto count_insts = [&] {
    size_t n = 0;
    for (llvm::Function& f : *m) n += f.getInstructionCount();
    return n;
  };
  auto t0 = std::chrono::steady_clock::now();
  if (debug) fmt::print(stderr, "jit-debug: {:.1f} ms building IR\n", std::chrono::duration<double>(t0 - t_start).count() * 1e3);
  if (debug) fmt::print(stderr, "jit-debug: {} regions, {} guest insns, {} IR instructions before optimizing\n", plans.size(),
                        [&] { u64 n = 0; for (auto* p : plans) n += p->insn_count; return n; }(), count_insts());
  if (impl_->options.optimize) {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb;
    fam.registerPass([&] { return pb.buildDefaultAAPipeline(); });
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    // A cheap pipeline: the code is straight-line semantics with constant operands; what pays
    // is folding them, forwarding register values between instructions (SROA: the hart fields
    // are locals by now, see hart_promotion.h, so no GVN/DSE is needed: measured, they cost
    // about a third of the optimizing time and change nothing) and dropping the flow checks of
    // instructions that cannot leave: JumpThreading removes what the inlined flow checks leave
    // behind (a fast-path memory access cannot have touched a device; after one floating-point
    // instruction passed its FS and rounding-mode checks, the next one's fold away).
    llvm::FunctionPassManager fpm;
    fpm.addPass(llvm::SROAPass());  // the promoted hart fields become SSA values
    fpm.addPass(llvm::EarlyCSEPass(true));
    fpm.addPass(llvm::InstCombinePass());
    fpm.addPass(llvm::SimplifyCFGPass());
    fpm.addPass(llvm::JumpThreadingPass());
    fpm.addPass(llvm::InstCombinePass());
    fpm.addPass(llvm::SimplifyCFGPass());
    llvm::ModulePassManager mpm;
    mpm.addPass(llvm::GlobalDCEPass());
    mpm.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(fpm)));
    mpm.run(*m, mam);
  }

  auto t1 = std::chrono::steady_clock::now();
  if (debug) {
    fmt::print(stderr, "jit-debug: {} IR instructions after, {:.1f} ms optimizing\n", count_insts(),
               std::chrono::duration<double>(t1 - t0).count() * 1e3);
    if (std::getenv("LOCKSTEP_JIT_DUMP")) m->print(llvm::errs(), nullptr);
  }
  auto tracker = impl_->jit->getMainJITDylib().createResourceTracker();
  if (llvm::Error e = impl_->jit->addIRModule(tracker, llvm::orc::ThreadSafeModule(std::move(m), std::move(ctx)))) {
    return Error{"LLVM rejected a region module: " + to_string(std::move(e))};
  }
  const u64 module = ++impl_->modules;
  {
    std::lock_guard<std::mutex> lock(impl_->trackers_mutex);
    impl_->trackers[module] = tracker;
  }
  std::vector<RegionFn> out;
  for (const std::string& name : names) {
    auto sym = impl_->jit->lookup(name);
    if (!sym) return Error{"LLVM could not compile a region: " + to_string(sym.takeError())};
    out.push_back(reinterpret_cast<RegionFn>(sym->getAddress()));
  }
  if (debug) {
    fmt::print(stderr, "jit-debug: {:.1f} ms in codegen\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count() * 1e3);
  }
  return Compiled{std::move(out), std::move(leave_pcs), module};
}

}  // namespace lockstep::jit
