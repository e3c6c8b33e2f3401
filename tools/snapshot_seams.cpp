#include "tools/snapshot_seams.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "machines/virt/machine_versions.h"
#include "machines/virt/virt_snapshot.h"
#include "tools/run_options.h"

namespace lockstep::tools::snapshot_cli {

// A lockstep machine version: the machine built with that version's defaults (no images), described
// as an incoming destination.
Result<inspect::MachineSchema> machine_schema(const std::string& name) {
  if (!machines::virt::find_machine_version(name))
    return Error{fmt::format("'{}' is neither a file nor a lockstep machine version ({})", name, [] {
      std::string v = "virt";
      for (const auto& m : machines::virt::machine_versions()) v += ", " + std::string(m.name);
      return v;
    }())};
  machines::virt::VirtConfig config;
  config.machine = name;
  config.bios = "none";
  auto m = machines::virt::VirtMachine::create(config, {});
  if (!m) return m.error();
  return inspect::parse_schema(machines::virt::describe_destination(*m.value()), name);
}

// The machine `lockstep run <args>` would build, parsed by run's own parser (tools/run_options).
Result<inspect::MachineSchema> destination_from_run_options(const std::vector<std::string>& run_args) {
  auto options = parse_run_options(run_args);
  if (!options) return Error{fmt::format("the destination options are not valid for lockstep run: {}", options.error().message)};
  if (options->machine_help) return Error{"the destination options ask for -M help, not a machine"};
  auto m = machines::virt::VirtMachine::create(options->setup.config, {}, options->setup.script);
  if (!m) return Error{fmt::format("the destination options are not valid for lockstep run: {}", m.error().message)};
  return inspect::parse_schema(machines::virt::describe_destination(*m.value()),
                               fmt::format("lockstep run {}", fmt::join(run_args, " ")));
}

}  // namespace lockstep::tools::snapshot_cli
