#include "fuzz/migration/finding_report.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "snapshot/inspect/diff.h"
#include "snapshot/stream/byte_source.h"

namespace lockstep::fuzz::migration {

namespace fs = std::filesystem;

namespace {

Status write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  LS_TRY_ASSIGN(auto file, snapshot::stream::AtomicFile::create(path.string()));
  snapshot::stream::ByteSink sink(file->fd());
  LS_TRY(sink.write(bytes.data(), bytes.size()));
  LS_TRY(sink.finish());
  return file->commit();
}

Status write_text(const fs::path& path, const std::string& text) {
  return write_bytes(path, std::vector<std::uint8_t>(text.begin(), text.end()));
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=,:@+") ==
                        std::string::npos)
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string run_line(const FuzzGuest& g, const Leg& leg, const EngineOptions& engine) {
  std::string s = "\"$LOCKSTEP\" run";
  for (const auto& a : g.run_args) s += " " + shell_quote(a);
  s += fmt::format(" -M {} {}", leg.version, engine_flag(leg.engine));
  if (leg.engine == Engine::Jit) s += fmt::format(" --jit-threshold {}", engine.jit_threshold);
  if (g.max_insns) s += fmt::format(" --max-insns {}", g.max_insns);
  return s;
}

std::string reproduce_script(const MigrationOracle& oracle, const MigrationCase& c) {
  const FuzzGuest& g = oracle.guests()[c.guest];
  std::string s =
      "#!/bin/sh\n"
      "# The minimised case as `lockstep run` commands: the straight run, then each leg of the migrated\n"
      "# run (each saving the next cut's stream, the next loading it). Compare the digest lines.\n"
      "# Exit statuses 3 (--max-insns) are expected for guests that never stop.\n"
      "LOCKSTEP=${LOCKSTEP:-lockstep}\n"
      "cd \"$(dirname \"$0\")\"\n";
  s += "echo '== straight'\n" + run_line(g, c.legs[0], oracle.engine()) + " --digest\n";
  for (std::size_t k = 0; k < c.legs.size(); ++k) {
    s += fmt::format("echo '== leg {}'\n", k) + run_line(g, c.legs[k], oracle.engine());
    if (k > 0) s += fmt::format(" --incoming repro-cut-{}.mig", c.cuts[k - 1]);
    if (k < c.cuts.size()) s += fmt::format(" --save-at {}=repro-cut-{}.mig", c.cuts[k], c.cuts[k]);
    s += " --digest\n";
  }
  return s;
}

// The first lines of `snapshot diff A B`, or why it could not be made.
std::vector<std::string> first_differences(const fs::path& a, const fs::path& b) {
  return snapshot::inspect::difference_lines(snapshot::inspect::diff_streams(a.string(), b.string()));
}

}  // namespace

