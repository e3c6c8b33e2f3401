#pragma once
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/interpreter.h"
#include "core/result.h"
#include "jit/compiler.h"
#include "jit/region.h"

// The tiered JIT as the interpreter sees it (core::CompiledTier): count block executions,
// compile hot regions in batches, synchronously, and run them when the budget allows.
namespace lockstep::jit {

struct JitOptions {
  // Instructions the interpreter runs in a block before its region is queued for compilation.
  // Counted in instructions, not executions, because that is what interpreting costs: compile
  // once the interpretation spent on a block is about what compiling it costs (LLVM: ~10-50 ms
  // per region, a few million interpreted instructions), so that a block that stops being hot
  // right after never cost more than twice the best choice (the ski-rental rule).
  core::u32 threshold = 2'000'000;
  // Hot regions compiled together in one LLVM module (LLVM's cost is mostly per module).
  unsigned batch = 8;
  // A queued region waits at most this many instructions (of the hart that queued it) for its
  // batch to fill. LLVM has a cost per module besides the cost per instruction: fewer, fuller
  // batches compile faster, and ten million instructions are a few tens of milliseconds.
  u64 batch_window = 10'000'000;
  // The code cache bound: compiled regions kept at once; past it everything is dropped (and
  // recompiled as it gets hot again).
  unsigned max_regions = 4096;
  // Guest instructions per region at most.
  unsigned max_region_insns = 512;
  // --jit-verify: run the interpreter on a copy of the state beside every region execution.
  bool verify = false;
  // Compile on a helper thread. Its results are installed at a deterministic point: when the
  // hart has executed `install_delay_per_insn` more instructions per guest instruction in the
  // batch after the batch was queued, waiting for the helper if it is not done. LLVM's time grows with the code compiled, and so does the delay: roughly the
  // instructions the interpreter runs while LLVM compiles one. So when compiled code starts to
  // run never depends on host timing; only the waiting does. false (the default: measured
  // faster on a busy 2-core host, where the helper finds no idle core): compile on the guest
  // thread at the moment the batch is queued.
  bool helper_thread = false;
  u64 install_delay_per_insn = 40'000;
};

struct JitStats {
  u64 regions_compiled = 0;
  u64 batches = 0;
  u64 compile_failures = 0;
  double compile_seconds = 0;  // host time, for --jit-stats only; never reaches the guest
  u64 region_entries = 0;
  u64 compiled_insns = 0;      // guest instructions retired in compiled code
  u64 budget_refusals = 0;     // a region not entered because the budget was too small
  u64 mode_refusals = 0;       // ... because frm was not RNE (RegionPlan::needs_rne)
  u64 memory_exits = 0;        // regions left at once: an access only the interpreter does, a failed group
  u64 recompiled = 0;          // regions compiled again with calls (RegionPlan::ram_calls)
  u64 evictions = 0;           // times the bounded cache was emptied
  u64 drops = 0;               // times all code was dropped (reset, snapshot load)
  u64 regions_invalidated = 0; // regions dropped because a store overwrote their guest code
  u64 verified = 0, unverifiable = 0;
  std::string first_failure;   // why a region could not be compiled (the first time)
};

class Verifier;

class Jit final : public core::CompiledTier {
 public:
  // Starts LLVM in the background; the first compilation waits for it.
  static std::unique_ptr<Jit> create(const JitOptions& options);
  ~Jit() override;

  bool execute(core::Hart& h, core::Block& block, u64 end_icount) override;
  void block_dropped(core::CodeCache& cache, core::Block& block) override;

  const JitStats& stats() const { return stats_; }
  // Why LLVM could not start (then everything is interpreted); empty when it did or was never
  // needed. Waits for the start if it is still under way.
  const std::string& start_error() {
    if (starter_.joinable()) starter_.join();
    return start_error_;
  }
  // Whether the helper thread is still compiling a batch (the destructor would wait for it).
  bool compiling();
  // --jit-stats: regions, compile time, hit rates; `total_insns` is the run's whole icount.
  void print_stats(std::FILE* out, u64 total_insns) const;

