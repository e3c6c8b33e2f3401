// lockstep snapshot check SRC DST [--json]
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "snapshot/inspect/check.h"
#include "tools/snapshot_command.h"
#include "tools/snapshot_seams.h"

namespace lockstep::tools::snapshot_cli {

int check_main(int argc, char** argv) {
  CLI::App app{
      "Check statically whether state saved under schema SRC loads under schema DST, with the checks and\n"
      "wording of QEMU's vmstate-static-checker.py: sections missing in the destination, version and\n"
      "minimum-version errors, missing or renamed fields, size mismatches, subsections the destination\n"
      "lacks. SRC and DST: -dump-vmstate JSON files (QEMU's `-dump-vmstate F` or lockstep's), destination\n"
      "descriptions (see snapshot/inspect/README.md), or lockstep machine versions (virt-1.0, virt).\n"
      "Exit status: 0 compatible, 1 incompatible, 2 error.",
      "lockstep snapshot check"};
  std::string src, dst;
  bool json = false;
  app.add_option("SRC", src, "source schema: file or machine version")->required();
  app.add_option("DST", dst, "destination schema: file or machine version")->required();
  app.add_flag("--json", json, "JSON: {\"compatible\", \"errors\", \"issues\": [{\"severity\", \"section\", ...}]}");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitError;
  }
  auto s = inspect::load_schema(src, machine_schema);
  if (!s) {
    fmt::print(stderr, "lockstep snapshot check: {}\n", s.error().message);
    return kExitError;
  }
  auto d = inspect::load_schema(dst, machine_schema);
  if (!d) {
    fmt::print(stderr, "lockstep snapshot check: {}\n", d.error().message);
    return kExitError;
  }
  const auto r = inspect::check_schemas(s.value(), d.value());
  if (json)
    print_json(inspect::check_json(r));
  else
    fmt::print("{}", inspect::check_text(r));
  return r.errors() == 0 ? kExitOk : kExitDifferent;
}

}  // namespace lockstep::tools::snapshot_cli
