// lockstep snapshot diff A B [--json]
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "snapshot/inspect/diff.h"
#include "tools/snapshot_command.h"

namespace lockstep::tools::snapshot_cli {

int diff_main(int argc, char** argv) {
  CLI::App app{
      "Compare two migration streams (plain or .zst, any machine): configuration, sections present in one\n"
      "only, section versions, every field (QEMU's names; struct members joined by '.', array elements as\n"
      "[i]) and RAM by block and page range (lockstep's page hashes when both streams carry them, otherwise\n"
      "each page is hashed while reading). Exit status: 0 identical, 1 different, 2 error.\n"
      "Colour only on a terminal; NO_COLOR turns it off.",
      "lockstep snapshot diff"};
  std::string a, b;
  bool json = false;
  app.add_option("A", a, "first stream")->required();
  app.add_option("B", b, "second stream")->required();
  app.add_flag("--json", json,
               "JSON: {\"identical\", \"configuration\", \"sections\", \"fields\", \"ram\"} (see the README)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitError;
  }
  const auto d = inspect::diff_streams(a, b);
  if (json)
    print_json(inspect::diff_json(d));
  else if (!d.error)
    fmt::print("{}", inspect::diff_text(d, use_colour()));
  if (d.error) {
    fmt::print(stderr, "lockstep snapshot diff: {}\n", *d.error);
    return kExitError;
  }
  return d.identical() ? kExitOk : kExitDifferent;
}

}  // namespace lockstep::tools::snapshot_cli
