// lockstep snapshot info FILE [--json]
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "snapshot/inspect/info.h"
#include "snapshot/stream/format.h"
#include "tools/snapshot_command.h"

namespace lockstep::tools::snapshot_cli {

int info_main(int argc, char** argv) {
  CLI::App app{
      "Show what a migration stream holds: header, configuration (machine, page size, capabilities), every\n"
      "section (id, idstr, instance, version, type, offset, size), RAM blocks (length, zero and data pages),\n"
      "whether a VM description is present, and lockstep's own sections. Plain or zstd-compressed.\n"
      "On a damaged stream: what was read, then the error with its offset and section; exit status 2.",
      "lockstep snapshot info"};
  std::string path;
  bool json = false;
  app.add_option("FILE", path, "stream file (plain or .zst)")->required();
  app.add_flag("--json", json, "print JSON instead of text");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitError;
  }
  const auto info = inspect::read_info(path);
  if (json)
    print_json(info_json(info));
  else
    fmt::print("{}", info_text(info));
  if (info.error) {
    fmt::print(stderr, "lockstep snapshot info: {}: {}\n", path, *info.error);
    return kExitError;
  }
  return kExitOk;
}

}  // namespace lockstep::tools::snapshot_cli
