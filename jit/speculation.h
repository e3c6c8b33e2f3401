#pragma once
#include <cstdint>
#include <functional>
#include <set>
#include <vector>

#include "jit/hart_promotion.h"

namespace llvm {
class AllocaInst;
class CallInst;
class BasicBlock;
class Function;
class Instruction;
class StoreInst;
class SwitchInst;
class Value;
}  // namespace llvm

namespace lockstep::jit {

// Speculative groups: runs of guest instructions within one guest block whose rare exits (an
// access the inline TLB cannot serve, a floating-point result the host cannot give with exact
// flags, a trap) all leave the region the same way: before the group.
//
// Why: each per-instruction exit was a conditional branch to a block of its own, and LLVM's code
// generator pays per block far more than per instruction (measured with llc-14 on the n-body
// region: removing these branches cut its code generation 3-4x). Every exit of a group goes to
// one block that leaves the region with the hart as it was at the group's first instruction
// (kLeftBeforeAccess there); the interpreter then runs those instructions, exits and all. A
// failed floating-point check does not even branch: it clears a flag, the group goes on with the
// host's result, and one branch where the group ends leaves if the flag is clear. (A TLB check
// branches at once: as a flag it would put the check on every load's address path.)
// Nothing a group does is visible before its check: the hart in memory is brought up to date
// where the group starts, the group's changes stay in registers (hart_promotion), and its exit
// gives them up (SyncPoints::discarding_returns). Guest stores, out-of-line calls and control
// flow end a group.
struct SpeculationLayout {
  // A call only a rare path makes (core/fpu's flag paths): its block is speculated past.
  std::function<bool(const llvm::CallInst&)> is_rare_path;
  // Hart fields whose writes a group need not give up: what its exit writes itself (pc, icount)
  // and scratch written only on the way to a trap or a device exit, read only after one.
  std::vector<HartRange> not_given_up;
};

// One guest instruction's inlined code, as the region builder made it.
struct InstructionCode {
  llvm::Instruction* first = nullptr;     // its first IR instruction
  llvm::SwitchInst* flow_switch = nullptr;  // the switch on its returned Flow (ends its code)
  std::vector<llvm::BasicBlock*> leaves;  // blocks that leave the region before its access
  bool plain_store = false;               // a plain store (its access is its last effect too)
  bool may_join = true;                   // false: it must run alone (the last of its block)
  bool may_open = true;                   // a group may start here (a floating-point one follows)
};

class SpeculativeGroups {
 public:
  // `leave(at, pc, icount)` ends block `at` with the region's exit before the instruction at
  // (pc, icount), returning kLeftBeforeAccess.
  using LeaveFn = std::function<void(llvm::BasicBlock* at, uint64_t pc, llvm::Value* icount)>;
  SpeculativeGroups(llvm::Function& fn, llvm::Value* hart, const SpeculationLayout& layout, LeaveFn leave);

  // Adds the instruction at `pc` (icount: its icount value) to the open group if it can join,
  // ending the group before it otherwise. Returns the block its trap/sync/jump exits must branch
  // to when it joined (the group's exit), nullptr when it runs alone (its exits are its own).
  llvm::BasicBlock* add(const InstructionCode& code, uint64_t pc, llvm::Value* icount);

  unsigned groups_checked() const { return static_cast<unsigned>(sync_.discarding_returns.size()); }
  // For promote_hart_fields: group starts write the hart back, group exits give up the rest.
  const SyncPoints& sync_points() const { return sync_; }
  // The hart fields groups write. Each must be kept in a register (promoted): a field kept in
  // memory would already hold the group's value when its exit gives the group up.
  const std::set<int64_t>& fields_written() const { return sync_.discardable_fields; }

 private:
  struct Group {
    uint64_t pc = 0;
    llvm::Value* icount = nullptr;
    llvm::StoreInst* anchor = nullptr;  // `ok = true` at its start
    llvm::BasicBlock* exit = nullptr;
    bool speculated = false;  // some check folded into `ok`
  };
  struct Shape;
  bool analyze(const InstructionCode& code, Shape& shape) const;
  void open(const InstructionCode& code, uint64_t pc, llvm::Value* icount);
  void end_before(llvm::Instruction* first);
  void finish();

  llvm::Function& fn_;
  llvm::Value* hart_;
  SpeculationLayout layout_;
  LeaveFn leave_;
  llvm::AllocaInst* ok_ = nullptr;
  Group group_;
  bool open_ = false;
  SyncPoints sync_;
};

}  // namespace lockstep::jit