 private:
  struct Region;
  // Where a block of a compiled region can be entered (every block can).
  struct Entry {
    Region* region = nullptr;
    core::u32 block = 0;  // index in region->plan.blocks
    u64 vpc = 0;          // the virtual pc the region's code was planned for
    u64 len = 0;          // instructions in that block: the least budget worth entering with
  };
  struct Region {
    RegionPlan plan;
    RegionFn fn = nullptr;
    std::vector<u64> leave_pcs;  // Compiler::Compiled::leave_pcs
    std::vector<Entry> entries;  // one per plan block, same order
    u64 runs = 0, left_before_access = 0;
    bool recompiling = false;  // queued again with RegionPlan::ram_calls
    // Guest code it was compiled from was overwritten: never entered again. Kept (its code may
    // be running) until all code is dropped; it counts toward max_regions until then.
    bool dead = false;
  };
  struct Pending {
    core::Block* block;
    u64 vpc;
    u64 queued_at;  // the hart's icount when queued
    bool ram_calls = false;
  };
  // A batch on its way through the compiler (guest thread -> helper -> guest thread).
  struct Job {
    std::vector<std::unique_ptr<Region>> regions;
    std::vector<const RegionPlan*> plans;
    u64 install_at = 0;   // the icount at which the guest thread installs it
    bool stale = false;   // the code it was planned from was dropped meanwhile
    bool done = false;    // set by the helper, under mutex_
    Result<Compiler::Compiled> result = Error{"not compiled"};
    double seconds = 0;
  };

  explicit Jit(const JitOptions& options);
  // LLVM starts on a thread of its own (a few milliseconds) when the first block is queued, so a
  // run that never gets hot (a boot to the U-Boot prompt) never starts it at all, and the first
  // batch rarely waits for it.
  void start_llvm();
  Compiler* compiler();  // starts LLVM if needed and waits for it; nullptr when it did not start
  void compile_pending(core::Hart& h);
  // Compiles the pending regions if the batch is full or has waited long enough; false if that
  // dropped all code (a full cache), which the caller must then not touch.
  bool compile_if_due(core::Hart& h);
  // A region left early on many of its runs is compiled again with calls (RegionPlan::ram_calls).
  void count_left_before_access(core::Hart& h, Region& region);
  static void run_job(Compiler& compiler, Job& job);
  void install_due(core::Hart& h);
  void install(core::Hart& h, Job& job);
  void helper_main();
  // Physical addresses of the blocks a region was planned from.
  static std::vector<u64> block_paddrs(const Region& region);
  // A block the region was compiled from is gone: unlink the region so nothing enters it again.
  void kill_region(core::CodeCache& cache, Region& region);
  // Frees all compiled code. Only when no live block points at it: the code cache's
  // invalidate_all retired them all (the tier notices through CodeCache::generation).
  void drop_compiled();

  JitOptions options_;
  bool llvm_started_ = false;
  std::thread starter_;  // starts LLVM: sets compiler_ or start_error_, joined before either is read
  std::unique_ptr<Compiler> compiler_;
  std::string start_error_;
  std::unique_ptr<Verifier> verifier_;
  std::vector<std::unique_ptr<Region>> regions_;
  std::vector<Pending> pending_;
  // Physical address of each compiled block -> its entry. Only looked up, never iterated, so its
  // order cannot reach anything.
  std::unordered_map<u64, Entry*> entry_at_;
  u64 generation_ = 0;
  // Block paddrs queued or compiled since the last drop (lookup only, never iterated).
  std::unordered_set<u64> queued_;
  // Block paddr -> the regions (installed or in flight) planned from that block, in planning
  // order: a store that drops the block kills them (lookup only, never iterated as a whole).
  std::unordered_map<u64, std::vector<Region*>> regions_from_;
  JitStats stats_;

  // The helper thread and the jobs in flight, oldest first (installed in that order).
  std::deque<std::shared_ptr<Job>> jobs_;   // guest thread: install order
  std::deque<std::shared_ptr<Job>> queue_;  // helper thread: to compile (under mutex_)
  std::unordered_map<u64, bool> never_;     // block paddrs whose compilation failed
  std::mutex mutex_;
  std::condition_variable wake_helper_, job_done_;
  bool stopping_ = false;
  std::thread helper_;
};

}  // namespace lockstep::jit
