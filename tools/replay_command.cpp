// lockstep replay TRACE [--to ICOUNT] [--digest] [--save-at ICOUNT=FILE] [--jit off|on|auto]
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "machines/virt/virt_snapshot.h"
#include "jit/jit.h"
#include "replay/divergence_search.h"
#include "replay/replay_input.h"
#include "replay/state_digest.h"
#include "replay/trace_reader.h"
#include "replay/version.h"
#include "snapshot/stream/byte_source.h"
#include "tools/commands.h"
#include "tools/option_values.h"
#include "tools/qemu_style_args.h"
#include "tools/run_options.h"
#include "tools/run_session.h"
#include "tools/trace_config.h"

namespace lockstep::tools {
namespace {

constexpr int kExitDiverged = 2;
constexpr int kExitTraceCut = 3;

using replay::TraceEvent;

// The machine options the recording ran with, as this build reads them, with the recording's
// host inputs; the trace's own checks (version, machine, images) first.
Result<RunOptions> recorded_options(const replay::Trace& t, const std::vector<std::string>& changes = {}) {
  const auto& h = t.header;
  if (h.value("format", 0u) < 1 || h.value("format", 0u) > replay::kTraceFormatVersion)
    return Error{fmt::format("trace format {} (this lockstep reads formats 1 to {})", h.value("format", 0u), replay::kTraceFormatVersion)};
  const std::string version = h.value("lockstep", std::string("?"));
  if (version != replay::lockstep_version())
    return Error{fmt::format("recorded by lockstep {}, this is lockstep {}: replay with the version that recorded it",
                             version, replay::lockstep_version())};
  if (!h.contains("command_line") || !h["command_line"].is_array()) return Error{"the trace header has no command line"};
  std::vector<std::string> args;
  for (const auto& a : h["command_line"]) {
    if (!a.is_string()) return Error{"the trace header's command line is not a list of words"};
    args.push_back(a.get<std::string>());
  }
  args.insert(args.end(), changes.begin(), changes.end());
  auto parsed = parse_run_options(args, /*later_wins=*/!changes.empty());
  if (!parsed) return Error{(changes.empty() ? "the recorded command line: " : "--compare: ") + parsed.error().message};
  RunOptions o = std::move(parsed.value());
  if (h.contains("host_inputs") && h["host_inputs"].contains("rtc_base_ns") && h["host_inputs"]["rtc_base_ns"].is_number_unsigned())
    o.setup.config.rtc_base_ns = h["host_inputs"]["rtc_base_ns"].get<std::uint64_t>();
  if (std::string d = machine_difference(h.value("machine", nlohmann::ordered_json()), machine_json(o.setup.config));
      !d.empty() && changes.empty())
    return Error{"another machine configuration: " + d};
  LS_TRY_ASSIGN(auto images, images_json(o.setup.config));
  if (std::string d = changed_image(h.value("images", nlohmann::ordered_json()), images); !d.empty()) return Error{d};
  // Inputs come from the trace only; the recording's outputs (snapshots, signature, migration) are not repeated.
  o.console_input = ConsoleInput::None;
  o.incoming.reset();
  o.cuts.clear();
  o.signature_path.clear();
  // A replay never writes the recorded images: it must be repeatable.
  for (auto& d : o.setup.config.virtio) d.drive.snapshot = true;
  return o;
}

// A side of the divergence search: fresh machines of these options, with their engine.
replay::SearchSide search_side(std::string name, const RunOptions& o, std::unique_ptr<lockstep::jit::Jit>& engine,
                               std::optional<std::uint64_t> migrate_at) {
  if (o.jit != "off") engine = lockstep::jit::Jit::create(o.jit_options);
  replay::SearchSide side;
  side.name = std::move(name);
  side.migrate_at = migrate_at;
  side.restorable = !engine;
  side.create = [&o, jit = engine.get()]() -> Result<std::unique_ptr<machines::virt::VirtMachine>> {
    LS_TRY_ASSIGN(auto vm, machines::virt::VirtMachine::create(o.setup.config, nullptr, o.setup.script));
    if (jit) vm->hart(0).code->tier = jit;
    return vm;
  };
  return side;
}

// `lockstep replay TRACE --compare -- CHANGES`: the recording against itself with CHANGES.
int compare_main(const std::string& trace_path, const replay::Trace& t, const RunOptions& recorded,
                 std::vector<std::string> changes, std::uint64_t start, std::uint64_t last,
                 const std::optional<replay::TraceCheckpoint>& begin, std::uint64_t step) {
  // "--migrate-at N" (no destination) migrates side b in memory at N.
  std::optional<std::uint64_t> migrate_at;
  for (std::size_t k = 0; k + 1 < changes.size(); ++k) {
    if (changes[k] != "--migrate-at" && changes[k] != "-migrate-at") continue;
    auto n = parse_count(changes[k + 1], "--migrate-at");
    if (!n) continue;  // ICOUNT=TARGET: an ordinary run option (refused below: replays send nothing)
    migrate_at = n.value();
    changes.erase(changes.begin() + static_cast<std::ptrdiff_t>(k), changes.begin() + static_cast<std::ptrdiff_t>(k) + 2);
    break;
  }
  auto other = recorded_options(t, changes);
  if (!other) {
    fmt::print(stderr, "lockstep replay: {}\n", other.error().message);
    return kExitError;
  }
  std::string change_text;
  for (const auto& c : changes) change_text += (change_text.empty() ? "" : " ") + c;
  if (migrate_at) change_text += fmt::format("{}migrated in memory at {}", change_text.empty() ? "" : ", ", *migrate_at);
  if (change_text.empty()) change_text = "no change";
  std::unique_ptr<lockstep::jit::Jit> engine_a, engine_b;
  const replay::SearchSide a = search_side("recorded", recorded, engine_a, std::nullopt);
  const replay::SearchSide b = search_side(change_text, other.value(), engine_b, migrate_at);
  replay::SearchOptions so;
  for (const auto& e : t.events)
    if (e.kind != replay::TraceEvent::Kind::Digest) so.inputs.push_back(e);
  so.start = begin ? begin->icount : start;
  if (begin) {
    auto stream = replay::read_checkpoint(trace_path, *begin);
    if (!stream) {
      fmt::print(stderr, "lockstep replay: {}\n", stream.error().message);
      return kExitError;
    }
    so.start_stream = std::move(stream.value());
  }
  so.end = last;
  so.step = step;
  auto found = replay::find_divergence(a, b, so);
  if (!found) {
    fmt::print(stderr, "lockstep replay: --compare: {}\n", found.error().message);
    return kExitError;
  }
  if (!found->layout_only.empty()) {
    fmt::print("compared by the fields both have; only one side has:\n");
    for (const auto& f : found->layout_only) fmt::print("  {}\n", f);
  }
  if (!found->divergence) {
    fmt::print("the recorded run and the run with {} agree from icount {} to {}\n", change_text, so.start, last);
    return 0;
  }
  const replay::Divergence& d = *found->divergence;
  if (d.before_any_instruction)
    fmt::print("the runs differ already at icount {}, before either runs an instruction (recorded vs {}):\n", d.icount,
               change_text);
  else if (d.at_migration)
    fmt::print("the runs agree after instruction {} (hart {}, pc 0x{:x}); the migration right after it lost state "
               "(recorded vs {}):\n  {}\n",
               d.icount, d.hart, d.pc, change_text, d.instruction);
  else
    fmt::print("the runs part at instruction {} (states equal at icount {}, different at {}): hart {} at pc 0x{:x}\n"
               "  {}\nrecorded vs {}:\n",
               d.icount, d.icount - 1, d.icount, d.hart, d.pc, d.instruction, change_text);
  for (const auto& line : d.differences) fmt::print("  {}\n", line);
  return kExitDiverged;
}

std::string outcome_text(const nlohmann::ordered_json& end) {
  const std::string outcome = end.value("outcome", std::string("?"));
  if (end.contains("migrated_to")) return fmt::format("migrated to {}", end["migrated_to"].get<std::string>());
  return fmt::format("{} (exit status {})", outcome, end.value("exit_code", -1));
}

}  // namespace

int replay_main(int argc, char** argv) {
  CLI::App app{
      "Replay a trace written by `lockstep record`: the same machine, the recorded inputs at the recorded\n"
      "instructions, and a check of every recorded state digest. The guest's console output goes to stdout.\n"
      "Refused (exit 1) when the trace is damaged, comes from another lockstep version or machine\n"
      "configuration, or an image changed. Exit status: 0 replayed as recorded (to the end or to --to),\n"
      "2 diverged (what differs is printed), 3 the trace was cut (a recorder killed mid-run: replayed to its\n"
      "last complete chunk), 1 errors.",
      "lockstep replay"};
  std::string trace_path, to_text, jit;
  std::vector<std::string> save_at;
  bool digest = false;
  app.add_option("TRACE", trace_path, "the trace file")->required();
  app.add_option("--to", to_text, "stop at this instruction count (from the nearest checkpoint before it)");
  app.add_option("--save-at", save_at, "ICOUNT=FILE: write a snapshot when the replay reaches ICOUNT; repeatable");
  app.add_flag("--digest", digest, "at the end, print 'digest <icount> <xxh3-64>' as lockstep run --digest does");
  app.add_option("--jit", jit, "engine for the replay: off, on, auto (default: what the recording used)")
      ->check(CLI::IsMember({"off", "on", "auto"}));
  bool compare = false;
  std::vector<std::string> changes;
  std::string step_text;
  app.add_flag("--compare", compare,
               "find the first instruction at which the recorded run and the same run with the run options after --\n"
               "(replacing the recorded ones: --jit on, -M virt-2.0; or --migrate-at N: migrated in memory at N)\n"
               "part, and name the hart, pc, instruction and the first differing fields and RAM pages (exit 2)");
  app.add_option("--compare-step", step_text, "instructions between the comparisons before bisecting (default 1000000)");
  app.add_option("changes", changes, "after --: with --compare, the run options that differ");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitError;
  }
  auto read = replay::read_trace(trace_path);
  if (!read) {
    fmt::print(stderr, "lockstep replay: {}\n", read.error().message);
    return kExitError;
  }
  const replay::Trace& t = read.value();
  if (t.damage && t.damage->kind == replay::TraceDamage::Kind::Corrupt) {
    fmt::print(stderr, "lockstep replay: {}: chunk {} at offset {} is damaged ({}); nothing replayed\n", trace_path,
               t.damage->chunk, t.damage->offset, t.damage->reason);
    return kExitError;
  }
  auto recorded = recorded_options(t);
  if (!recorded) {
    fmt::print(stderr, "lockstep replay: {}: {}\n", trace_path, recorded.error().message);
    return kExitError;
  }
  RunOptions o = std::move(recorded.value());
  o.digest = digest;
  if (!jit.empty()) o.jit = jit;
  for (const std::string& text : save_at) {
    auto c = parse_cut_point(text, "--save-at", /*allow_file=*/true);
    if (!c || c->target.kind != MigrationEndpoint::File) {
      fmt::print(stderr, "lockstep replay: {}\n", c ? fmt::format("--save-at '{}': expected ICOUNT=FILE", text) : c.error().message);
      return kExitError;
    }
    o.cuts.push_back(c.value());
  }
  std::sort(o.cuts.begin(), o.cuts.end(), [](const CutPoint& a, const CutPoint& b) { return a.icount < b.icount; });

