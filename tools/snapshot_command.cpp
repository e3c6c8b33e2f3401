#include "tools/snapshot_command.h"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "snapshot/stream/json_access.h"
#include "tools/commands.h"

namespace lockstep::tools {

namespace snapshot_cli {
bool use_colour() {
  const char* no_colour = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) == 1 && (no_colour == nullptr || no_colour[0] == '\0');
}

void print_json(const snapshot::stream::Json& doc) { fmt::print("{}\n", snapshot::stream::json_text(doc, 2)); }
}  // namespace snapshot_cli

namespace {

struct SnapshotCommand {
  std::string_view name;
  std::string_view summary;
  int (*main)(int argc, char** argv);
};

constexpr SnapshotCommand kSnapshotCommands[] = {
    {"info", "header, configuration, sections, RAM blocks and lockstep sections of a stream", snapshot_cli::info_main},
    {"dump", "every device's fields through the VM description (analyze-migration.py style)", snapshot_cli::dump_main},
    {"diff", "configuration, section, field and RAM page differences of two streams", snapshot_cli::diff_main},
    {"check", "static compatibility of two vmstate schemas (like vmstate-static-checker.py)", snapshot_cli::check_main},
    {"explain", "dry-run load of a stream into a destination: every problem and its likely cause",
     snapshot_cli::explain_main},
};

void usage(std::FILE* out) {
  fmt::print(out,
             "lockstep snapshot: read QEMU migration streams (lockstep's and QEMU's, plain or .zst)\n\n"
             "usage: lockstep snapshot <command> [options]\n\ncommands:\n");
  for (const auto& c : kSnapshotCommands) fmt::print(out, "  {:<8} {}\n", c.name, c.summary);
  fmt::print(out,
             "\nExit codes: 0 ok / identical / compatible, 1 different / incompatible, 2 error (damaged stream, bad "
             "input).\n'lockstep snapshot <command> --help' describes a command's options.\n");
}

}  // namespace

int snapshot_main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return snapshot_cli::kExitError;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(stdout);
    return snapshot_cli::kExitOk;
  }
  for (const auto& c : kSnapshotCommands)
    if (c.name == name) return run_command(c.main, argc - 1, argv + 1, "lockstep snapshot", snapshot_cli::kExitError);
  fmt::print(stderr, "lockstep snapshot: unknown command '{}' (try 'lockstep snapshot --help')\n", name);
  return snapshot_cli::kExitError;
}

}  // namespace lockstep::tools
