#include "fuzz/migration/migration_oracle.h"

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "machines/virt/virt_snapshot.h"
#include "snapshot/stream/byte_source.h"  // LS_TRY_ASSIGN
#include "snapshot/inspect/schema.h"

namespace lockstep::fuzz::migration {

using machines::virt::RunOutcome;

std::string_view finding_kind_name(Finding::Kind k) {
  switch (k) {
    case Finding::Kind::StateChangedByLoad: return "state changed by the load";
    case Finding::Kind::EndsDiffer: return "migrated run ends unlike the straight run";
    case Finding::Kind::LoadRefusedButCompatible: return "load refused, static check says compatible";
    case Finding::Kind::LoadAcceptedButIncompatible: return "load accepted, static check says incompatible";
    case Finding::Kind::RefusedForAnotherReason: return "load refused for a reason the static check did not give";
    case Finding::Kind::EnginesDisagree: return "interpreter and JIT end differently";
    case Finding::Kind::RunFailed: return "run failed";
  }
  return "?";
}

namespace {

std::string outcome_text(const RunEnd& e) {
  switch (e.outcome.kind) {
    case RunOutcome::Exited: return fmt::format("exited with {}", e.outcome.exit_code);
    case RunOutcome::InsnLimit: return "stopped at the instruction limit";
    case RunOutcome::Deadlock: return "deadlocked (every hart waits for an interrupt)";
    case RunOutcome::ScriptStop: return "stopped by the console script";
    case RunOutcome::InputQuit: return "ended by its input source";
    case RunOutcome::TrapLoop: return fmt::format("stuck: the trap vector 0x{:x} cannot be fetched", e.outcome.pc);
  }
  return "?";
}

std::string printable(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') out += "\\n";
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else out += fmt::format("\\x{:02x}", c);
  }
  return out;
}

// Runs fn(0..n-1) on up to `jobs` threads.
void parallel_for(std::size_t n, unsigned jobs, const std::function<void(std::size_t)>& fn) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < n;) fn(i);
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < jobs && t < n; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
}

