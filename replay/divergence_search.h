#pragma once
// The first instruction at which two executions of one recording stop agreeing: the recorded run
// against itself with another engine, another machine version, or a migration at a cut point.
//
// Both sides replay the same recorded inputs. They run side by side in steps, their states compared
// (every section's digest by idstr and instance, and every RAM page's hash: names and versions of
// the machine may differ) after each step, each side's state kept in memory at the last step that
// matched. At the first step that does not match, the search bisects between the two by
// re-running from the kept states, keeping the later one whenever the halfway point still matches:
// about one more step of execution per side, whatever the step. A kept state is trusted only if a
// save and load give it back exactly (a search for a migration bug cannot lean on the load path)
// and the side has no JIT; otherwise that side re-runs from the start for every probe. The result is the number of the
// first instruction after which the states differ, the hart and instruction that ran it, and what
// differs (`lockstep snapshot diff` of the two states).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "machines/virt/virt_machine.h"
#include "replay/trace_format.h"

namespace lockstep::replay {

struct SearchSide {
  std::string name;  // for the report: "recorded", "--jit on", "virt-2.0", "migrated at 5000000"
  // A fresh machine of this side's configuration (its engine attached), in its reset state.
  std::function<Result<std::unique_ptr<machines::virt::VirtMachine>>()> create;
  // Where this side is migrated: saved and loaded into a fresh machine, in memory, unchecked.
  std::optional<std::uint64_t> migrate_at;
  // False when a machine loaded from a snapshot does not go on as the original would: an engine
  // with a history of its own (the JIT: a load drops its compiled code and so moves where later
  // code is compiled). Such a side is re-run from the start instead.
  bool restorable = true;
};

struct SearchOptions {
  std::vector<TraceEvent> inputs;  // the recording's console input and quit events
  std::uint64_t start = 0;         // both sides start at this icount (a loaded checkpoint when > 0)
  std::vector<std::uint8_t> start_stream;  // the checkpoint to start from (empty: reset)
  std::uint64_t end = 0;           // give up past this icount (the recording's end)
  std::uint64_t step = 1'000'000;  // instructions between comparisons before the bisection
};

struct Divergence {
  std::uint64_t icount = 0;  // states equal after icount-1 instructions, different after icount
  bool before_any_instruction = false;  // they already differ where the search starts
  bool at_migration = false;  // instruction `icount` agreed; the migration right after it lost state
  unsigned hart = 0;
  std::uint64_t pc = 0;
  std::string instruction;  // the trace line: privilege, pc, bits, disassembly
  std::vector<std::string> differences;  // snapshot diff lines, most telling first
};

struct SearchResult {
  std::optional<Divergence> divergence;  // none: the two agree up to `end`
  // Fields only one side has (another machine version's subsections): left out of the comparison.
  std::vector<std::string> layout_only;
};

Result<SearchResult> find_divergence(const SearchSide& a, const SearchSide& b, const SearchOptions& options);

}  // namespace lockstep::replay