  const std::uint64_t start = t.header.contains("start") ? t.header["start"].value("icount", std::uint64_t{0}) : 0;
  const bool from_stream = t.header.contains("start") && t.header["start"].value("from", std::string()) == "incoming";
  const std::uint64_t last = t.end ? t.end->value("icount", t.complete_until) : t.complete_until;
  std::optional<std::uint64_t> to;
  if (!to_text.empty()) {
    auto n = parse_count(to_text, "--to");
    if (!n || n.value() < start || n.value() > last) {
      fmt::print(stderr, "lockstep replay: --to '{}': the trace covers icounts {} to {}\n", to_text, start, last);
      return kExitError;
    }
    to = n.value();
  }
  // A recording ended by Ctrl-A x ends at a feed point at `last`, which a limit of `last` would stop short of.
  const bool quit = t.end && t.end->value("outcome", std::string()) == "quit";
  o.max_insns = to ? *to : last + (quit ? 1 : 0);

  // Where to begin: the start (reset or the recorded incoming stream), or the last checkpoint before --to.
  std::optional<replay::TraceCheckpoint> begin;
  if (from_stream) {
    if (t.checkpoints.empty() || t.checkpoints.front().icount != start) {
      fmt::print(stderr, "lockstep replay: {}: the run started from a migration stream the trace does not hold\n", trace_path);
      return kExitError;
    }
    begin = t.checkpoints.front();
  }
  for (const auto& c : t.checkpoints)
    if (to && c.icount <= *to && (!begin || c.icount > begin->icount)) begin = c;
  if (compare || !changes.empty()) {
    if (!compare) {
      fmt::print(stderr, "lockstep replay: run options after -- are for --compare\n");
      return kExitError;
    }
    std::uint64_t step = 1'000'000;
    if (!step_text.empty()) {
      auto n = parse_count(step_text, "--compare-step");
      if (!n || n.value() == 0) {
        fmt::print(stderr, "lockstep replay: --compare-step '{}': give a positive count\n", step_text);
        return kExitError;
      }
      step = n.value();
    }
    return compare_main(trace_path, t, o, changes, start, to ? *to : last, begin, step);
  }