// Whether a refused load's message is one the static check predicted: the machine type (checked
// first by every loader), else a section the check named.
bool reason_given(const StaticVerdict& v, const std::string& load_error) {
  for (const auto& issue : v.errors) {
    if (issue.section == "vmschkmachine") {
      if (load_error.find("Machine type received is") != std::string::npos) return true;
    } else if (!issue.section.empty() && load_error.find(issue.section) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> compare_ends(const RunEnd& expected, const RunEnd& got) {
  std::vector<std::string> d;
  if (expected.outcome.kind != got.outcome.kind || expected.outcome.exit_code != got.outcome.exit_code)
    d.push_back(fmt::format("outcome: straight {}, migrated {}", outcome_text(expected), outcome_text(got)));
  if (expected.icount != got.icount)
    d.push_back(fmt::format("icount: straight {}, migrated {}", expected.icount, got.icount));
  if (expected.digest != got.digest)
    d.push_back(fmt::format("digest: straight {:016x}, migrated {:016x}", expected.digest, got.digest));
  if (expected.console != got.console) {
    std::size_t i = 0;
    while (i < expected.console.size() && i < got.console.size() && expected.console[i] == got.console[i]) ++i;
    const std::size_t from = i > 40 ? i - 40 : 0;
    d.push_back(fmt::format("console: first difference at byte {}: straight \"{}\", migrated \"{}\"", i,
                            printable(std::string_view(expected.console).substr(from, i - from + 40)),
                            printable(std::string_view(got.console).substr(from, i - from + 40))));
  }
  return d;
}

MigrationOracle::MigrationOracle(std::vector<FuzzGuest> guests, std::vector<std::string> versions,
                                 std::vector<Engine> engines, EngineOptions engine)
    : guests_(std::move(guests)), versions_(std::move(versions)), engines_(std::move(engines)), engine_(engine) {}

Result<std::optional<Finding>> MigrationOracle::prepare(unsigned jobs) {
  const std::size_t nv = versions_.size(), ne = engines_.size();
  struct Task {
    Result<RunEnd> end = Error{"not run"};
  };
  std::vector<Task> tasks(guests_.size() * nv * ne);
  parallel_for(tasks.size(), jobs, [&](std::size_t i) {
    const std::size_t g = i / (nv * ne), v = i / ne % nv, e = i % ne;
    tasks[i].end = run_straight(guests_[g], Leg{versions_[v], engines_[e]}, engine_, false);
  });
  straight_.assign(guests_.size(), {});
  for (std::size_t g = 0; g < guests_.size(); ++g) {
    for (std::size_t v = 0; v < nv; ++v) {
      const std::size_t base = (g * nv + v) * ne;
      for (std::size_t e = 0; e < ne; ++e) {
        if (!tasks[base + e].end)
          return Error{fmt::format("guest {} on {}: {}", guests_[g].name, versions_[v], tasks[base + e].end.error().message)};
      }
      const RunEnd& first = tasks[base].end.value();
      for (std::size_t e = 1; e < ne; ++e) {
        auto diffs = compare_ends(first, tasks[base + e].end.value());
        if (!diffs.empty()) {
          Finding f;
          f.kind = Finding::Kind::EnginesDisagree;
          f.summary = fmt::format("guest {} on {}: a straight run with {} ends unlike one with {}", guests_[g].name,
                                  versions_[v], engine_name(engines_[e]), engine_name(engines_[0]));
          f.details = std::move(diffs);
          return std::optional<Finding>(std::move(f));
        }
      }
      straight_[g][versions_[v]] = first;
    }
  }
  // Static verdicts: each version's schema as this guest's machine describes it.
  verdicts_.assign(guests_.size(), {});
  for (std::size_t g = 0; g < guests_.size(); ++g) {
    std::map<std::string, snapshot::inspect::MachineSchema> schemas;
    for (const std::string& v : versions_) {
      std::string ignored;
      LS_TRY_ASSIGN(FuzzMachine m, FuzzMachine::create(guests_[g], Leg{v, Engine::Interpreter}, engine_, &ignored));
      LS_TRY_ASSIGN(schemas[v], snapshot::inspect::parse_schema(machines::virt::describe_destination(m.vm()), v));
    }
    for (const std::string& a : versions_) {
      for (const std::string& b : versions_) {
        StaticVerdict verdict;
        for (auto& issue : snapshot::inspect::check_schemas(schemas[a], schemas[b]).issues)
          if (issue.severity == snapshot::inspect::CheckIssue::kError) verdict.errors.push_back(std::move(issue));
        verdict.compatible = verdict.errors.empty();
        verdicts_[g][{a, b}] = std::move(verdict);
      }
    }
  }
  return std::optional<Finding>();
}

CaseSpace MigrationOracle::space(unsigned max_cuts, unsigned cross_version_percent) const {
  CaseSpace s;
  for (std::size_t g = 0; g < guests_.size(); ++g) s.guest_lengths.push_back(straight_[g].begin()->second.icount);
  s.versions = versions_;
  s.engines = engines_;
  s.max_cuts = max_cuts;
  s.cross_version_percent = cross_version_percent;
  return s;
}

const RunEnd& MigrationOracle::straight(std::size_t guest, const std::string& version) const {
  return straight_[guest].at(version);
}

const StaticVerdict& MigrationOracle::verdict(std::size_t guest, const std::string& from, const std::string& to) const {
  return verdicts_[guest].at({from, to});
}

std::optional<std::pair<MigrationCase, Finding>> MigrationOracle::check_version_pairs() const {
  for (std::size_t g = 0; g < guests_.size(); ++g) {
    const u64 length = straight_[g].begin()->second.icount;
    if (length < 2) continue;
    for (const std::string& a : versions_) {
      for (const std::string& b : versions_) {
        MigrationCase c;
        c.guest = g;
        c.cuts = {length / 2};
        c.legs = {Leg{a, Engine::Interpreter}, Leg{b, Engine::Interpreter}};
        if (auto f = check(c)) return std::make_pair(std::move(c), std::move(*f));
      }
    }
  }
  return std::nullopt;
}

std::optional<Finding> MigrationOracle::check(const MigrationCase& c, bool capture) const {
  return judge(c, run_migrated(guests_[c.guest], c.cuts, c.legs, engine_, capture));
}

std::optional<Finding> MigrationOracle::check_captured(const MigrationCase& c, MigratedRun& run) const {
  auto r = run_migrated(guests_[c.guest], c.cuts, c.legs, engine_, true);
  auto f = judge(c, r);
  if (r) run = std::move(r.value());
  return f;
}

std::optional<Finding> MigrationOracle::judge(const MigrationCase& c, const Result<MigratedRun>& result) const {
  Finding f;
  if (!result) {
    f.kind = Finding::Kind::RunFailed;
    f.summary = result.error().message;
    return f;
  }
  const MigratedRun& run = result.value();
  for (std::size_t k = 0; k < run.cuts.size(); ++k) {
    const CutResult& cut = run.cuts[k];
    const Leg& from = c.legs[k];
    const Leg& to = c.legs[k + 1];
    const StaticVerdict& v = verdict(c.guest, from.version, to.version);
    f.cut = cut.icount;
    const bool refused = k + 1 == run.cuts.size() && run.load_error;
    if (refused) {
      if (v.compatible) {
        f.kind = Finding::Kind::LoadRefusedButCompatible;
        f.summary = fmt::format("`snapshot check {} {}` says compatible, but the load at icount {} refused it",
                                from.version, to.version, cut.icount);
        f.details.push_back("load: " + *run.load_error);
        return f;
      }
      if (!reason_given(v, *run.load_error)) {
        f.kind = Finding::Kind::RefusedForAnotherReason;
        f.summary = fmt::format("the load {} -> {} at icount {} was refused for a reason `snapshot check` did not give",
                                from.version, to.version, cut.icount);
        f.details.push_back("load: " + *run.load_error);
        for (const auto& issue : v.errors) f.details.push_back("check: " + issue.message);
        return f;
      }
      return std::nullopt;  // refused, as predicted: nothing runs after
    }
    if (!v.compatible) {
      f.kind = Finding::Kind::LoadAcceptedButIncompatible;
      f.summary = fmt::format("`snapshot check {} {}` says incompatible, but the load at icount {} worked", from.version,
                              to.version, cut.icount);
      for (const auto& issue : v.errors) f.details.push_back("check: " + issue.message);
      return f;
    }
    if (!cut.whole_state_differs.empty()) {
      f.kind = Finding::Kind::StateChangedByLoad;
      f.summary = fmt::format("the machine loaded at icount {} ({} -> {}) is not the one saved: the whole state "
                              "(every subsection, needed() or not) differs in {}",
                              cut.icount, from.version, to.version, fmt::join(cut.whole_state_differs, ", "));
      if (cut.loaded_digest == cut.source_digest)
        f.details.push_back("the digests agree: state that a subsection's needed() kept off the wire (and out of the digest)");
      return f;
    }
    if (cut.loaded_digest != cut.source_digest) {
      f.kind = Finding::Kind::StateChangedByLoad;
      f.summary = fmt::format("the machine loaded at icount {} ({} -> {}) is not the one saved: digest {:016x}, "
                              "source {:016x}",
                              cut.icount, from.version, to.version, cut.loaded_digest, cut.source_digest);
      return f;
    }
  }
  f.cut.reset();
  auto diffs = compare_ends(straight(c.guest, c.legs[0].version), run.end);
  if (diffs.empty()) return std::nullopt;
  f.kind = Finding::Kind::EndsDiffer;
  f.summary = run.ended_before_cut
                  ? fmt::format("the migrated run stopped at icount {}, before its cut at {}", run.end.icount,
                                *run.ended_before_cut)
                  : "the migrated run ends unlike the straight run";
  f.details = std::move(diffs);
  return f;
}

}  // namespace lockstep::fuzz::migration
