#pragma once
// Destination descriptions and vmstate schemas for `check` and `explain`.
//
// A schema is QEMU's -dump-vmstate JSON ({"vmschkmachine": {"Name"}, "<type>": {"Name", "version_id",
// "minimum_version_id", "Description": {"name", "version_id", "minimum_version_id", "Fields": [...],
// "Subsections": [...]}}}), which lockstep's --dump-vmstate writes too. A destination description
// adds what a dry-run load needs and -dump-vmstate lacks:
//   {"machine": "virt-2.0", "page_size": 4096,
//    "ram_blocks": [{"name": "riscv_virt_board.ram", "length": 134217728}],
//    "sections": [{"idstr": "serial", "instance_id": 0, "vmsd_name": "serial"}],   (optional)
//    "sendable_subsections": {"serial": ["serial/recv_fifo"]},                     (optional)
//    "vmstate": { -dump-vmstate JSON }}
//
// Machine-version names (virt-1.0, virt-2.0, virt) are resolved through a MachineSchemaResolver that
// tools/ supplies (the machine registry lives in machines/, which this library must not depend on).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "snapshot/stream/format.h"

namespace lockstep::snapshot::inspect {

namespace stream = lockstep::snapshot::stream;
using stream::Json;

struct SectionIdentity {
  std::string idstr;
  std::uint32_t instance_id = 0;
  std::string vmsd_name;
};

struct MachineSchema {
  std::string origin;   // file name or machine version name, for messages
  std::string machine;  // machine type name ("virt-2.0", "pc-i440fx-7.2"); may be empty
  Json vmstate = Json::object();  // -dump-vmstate layout
  std::optional<std::uint64_t> page_size;
  std::optional<std::vector<std::pair<std::string, std::uint64_t>>> ram_blocks;  // name, length
  std::optional<std::vector<SectionIdentity>> sections;                          // the device set
  // Per schema key (type name): subsections its needed() can make true under this machine version's
  // compat properties. Unknown (nullopt) for QEMU's schemas.
  std::optional<std::map<std::string, std::set<std::string>>> sendable_subsections;
};

// name -> schema; an Error when the name is not a machine version this build knows.
using MachineSchemaResolver = std::function<Result<MachineSchema>(const std::string& name)>;

Result<MachineSchema> parse_schema(const Json& j, const std::string& origin);
// A file (-dump-vmstate JSON or a destination description), else a machine version name.
Result<MachineSchema> load_schema(const std::string& file_or_machine, const MachineSchemaResolver& resolver);

}  // namespace lockstep::snapshot::inspect