  std::vector<TraceEvent> inputs;
  std::vector<const TraceEvent*> digests;
  for (const TraceEvent& e : t.events) {
    if (e.kind != TraceEvent::Kind::Digest) inputs.push_back(e);
    // The last digest of a finished trace is the end state, compared when the run ends.
    else if (!(t.end && e.icount == last && &e == &t.events.back())) digests.push_back(&e);
  }
  const TraceEvent* end_digest = t.end && !t.events.empty() && t.events.back().kind == TraceEvent::Kind::Digest ? &t.events.back() : nullptr;
  replay::ReplayInput input(std::move(inputs));
  std::size_t next_digest = 0, checked = 0;
  std::uint64_t matched_at = start;
  bool diverged = false;

  auto check = [&](const machines::virt::VirtMachine& m, const TraceEvent& recorded) -> Status {
    LS_TRY_ASSIGN(TraceEvent now, replay::digest_event(m));
    std::string diff = replay::digest_differences(m, recorded, now);
    ++checked;
    if (diff.empty()) {
      matched_at = m.icount();
      return Ok{};
    }
    diverged = true;
    std::string lines;
    for (std::size_t p = 0, q; p < diff.size(); p = q + 1) {
      q = diff.find('\n', p);
      lines += "\n  " + diff.substr(p, q - p);
    }
    return Error{fmt::format("diverged from the recording between icount {} (last matching digest) and {}: at {} "
                             "these differ:{}\n  to look closer: lockstep replay {} --to {} --save-at {}=replayed.mig, "
                             "then lockstep snapshot dump replayed.mig",
                             matched_at, m.icount(), m.icount(), lines, trace_path, m.icount(), m.icount())};
  };