Result<std::string> write_finding_report(const MigrationOracle& oracle, const MigrationCase& found,
                                         const MigrationCase& minimised, const Finding& finding,
                                         const std::string& out_dir) {
  const fs::path dir = fs::path(out_dir) / (found.seed ? fmt::format("case-{:016x}", found.seed)
                                                      : fmt::format("version-pair-{}-{}", found.legs.front().version,
                                                                    found.legs.back().version));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error{fmt::format("cannot create {}: {}", dir.string(), ec.message())};

  MigratedRun run;
  auto again = oracle.check_captured(minimised, run);
  const Finding& shown = again ? *again : finding;
  const FuzzGuest& g = oracle.guests()[minimised.guest];
  std::vector<std::string> diffs;
  std::string compared;
  // The source at the cut against the destination right after its load: what the load lost.
  auto diff_cut = [&](const CutResult& c, const std::string& loaded_name) -> Status {
    const fs::path saved = dir / fmt::format("cut-{}.mig", c.icount);
    const fs::path loaded = dir / loaded_name;
    LS_TRY(write_bytes(saved, c.stream));
    LS_TRY(write_bytes(loaded, c.loaded_state));
    diffs = first_differences(saved, loaded);
    compared = fmt::format("{} (the source at the cut) and {} (the destination right after the load)",
                           saved.filename().string(), loaded.filename().string());
    return Ok{};
  };
  auto cut_at = [](const MigratedRun& r, u64 icount) -> const CutResult* {
    for (const CutResult& c : r.cuts)
      if (c.icount == icount) return &c;
    return nullptr;
  };
  if (shown.kind == Finding::Kind::StateChangedByLoad && shown.cut) {
    if (const CutResult* c = cut_at(run, *shown.cut)) {
      LS_TRY(diff_cut(*c, fmt::format("loaded-{}.mig", c->icount)));
      if (!c->whole_state_differs.empty()) {
        // Both machines with every subsection on the wire: what needed() left out shows here.
        const fs::path a = dir / fmt::format("whole-source-{}.mig", c->icount);
        const fs::path b = dir / fmt::format("whole-loaded-{}.mig", c->icount);
        LS_TRY(write_bytes(a, c->source_whole));
        LS_TRY(write_bytes(b, c->loaded_whole));
        diffs = first_differences(a, b);
        compared = fmt::format("{} and {} (source and destination at the cut, every subsection saved whether "
                               "needed() or not)",
                               a.filename().string(), b.filename().string());
      }
    }
  } else if (shown.kind == Finding::Kind::LoadRefusedButCompatible && shown.cut) {
    // The loader refused (its own digest check, say): load again without that check, to show what
    // the refused load would have produced.
    auto unchecked = run_migrated(g, minimised.cuts, minimised.legs, oracle.engine(), true, /*check_digests=*/false);
    const CutResult* c = unchecked ? cut_at(unchecked.value(), *shown.cut) : nullptr;
    if (c && !c->loaded_state.empty()) {
      LS_TRY(diff_cut(*c, fmt::format("loaded-unchecked-{}.mig", c->icount)));
      compared += " (loaded without the loader's digest check)";
    } else if (const CutResult* refused = cut_at(run, *shown.cut)) {
      LS_TRY(write_bytes(dir / fmt::format("cut-{}.mig", refused->icount), refused->stream));
    }
  } else if (shown.kind == Finding::Kind::EndsDiffer) {
    LS_TRY_ASSIGN(RunEnd straight, run_straight(g, minimised.legs[0], oracle.engine(), true));
    const fs::path a = dir / "straight-end.mig", b = dir / "migrated-end.mig";
    LS_TRY(write_bytes(a, straight.state));
    LS_TRY(write_bytes(b, run.end.state));
    diffs = first_differences(a, b);
    compared = "straight-end.mig and migrated-end.mig (the two runs' final states)";
  } else if (!run.cuts.empty() && !run.cuts.back().stream.empty()) {
    LS_TRY(write_bytes(dir / fmt::format("cut-{}.mig", run.cuts.back().icount), run.cuts.back().stream));
  }

  std::string text = fmt::format("lockstep fuzz migration: {}\n\n{}\n", finding_kind_name(shown.kind), shown.summary);
  for (const auto& d : shown.details) text += "  " + d + "\n";
  text += fmt::format("\nfound:     {}: {}\n", found.seed ? fmt::format("case {:016x}", found.seed) : "version-pair check",
                      describe_case(found, oracle.guests()[found.guest].name));
  text += fmt::format("minimised: {}\n", describe_case(minimised, g.name));
  if (!again) text += "(the minimised case no longer shows it: the streams below are of the minimised case)\n";
  if (!compared.empty()) {
    text += fmt::format("\nsnapshot diff of {}:\n", compared);
    for (const auto& d : diffs) text += "  " + d + "\n";
  }
  if (found.seed)
    text += fmt::format("\nagain: lockstep fuzz migration --case {:016x} (with the same guests and options)\n", found.seed);
  else
    text += "\nagain: lockstep fuzz migration with the same guests (the version-pair check runs first)\n";
  text += "by hand: sh reproduce.sh\n";
  LS_TRY(write_text(dir / "report.txt", text));
  LS_TRY(write_text(dir / "reproduce.sh", reproduce_script(oracle, minimised)));
  return dir.string();
}

}  // namespace lockstep::fuzz::migration
