#pragma once
// The two places where `lockstep snapshot` needs lockstep's own machines (machines/ is wired in by
// tools/, never by snapshot/inspect). Both are filled in by the machine-version work on main:
//   - machine_schema(name): "virt-1.0", "virt-2.0", "virt" -> that version's -dump-vmstate schema,
//     RAM blocks, device set and, per section, the subsections its needed() can send under the
//     version's compat properties (inspect::MachineSchema);
//   - destination_from_run_options(args): the same for the machine `lockstep run <args>` would build.
#include <string>
#include <vector>

#include "snapshot/inspect/schema.h"
#include "tools/snapshot_command.h"

namespace lockstep::tools::snapshot_cli {

Result<inspect::MachineSchema> machine_schema(const std::string& name);
Result<inspect::MachineSchema> destination_from_run_options(const std::vector<std::string>& run_args);

}  // namespace lockstep::tools::snapshot_cli