  RunHooks hooks;
  hooks.input = &input;
  hooks.report_stop = false;
  hooks.started = [&](machines::virt::VirtMachine& m) -> Status {
    if (begin) {
      LS_TRY_ASSIGN(auto stream, replay::read_checkpoint(trace_path, *begin));
      auto source = snapshot::stream::ByteSource::from_memory(stream);
      if (Status s = machines::virt::load_snapshot(m, *source); !s)
        return Error{fmt::format("checkpoint at icount {}: {}", begin->icount, s.error().message)};
    }
    input.skip_before(m.icount());
    while (next_digest < digests.size() && digests[next_digest]->icount < m.icount()) ++next_digest;
    matched_at = m.icount();
    if (next_digest < digests.size() && digests[next_digest]->icount == m.icount()) LS_TRY(check(m, *digests[next_digest++]));
    return Ok{};
  };
  hooks.next_stop = [&](std::uint64_t icount) -> std::optional<std::uint64_t> {
    while (next_digest < digests.size() && digests[next_digest]->icount <= icount) ++next_digest;
    if (next_digest == digests.size()) return std::nullopt;
    return digests[next_digest]->icount;
  };
  hooks.stopped = [&](machines::virt::VirtMachine& m) -> Status {
    if (next_digest < digests.size() && digests[next_digest]->icount == m.icount()) return check(m, *digests[next_digest++]);
    return Ok{};
  };
  int verdict = 0;
  hooks.ended = [&](machines::virt::VirtMachine& m, const RunEnd& end) -> Status {
    if (input.divergence()) {
      diverged = true;
      return Error{"diverged from the recording: " + *input.divergence()};
    }
    const std::string summary = fmt::format("{} instructions (icount {} to {}), {} digests checked, {} input events",
                                            m.icount() - (begin ? begin->icount : start), begin ? begin->icount : start,
                                            m.icount(), checked, input.delivered_events());
    if (to) {
      fmt::print(stderr, "lockstep replay: replayed {}; stopped at --to {}\n", summary, *to);
      return Ok{};
    }
    if (!t.end) {
      fmt::print(stderr, "lockstep replay: the trace was cut after chunk {} ({}); replayed {}, up to its last complete chunk\n",
                 t.chunks - 1, t.damage ? t.damage->reason : "no end chunk", summary);
      verdict = kExitTraceCut;
      return Ok{};
    }
    if (end_digest) LS_TRY(check(m, *end_digest));
    const std::string recorded_outcome = t.end->value("outcome", std::string());
    const bool same_end = (recorded_outcome == "exited" && end.outcome.kind == machines::virt::RunOutcome::Exited &&
                           end.outcome.exit_code == t.end->value("exit_code", -1)) ||
                          (recorded_outcome == "quit" && end.outcome.kind == machines::virt::RunOutcome::InputQuit) ||
                          (recorded_outcome == "deadlock" && end.outcome.kind == machines::virt::RunOutcome::Deadlock) ||
                          (recorded_outcome == "trap-loop" && end.outcome.kind == machines::virt::RunOutcome::TrapLoop) ||
                          (recorded_outcome == "script-stop" && end.outcome.kind == machines::virt::RunOutcome::ScriptStop) ||
                          ((recorded_outcome == "insn-limit" || t.end->contains("migrated_to")) &&
                           end.outcome.kind == machines::virt::RunOutcome::InsnLimit);
    if (!same_end || m.icount() != last) {
      diverged = true;
      return Error{fmt::format("diverged from the recording: it ended at icount {}, {}; the replay ended at icount {}",
                               last, outcome_text(*t.end), m.icount())};
    }
    fmt::print(stderr, "lockstep replay: replayed {}; ended as recorded: {}\n", summary, outcome_text(*t.end));
    return Ok{};
  };
  const int code = run_guest(o, hooks, "lockstep replay");
  if (diverged) return kExitDiverged;
  if (code == kExitError) return kExitError;
  if (code == kExitCutNotReached) return code;
  return verdict;
}

