#pragma once
// What a migrated run must satisfy, and the references it is held to:
// - right after every load, the destination's digest equals the source's at the cut (state lost,
//   swapped or never sent shows here, even when the guest would overwrite it later);
// - the run ends as the straight run of the same guest and first version does: outcome, exit code,
//   icount, digest and console output;
// - a load is refused exactly when `snapshot check` of the two versions' schemas says
//   incompatible, and for a reason that check gave.
// The straight runs (one per guest and version, both engines, which must agree) and the static
// checks (one per guest and version pair) are computed once, by prepare().
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/migration/migration_case.h"
#include "snapshot/inspect/check.h"

namespace lockstep::fuzz::migration {

struct Finding {
  enum class Kind {
    StateChangedByLoad,       // destination digest after the load != source digest at the cut
    EndsDiffer,               // migrated run ends unlike the straight run
    LoadRefusedButCompatible, // static check: compatible; the load refused
    LoadAcceptedButIncompatible,
    RefusedForAnotherReason,  // both refuse, for different reasons
    EnginesDisagree,          // straight runs with the interpreter and the JIT end differently
    RunFailed,                // a machine could not be built or saved
  };
  Kind kind = Kind::RunFailed;
  std::string summary;           // one line
  std::vector<std::string> details;
  std::optional<u64> cut;        // the cut it shows at, when one does
};
std::string_view finding_kind_name(Finding::Kind k);

struct StaticVerdict {
  bool compatible = true;
  std::vector<snapshot::inspect::CheckIssue> errors;
};

class MigrationOracle {
 public:
  MigrationOracle(std::vector<FuzzGuest> guests, std::vector<std::string> versions, std::vector<Engine> engines,
                  EngineOptions engine);
  // Straight runs and static checks. A disagreement found here (engines) is returned as a finding.
  Result<std::optional<Finding>> prepare(unsigned jobs);

  const std::vector<FuzzGuest>& guests() const { return guests_; }
  CaseSpace space(unsigned max_cuts, unsigned cross_version_percent) const;
  const EngineOptions& engine() const { return engine_; }
  const RunEnd& straight(std::size_t guest, const std::string& version) const;
  const StaticVerdict& verdict(std::size_t guest, const std::string& from, const std::string& to) const;

  // Every machine-version pair (A, B), for every guest: a cut halfway through the run on A, loaded
  // into B, judged as check() does (static check and load must agree). Returns the first finding.
  std::optional<std::pair<MigrationCase, Finding>> check_version_pairs() const;

  // Runs the case and returns the first property it breaks.
  std::optional<Finding> check(const MigrationCase& c, bool capture = false) const;
  // check() with everything captured, for the report: the run itself is returned too.
  std::optional<Finding> check_captured(const MigrationCase& c, MigratedRun& run) const;

 private:
  std::optional<Finding> judge(const MigrationCase& c, const Result<MigratedRun>& run) const;
  std::vector<FuzzGuest> guests_;
  std::vector<std::string> versions_;
  std::vector<Engine> engines_;
  EngineOptions engine_;
  std::vector<std::map<std::string, RunEnd>> straight_;  // [guest][version]
  std::vector<std::map<std::pair<std::string, std::string>, StaticVerdict>> verdicts_;
};

// Differences between two run ends, one line each ("console: ...", "digest: ..."); empty if equal.
std::vector<std::string> compare_ends(const RunEnd& expected, const RunEnd& got);

}  // namespace lockstep::fuzz::migration
