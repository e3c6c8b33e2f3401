#pragma once
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace llvm {
class CallInst;
class DataLayout;
class Function;
class Instruction;
class Value;
}  // namespace llvm

namespace lockstep::jit {

// Byte offsets [begin, end) in the hart.
struct HartRange {
  int64_t begin, end;
};

// What an out-of-line call may do to the hart.
enum class CallEffect {
  None,   // nothing (intrinsics, inline asm, core/fpu: values and a local flags word only)
  ReadsState,  // reads any field but the register file; writes none (core::load_ram/store_ram)
  State,  // reads any field but the register file; writes only HartLayout::slow_path_writes
  All,    // anything
};

struct HartLayout {
  std::vector<HartRange> register_file;     // x and f
  std::vector<HartRange> slow_path_writes;  // what CallEffect::State callees may write
  std::vector<HartRange> exit_state;        // pc, icount: what a discarding return still writes
};

// Where the hart in memory is brought up to date, besides calls and returns.
struct SyncPoints {
  std::vector<llvm::Instruction*> write_back;  // before these: every field that may have changed
  // These returns give up what changed since the last write-back (a speculative group that
  // failed: the hart in memory is its start), and write only HartLayout::exit_state.
  std::vector<llvm::Instruction*> discarding_returns;
  // Fields whose changes a discarding return may give up: kept in registers even when only
  // written (if anything else keeps one in memory, the caller must not discard).
  std::set<int64_t> discardable_fields;
};

// Keeps the hart's fields in registers inside a region function: every load and store of a hart
// field at a constant offset (x and f registers, fcsr, mstatus, the TLB key, pc, icount, ...)
// becomes an access to a local, which SROA then turns into SSA values. The hart in memory is
// brought up to date only where something else can look at it, and only with the fields that
// may have changed since it last was (a forward may-dirty dataflow):
//   - before each `sync.write_back` instruction (the region builder passes its jumps between
//     guest blocks, which keep every exit inside a block small, and the starts of speculative
//     groups); `sync.discarding_returns` write only the exit state;
//   - before each call that may read the hart, and the fields it may write reloaded after it
//     (CallEffect::State callees: neither the register file nor most fields);
//   - before each return.
// Guest code then runs with its registers in host registers: no loads of the hart on the hot
// path, and stores only at block ends.
//
// A field is kept in memory instead when the function also reaches it some other way (an
// access at a variable index whose array contains it, or overlapping accesses of another
// size), or when it is only written (trap causes, on exit paths). If the hart pointer escapes
// in a form this cannot follow, nothing is promoted.
//
// Returns the offsets of the fields promoted; `why_not` says why none could be, when so.
std::vector<int64_t> promote_hart_fields(llvm::Function& fn, llvm::Value* hart, const llvm::DataLayout& layout,
                                         const HartLayout& hart_layout, const SyncPoints& sync,
                                         const std::function<CallEffect(const llvm::CallInst&)>& classify,
                                         std::string* why_not);

}  // namespace lockstep::jit
