#include "tools/snapshot_seams.h"

#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "machines/virt/machine_versions.h"
#include "machines/virt/virt_snapshot.h"
#include "snapshot/stream/json_access.h"
#include "tools/host_process.h"

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

// The machine `lockstep run <args>` would build: this binary describes it (`--describe-destination
// -`), so the option parsing is exactly run's own.
Result<inspect::MachineSchema> destination_from_run_options(const std::vector<std::string>& run_args) {
  std::vector<std::string> argv = {std::filesystem::read_symlink("/proc/self/exe").string(), "run"};
  argv.insert(argv.end(), run_args.begin(), run_args.end());
  argv.insert(argv.end(), {"--describe-destination", "-"});
  ProcessResult r = run_process(argv, 60);
  if (!r.ok()) {
    std::string err = r.err;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return Error{fmt::format("the destination options are not valid for lockstep run ({}): {}", r.status(), err)};
  }
  auto j = snapshot::stream::parse_json(r.out, "lockstep run --describe-destination");
  if (!j) return j.error();
  return inspect::parse_schema(j.value(), fmt::format("lockstep run {}", fmt::join(run_args, " ")));
}

}  // namespace lockstep::tools::snapshot_cli
