// lockstep record -o TRACE [--digest-interval N] [--checkpoint-interval N] -- <lockstep run options>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "replay/live_input.h"
#include "replay/recorder.h"
#include "tools/commands.h"
#include "tools/option_values.h"
#include "tools/run_options.h"
#include "tools/run_session.h"
#include "tools/trace_config.h"

namespace lockstep::tools {
namespace {

std::string outcome_name(machines::virt::RunOutcome::Kind k) {
  using K = machines::virt::RunOutcome;
  switch (k) {
    case K::Exited: return "exited";
    case K::InsnLimit: return "insn-limit";
    case K::Deadlock: return "deadlock";
    case K::ScriptStop: return "script-stop";
    case K::TrapLoop: return "trap-loop";
    case K::InputQuit: return "quit";
  }
  return "?";
}

}  // namespace

int record_main(int argc, char** argv) {
  CLI::App app{
      "Run a guest as `lockstep run` would and record a trace that `lockstep replay` repeats exactly, with no\n"
      "input: what was typed at the console (and when, in instructions), host values the options read\n"
      "(-rtc base=utc), the identity of every image, periodic state digests and, optionally, checkpoints.\n"
      "The trace is written as the run goes, in checksummed chunks: a recorder that is killed loses only\n"
      "its last chunk. Exit status: the run's (see lockstep run --help).\n"
      "Example: lockstep record -o boot.trace -- -bios default -kernel u-boot.bin -nographic",
      "lockstep record"};
  std::string trace_path;
  std::string digest_text, checkpoint_text;
  std::vector<std::string> run_args;
  app.add_option("-o,--output", trace_path, "the trace file to write")->required();
  app.add_option("--digest-interval", digest_text,
                 "a state digest every N instructions, checked by replay (default 100000000; 0: only at the start and end)");
  app.add_option("--checkpoint-interval", checkpoint_text,
                 "a snapshot (QEMU stream format) in the trace every N instructions (default 0: none)");
  app.add_option("run-options", run_args, "after --: `lockstep run` options")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitError;
  }
  replay::RecordOptions ro;
  for (auto [text, target, name] : {std::tuple{&digest_text, &ro.digest_interval, "--digest-interval"},
                                    std::tuple{&checkpoint_text, &ro.checkpoint_interval, "--checkpoint-interval"}}) {
    if (text->empty()) continue;
    auto n = parse_count(*text, name);
    if (!n) {
      fmt::print(stderr, "lockstep record: {}\n", n.error().message);
      return kExitError;
    }
    *target = n.value();
  }
  auto options = parse_run_options(run_args);
  if (!options) {
    fmt::print(stderr, "lockstep record: {}\n", options.error().message);
    return kExitError;
  }
  RunOptions& o = options.value();
  if (o.machine_help || o.describe_only()) {
    fmt::print(stderr, "lockstep record: -M help, --dumpdtb, --dump-vmstate and --describe-destination run nothing to record\n");
    return kExitError;
  }
  auto images = images_json(o.setup.config);
  if (!images) {
    fmt::print(stderr, "lockstep record: {}\n", images.error().message);
    return kExitError;
  }
  for (const auto& d : o.setup.config.virtio) {
    if (d.kind == machines::virt::VirtioDeviceConfig::Kind::Blk && !d.drive.read_only && !d.drive.snapshot)
      fmt::print(stderr,
                 "lockstep record: note: '{}' is written in place; a replay needs it as it is now (keep a copy, or "
                 "record with snapshot=on)\n",
                 d.drive.file);
  }
  nlohmann::ordered_json header;
  header["command_line"] = run_args;
  header["machine"] = machine_json(o.setup.config);
  header["images"] = images.value();
  if (o.setup.rtc_from_host) header["host_inputs"] = {{"rtc_base_ns", o.setup.config.rtc_base_ns}};

  auto opened = open_live_input(o);
  if (!opened) {
    fmt::print(stderr, "lockstep record: {}\n", opened.error().message);
    return kExitError;
  }
  std::unique_ptr<replay::LiveInput> live = std::move(opened.value());
  replay::Recorder recorder(trace_path, std::move(header), ro, live.get());
  RunHooks hooks;
  hooks.input = &recorder.input();
  hooks.live = live.get();
  hooks.started = [&](machines::virt::VirtMachine& m) { return recorder.started(m); };
  hooks.next_stop = [&](std::uint64_t icount) { return recorder.next_stop(icount); };
  hooks.stopped = [&](machines::virt::VirtMachine& m) { return recorder.stopped(m); };
  hooks.ended = [&](machines::virt::VirtMachine& m, const RunEnd& end) {
    nlohmann::ordered_json j{{"outcome", outcome_name(end.outcome.kind)}, {"exit_code", end.exit_code}};
    if (end.migrated_to) j["migrated_to"] = *end.migrated_to;
    return recorder.ended(m, std::move(j));
  };
  const int code = run_guest(o, hooks, "lockstep record");
  live.reset();
  return code;
}

}  // namespace lockstep::tools
