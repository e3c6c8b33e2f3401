#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "tools/commands.h"

namespace {

using lockstep::tools::Command;

constexpr Command kCommands[] = {
    {"run", "run a guest on a deterministic RISC-V virt machine", lockstep::tools::run_main},
    {"bench", "benchmark lockstep side by side with QEMU", lockstep::tools::bench_main},
    {"snapshot", "inspect, dump, diff, check and explain migration streams", lockstep::tools::snapshot_main},
    {"fuzz", "fuzz migrations: cut points, engines, machine-version pairs", lockstep::tools::fuzz_main},
    {"record", "run a guest and record a trace that replays exactly", lockstep::tools::record_main},
    {"replay", "replay a recorded trace, checking its state digests", lockstep::tools::replay_main},
    {"debug", "replay a recorded trace under gdb, with reverse execution", lockstep::tools::debug_main},
};

void usage(std::FILE* out) {
  fmt::print(out,
             "lockstep: a deterministic RISC-V system emulator for testing VM migration\n\n"
             "usage: lockstep <command> [options]\n\ncommands:\n");
  for (const Command& c : kCommands) fmt::print(out, "  {:<8} {}\n", c.name, c.summary);
  fmt::print(out, "\n'lockstep <command> --help' describes a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  // A destination that goes away mid-migration is a write error to report, not a fatal signal.
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    usage(stderr);
    return 1;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(stdout);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (c.name == name) return lockstep::tools::run_command(c.main, argc - 1, argv + 1, "lockstep", 1);
  }
  fmt::print(stderr, "lockstep: unknown command '{}' (try 'lockstep --help')\n", name);
  return 1;
}
