#pragma once
// `lockstep fuzz migration`: draws cases (migration_case.h), checks each (migration_oracle.h) on
// --jobs threads, stops at the first finding, minimises it (latest cut, smallest guest, plainest
// engines) and writes a reproducer directory.
#include <cstdio>
#include <optional>
#include <string>

#include "fuzz/migration/migration_oracle.h"

namespace lockstep::fuzz::migration {

struct FuzzOptions {
  u64 seed = 1;
  unsigned jobs = 1;
  std::optional<u64> cases;       // bound on cases
  std::optional<double> seconds;  // bound on wall time (host time: decides only when to stop)
  std::optional<u64> only_case;   // check this one case seed (a reported case, again)
  unsigned max_cuts = 3;
  unsigned cross_version_percent = 10;
  std::string out_dir = "fuzz-migration-findings";
  std::FILE* progress = stderr;   // null: quiet
};

struct FuzzSummary {
  u64 cases = 0;
  double seconds = 0;
  std::optional<std::string> finding_dir;  // the reproducer, when something was found
};

Result<FuzzSummary> fuzz_migrations(MigrationOracle& oracle, const FuzzOptions& options);

// Latest single cut, smallest guest, interpreter legs: the simplest case that still shows a
// finding of the same kind. At most `budget` runs.
MigrationCase minimise_case(const MigrationOracle& oracle, MigrationCase c, Finding::Kind kind, unsigned budget);

}  // namespace lockstep::fuzz::migration
