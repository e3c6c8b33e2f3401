// lockstep snapshot explain FILE [--dest-schema F] [--json] [-- <lockstep run options>]
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "snapshot/inspect/explain.h"
#include "tools/snapshot_command.h"
#include "tools/snapshot_seams.h"

namespace lockstep::tools::snapshot_cli {

int explain_main(int argc, char** argv) {
  CLI::App app{
      "Dry-run load of a stream into a destination: report every problem a real load would hit, each\n"
      "with its likely cause (machine type, device set or order, RAM block names and sizes, versions,\n"
      "subsections, field layout, damaged stream) and the usual fix. The destination is a description\n"
      "file (--dest-schema: -dump-vmstate JSON, or {\"machine\", \"ram_blocks\", \"sections\", \"vmstate\"}),\n"
      "or the machine that `lockstep run <options after -->` would build.\n"
      "Exit status: 0 would load, 1 would fail, 2 error (unreadable input, damaged stream).",
      "lockstep snapshot explain"};
  std::string path, dest_schema;
  bool json = false;
  std::vector<std::string> run_args;
  app.add_option("FILE", path, "stream file (plain or .zst)")->required();
  app.add_option("--dest-schema", dest_schema, "destination description or -dump-vmstate JSON file");
  app.add_flag("--json", json, "JSON: {\"loadable\", \"errors\", \"problems\": [{\"severity\", \"message\", \"cause\", ...}]}");
  app.add_option("run-options", run_args, "after --: the `lockstep run` options of the destination");
  app.allow_extras(false);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitError;
  }
  Result<inspect::MachineSchema> dest = Error{"no destination: give --dest-schema FILE or -- <lockstep run options>"};
  if (!dest_schema.empty())
    dest = inspect::load_schema(dest_schema, machine_schema);
  else if (!run_args.empty())
    dest = destination_from_run_options(run_args);
  if (!dest) {
    fmt::print(stderr, "lockstep snapshot explain: {}\n", dest.error().message);
    return kExitError;
  }
  const auto r = inspect::explain_load(path, dest.value());
  if (r.unreadable) {
    fmt::print(stderr, "lockstep snapshot explain: {}\n", *r.unreadable);
    return kExitError;
  }
  if (json)
    print_json(inspect::explain_json(r));
  else
    fmt::print("{}", inspect::explain_text(r));
  if (r.stream_damaged) return kExitError;
  return r.errors() == 0 ? kExitOk : kExitDifferent;
}

}  // namespace lockstep::tools::snapshot_cli
