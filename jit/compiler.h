#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/hart.h"
#include "core/result.h"
#include "jit/region.h"

// The LLVM side of the JIT: semantics bitcode in, host code out. Nothing else in lockstep
// includes an LLVM header.
namespace lockstep::jit {

// A compiled region. Runs the region's blocks from block `entry` (any block is an entry; h.pc
// must be its pc) while the budget to end_icount covers the next block, and returns with
// h.pc/h.icount exact:
//   0                  stopped between instructions (left the region, or the budget ran out);
//   Flow::Trap / Sync  the instruction at h.pc returned that flow; the caller finishes it
//                      (core::finish_flow), exactly as the interpreter's dispatcher would;
//   kLeftBeforeAccess  stopped before the instruction at h.pc, unexecuted, for the interpreter
//                      to run: a speculative group's checks failed (jit/speculation.h), or a
//                      plain load or store the compiled code does not do (RegionPlan::ram_calls).
using RegionFn = unsigned (*)(core::Hart* h, u64 end_icount, core::u32 entry);
inline constexpr unsigned kLeftBeforeAccess = 16;  // not a core::Flow

struct CompileOptions {
  bool optimize = true;  // the cheap pass pipeline (false: codegen only, for debugging)
};

class Compiler {
 public:
  // Parses the embedded bitcode once (a layout check against this binary's structs) and sets
  // up LLJIT. Fails with a message when LLVM cannot target this host.
  static Result<std::unique_ptr<Compiler>> create(CompileOptions options = {});
  ~Compiler();

  struct Compiled {
    std::vector<RegionFn> functions;  // one per plan, in order
    // Per function: the pcs where it may return kLeftBeforeAccess (sorted; for --jit-verify).
    std::vector<std::vector<u64>> leave_pcs;
    u64 module = 0;                   // for drop()
  };
  // Compiles the plans into one LLVM module (one LLVM round trip for the batch). Safe to call
  // from a helper thread while the guest thread runs other regions or calls drop/drop_all.
  Result<Compiled> compile(const std::vector<const RegionPlan*>& plans);
  // Frees the code of one module / of every module compiled so far; their functions must not
  // run again.
  void drop(u64 module);
  void drop_all();

  u64 modules_compiled() const;

 private:
  struct Impl;
  explicit Compiler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lockstep::jit
