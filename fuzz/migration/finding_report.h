#pragma once
// A finding's reproducer directory: report.txt (what broke, the case before and after minimising,
// the first differing sections, fields and RAM pages from `snapshot diff` of the two states),
// the streams it compares, and reproduce.sh (the same case as `lockstep run` commands).
#include <string>

#include "fuzz/migration/migration_oracle.h"

namespace lockstep::fuzz::migration {

// Re-runs the minimised case with everything captured; returns the directory written.
Result<std::string> write_finding_report(const MigrationOracle& oracle, const MigrationCase& found,
                                         const MigrationCase& minimised, const Finding& finding,
                                         const std::string& out_dir);

}  // namespace lockstep::fuzz::migration
