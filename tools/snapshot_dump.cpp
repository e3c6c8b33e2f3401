// lockstep snapshot dump FILE [--json] [--ram-out DIR]
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "snapshot/inspect/dump.h"
#include "tools/snapshot_command.h"

namespace lockstep::tools::snapshot_cli {

int dump_main(int argc, char** argv) {
  CLI::App app{
      "Print every device's fields, interpreted through the stream's VM description, with QEMU's field\n"
      "names and analyze-migration.py's conventions (integers as zero-padded hex of the field's width, byte\n"
      "buffers as hex bytes, arrays as lists, structs as objects, subsections under their vmsd name).\n"
      "A stream without a VM description: each section's raw bytes and a note why. Exit 2 on a damaged stream.",
      "lockstep snapshot dump"};
  std::string path, ram_out;
  bool json = false;
  app.add_option("FILE", path, "stream file (plain or .zst)")->required();
  app.add_flag("--json", json,
               "JSON: {\"configuration\", \"devices\": [{\"name\", \"instance_id\", \"version\", \"fields\"}], \"ram\"}");
  app.add_option("--ram-out", ram_out, "write each RAM block to DIR/<block>.ram ('/' in names becomes '_')");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitError;
  }
  if (!ram_out.empty()) {
    struct stat st {};
    if (::stat(ram_out.c_str(), &st) != 0 && ::mkdir(ram_out.c_str(), 0755) != 0) {
      fmt::print(stderr, "lockstep snapshot dump: cannot create directory {}\n", ram_out);
      return kExitError;
    }
  }
  inspect::DumpOptions opts;
  opts.ram_out_dir = ram_out;
  const auto r = inspect::dump_stream(path, opts);
  if (json)
    print_json(r.doc);
  else
    fmt::print("{}", inspect::dump_text(r.doc));
  if (r.error) {
    fmt::print(stderr, "lockstep snapshot dump: {}: {}\n", path, *r.error);
    return kExitError;
  }
  return kExitOk;
}

}  // namespace lockstep::tools::snapshot_cli