int debug_main(int argc, char** argv) {
  CLI::App app{
      "Replay a trace under gdb: the recorded run, served to gdb's remote protocol, with reverse execution\n"
      "(reverse-stepi, reverse-continue, reverse-finish) from in-memory checkpoints, and monitor commands\n"
      "(monitor icount, goto N, digest, diff-at N, checkpoints). Nothing runs before gdb attaches.\n"
      "Example: lockstep debug boot.trace -s, then gdb-multiarch -ex 'target remote :1234'",
      "lockstep debug"};
  std::string trace_path, listen, interval, memory, jit;
  bool default_port = false;
  app.add_option("TRACE", trace_path, "the trace file")->required();
  app.add_flag("-s", default_port, "listen on tcp::1234 (the default)");
  app.add_option("--gdb", listen, "DEV: tcp::PORT, tcp:HOST:PORT or unix:PATH (QEMU's -gdb spelling)");
  app.add_option("--gdb-checkpoint-interval", interval, "instructions between checkpoints (default 4194304)");
  app.add_option("--gdb-checkpoint-memory", memory, "memory the checkpoints may take (default 1G)");
  app.add_option("--jit", jit, "engine: off, on, auto (default: what the recording used)")
      ->check(CLI::IsMember({"off", "on", "auto"}));
  std::vector<std::string> args = qemu_style_args(argc, argv);
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitError;
  }
  auto read = replay::read_trace(trace_path);
  if (!read) {
    fmt::print(stderr, "lockstep debug: {}\n", read.error().message);
    return kExitError;
  }
  const replay::Trace& t = read.value();
  if (t.damage && t.damage->kind == replay::TraceDamage::Kind::Corrupt) {
    fmt::print(stderr, "lockstep debug: {}: chunk {} at offset {} is damaged ({})\n", trace_path, t.damage->chunk,
               t.damage->offset, t.damage->reason);
    return kExitError;
  }
  auto recorded = recorded_options(t);
  if (!recorded) {
    fmt::print(stderr, "lockstep debug: {}: {}\n", trace_path, recorded.error().message);
    return kExitError;
  }
  RunOptions o = std::move(recorded.value());
  o.max_insns.reset();
  o.digest = false;
  if (!jit.empty()) o.jit = jit;
  o.gdb_listen = listen.empty() ? "tcp::1234" : listen;
  o.gdb_wait = true;
  if (!interval.empty()) {
    auto n = parse_count(interval, "--gdb-checkpoint-interval");
    if (!n || n.value() == 0) {
      fmt::print(stderr, "lockstep debug: --gdb-checkpoint-interval '{}': give a positive count\n", interval);
      return kExitError;
    }
    o.gdb_checkpoint_interval = n.value();
  }
  if (!memory.empty()) {
    auto n = parse_memory_size(memory);
    if (!n) {
      fmt::print(stderr, "lockstep debug: --gdb-checkpoint-memory: {}\n", n.error().message);
      return kExitError;
    }
    o.gdb_checkpoint_memory = n.value();
  }
  std::vector<TraceEvent> inputs;
  for (const TraceEvent& e : t.events)
    if (e.kind != TraceEvent::Kind::Digest) inputs.push_back(e);
  replay::ReplayInput input(std::move(inputs));
  const bool from_stream = t.header.contains("start") && t.header["start"].value("from", std::string()) == "incoming";
  RunHooks hooks;
  hooks.input = &input;
  hooks.started = [&](machines::virt::VirtMachine& m) -> Status {
    if (!from_stream) return Ok{};
    if (t.checkpoints.empty()) return Error{"the run started from a migration stream the trace does not hold"};
    LS_TRY_ASSIGN(auto stream, replay::read_checkpoint(trace_path, t.checkpoints.front()));
    auto source = snapshot::stream::ByteSource::from_memory(stream);
    LS_TRY(machines::virt::load_snapshot(m, *source));
    input.skip_before(m.icount());
    return Ok{};
  };
  return run_guest(o, hooks, "lockstep debug");
}

}  // namespace lockstep::tools
