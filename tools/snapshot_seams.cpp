#include "tools/snapshot_seams.h"

#include <fmt/format.h>

namespace lockstep::tools::snapshot_cli {

// SEAM (machines/ registry): resolve a lockstep machine version to its schema. Until the versioned
// machine registry and `--dump-vmstate` land, no name resolves; callers fall back to schema files.
Result<inspect::MachineSchema> machine_schema(const std::string& name) {
  return Error{fmt::format(
      "'{}' is not a file, and this build cannot describe lockstep machine versions yet (the machine-version "
      "registry is not merged): pass a -dump-vmstate JSON file instead",
      name)};
}

// SEAM (lockstep run options): build the destination description of the machine `lockstep run` would
// create from these options (machine version, -m, devices), without running it.
Result<inspect::MachineSchema> destination_from_run_options(const std::vector<std::string>& run_args) {
  return Error{fmt::format(
      "describing the destination from 'lockstep run' options ({}) needs machine support that is not merged yet: "
      "use --dest-schema FILE",
      fmt::join(run_args, " "))};
}

}  // namespace lockstep::tools::snapshot_cli
