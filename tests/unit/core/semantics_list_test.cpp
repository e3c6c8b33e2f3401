#include <doctest/doctest.h>

#include <set>

#include "core/decode/table.h"
#include "core/semantics/all.h"

using namespace lockstep::core;

// One source of truth: every decode-table row's semantics must be in the list the interpreter
// (and the JIT) expand; a row missing from it would silently take the slow indirect path.
TEST_CASE("every row's semantics function is in LOCKSTEP_FOR_EACH_SEMANTICS") {
  std::set<SemFn> listed;
#define LOCKSTEP_COLLECT(name) listed.insert(&sem::name);
  LOCKSTEP_FOR_EACH_SEMANTICS(LOCKSTEP_COLLECT)
#undef LOCKSTEP_COLLECT
  std::set<SemFn> used;
  for (const decode::InsnRow& r : decode::all_rows()) {
    INFO(r.mnemonic);
    CHECK(listed.count(r.fn) == 1);
    used.insert(r.fn);
  }
  // And nothing listed is dead.
  CHECK(used.size() == listed.size());
}
