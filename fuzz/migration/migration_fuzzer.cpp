#include "fuzz/migration/migration_fuzzer.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <numeric>
#include <thread>

#include <fmt/format.h>

#include "core/deterministic_rng.h"
#include "fuzz/migration/finding_report.h"
#include "snapshot/stream/byte_source.h"  // LS_TRY_ASSIGN

namespace lockstep::fuzz::migration {

namespace {

using Clock = std::chrono::steady_clock;

struct Minimiser {
  const MigrationOracle& oracle;
  Finding::Kind kind;
  unsigned budget;

  bool still_fails(const MigrationCase& c) {
    if (budget == 0) return false;
    --budget;
    auto f = oracle.check(c);
    return f && f->kind == kind;
  }

  static MigrationCase single_cut(const MigrationCase& c, std::size_t k, u64 cut) {
    MigrationCase s;
    s.seed = c.seed;
    s.guest = c.guest;
    s.cuts = {cut};
    s.legs = {c.legs[k], c.legs[k + 1]};
    return s;
  }

  // Moves a single cut as late as it can go while the case still fails (galloping: the failure
  // need not be monotonic in the cut, so this finds a late failing cut, not always the latest).
  MigrationCase latest_cut(MigrationCase c) {
    const u64 length = oracle.straight(c.guest, c.legs[0].version).icount;
    u64 step = (length - c.cuts[0]) / 2;
    while (step > 0 && budget > 0) {
      MigrationCase later = c;
      later.cuts[0] += step;
      if (later.cuts[0] < length && still_fails(later)) c = later;
      else step /= 2;
    }
    return c;
  }
};

}  // namespace

MigrationCase minimise_case(const MigrationOracle& oracle, MigrationCase c, Finding::Kind kind, unsigned budget) {
  Minimiser m{oracle, kind, budget};
  if (c.cuts.empty()) return c;
  // One cut: the latest one that fails alone.
  if (c.cuts.size() > 1) {
    for (std::size_t k = c.cuts.size(); k-- > 0;) {
      MigrationCase s = Minimiser::single_cut(c, k, c.cuts[k]);
      if (m.still_fails(s)) {
        c = s;
        break;
      }
    }
  }
  if (c.cuts.size() != 1) return c;
  // The interpreter on both sides, if that still fails.
  for (Leg& leg : c.legs) {
    if (leg.engine == Engine::Interpreter) continue;
    MigrationCase plain = c;
    for (Leg& l : plain.legs) l.engine = Engine::Interpreter;
    if (m.still_fails(plain)) c = plain;
    break;
  }
  c = m.latest_cut(c);
  // A smaller guest: a few cuts at the same relative place and at places drawn from the case seed.
  const auto& guests = oracle.guests();
  std::vector<std::size_t> order(guests.size());
  std::iota(order.begin(), order.end(), 0);
  auto length = [&](std::size_t g) { return oracle.straight(g, c.legs[0].version).icount; };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return length(a) < length(b); });
  core::DeterministicRng rng(c.seed);
  for (std::size_t g : order) {
    if (length(g) >= length(c.guest) || length(g) < 2) continue;
    const u64 relative = static_cast<u64>(static_cast<double>(c.cuts[0]) / double(length(c.guest)) * double(length(g)));
    std::vector<u64> tries = {std::clamp<u64>(relative, 1, length(g) - 1)};
    for (int i = 0; i < 4; ++i) tries.push_back(1 + rng.below(length(g) - 1));
    bool moved = false;
    for (u64 cut : tries) {
      MigrationCase smaller = c;
      smaller.guest = g;
      smaller.cuts = {cut};
      if (m.still_fails(smaller)) {
        c = m.latest_cut(smaller);
        moved = true;
        break;
      }
    }
    if (moved) break;
  }
  return c;
}

Result<FuzzSummary> fuzz_migrations(MigrationOracle& oracle, const FuzzOptions& options) {
  const CaseSpace space = oracle.space(options.max_cuts, options.cross_version_percent);
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };

  std::atomic<u64> next{0}, done{0};
  // Cases below the lowest failing index are all checked, so --jobs never changes which finding
  // is reported for a given --seed and --cases.
  std::atomic<u64> limit{options.only_case ? 1 : options.cases.value_or(~u64{0})};
  std::atomic<bool> out_of_time{false};
  std::mutex mutex;
  std::optional<std::pair<MigrationCase, Finding>> found;

  const unsigned jobs = std::max(1u, options.jobs);
  std::atomic<unsigned> active{jobs};
  auto worker = [&] {
    struct Leaving {
      std::atomic<unsigned>& active;
      ~Leaving() { active.fetch_sub(1); }
    } leaving{active};
    for (;;) {
      if (out_of_time.load()) return;
      const u64 index = next.fetch_add(1);
      if (index >= limit.load()) return;
      const u64 seed = options.only_case ? *options.only_case : case_seed(options.seed, index);
      MigrationCase c = draw_case(seed, space);
      auto f = oracle.check(c);
      done.fetch_add(1);
      if (!f) continue;
      std::lock_guard lock(mutex);
      if (index < limit.load()) {
        limit.store(index);
        found.emplace(std::move(c), std::move(*f));
      }
    }
  };

  const bool tty = options.progress && ::isatty(fileno(options.progress));
  auto progress_line = [&](bool final) {
    if (!options.progress) return;
    const double s = elapsed();
    fmt::print(options.progress, "{}fuzz migration: {} cases, {:.0f} cases/s, {} finding{}, {:.1f} s{}",
               tty ? "\r" : "", done.load(), s > 0 ? double(done.load()) / s : 0.0, found ? 1 : 0,
               found ? "" : "s", s, (final || !tty) ? "\n" : "");
    std::fflush(options.progress);
  };

  // Every version pair first (static check against an actual load), unless one case is asked for.
  if (!options.only_case) {
    if (auto pair = oracle.check_version_pairs()) {
      found.emplace(std::move(*pair));
      limit.store(0);
    } else if (options.progress) {
      fmt::print(options.progress, "fuzz migration: {0}x{0} machine-version pairs on {1} guests: static check and "
                                   "load agree\n",
                 space.versions.size(), oracle.guests().size());
    }
  }
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < jobs; ++t) threads.emplace_back(worker);
  // The main thread watches the clock and prints progress.
  double last_print = 0;
  while (active.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const double s = elapsed();
    if (options.seconds && s >= *options.seconds) out_of_time.store(true);
    if (s - last_print >= (tty ? 1.0 : 10.0)) {
      progress_line(false);
      last_print = s;
    }
  }
  for (auto& t : threads) t.join();
  progress_line(true);

  FuzzSummary summary;
  summary.cases = done.load();
  summary.seconds = elapsed();
  if (!found) return summary;
  const auto& [c, f] = *found;
  if (options.progress)
    fmt::print(options.progress, "finding: {}\n  {}\n  case {:016x}: {}\nminimising...\n", finding_kind_name(f.kind),
               f.summary, c.seed, describe_case(c, oracle.guests()[c.guest].name));
  const MigrationCase small = minimise_case(oracle, c, f.kind, 300);
  LS_TRY_ASSIGN(summary.finding_dir, write_finding_report(oracle, c, small, f, options.out_dir));
  return summary;
}

}  // namespace lockstep::fuzz::migration
