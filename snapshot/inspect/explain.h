#pragma once
// `lockstep snapshot explain FILE`: a dry-run load of a stream into a destination configuration that
// reports every problem a real load would hit, not just the first, each with its likely cause from
// the troubleshooting catalog (machine type, device set or order, RAM block names and sizes,
// versions, subsections, field layout, damaged stream).
//
// The destination is a MachineSchema (schema.h): its -dump-vmstate schema plus, when known, machine
// type, page size, RAM blocks and the device set (idstr + instance). tools/ obtains it from
// `--dest-schema FILE` or, once machines/ can describe itself, from the `lockstep run` options.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "snapshot/inspect/schema.h"

namespace lockstep::snapshot::inspect {

struct ExplainProblem {
  enum Severity { kError, kNote } severity = kError;
  std::string message;  // QEMU's wording where QEMU has a message for it
  std::string cause;    // catalog entry: "machine type", "device set or order", "RAM blocks", "versions",
                        // "subsections", "field layout", "damaged stream"
  std::string advice;   // what usually fixes it
  std::string section;  // idstr, when it concerns one
  std::uint32_t instance = 0;
  std::optional<std::uint64_t> offset;  // stream offset, when it concerns one place
};

struct ExplainResult {
  std::vector<ExplainProblem> problems;
  bool stream_damaged = false;
  // Not even the stream's header could be read ("cannot open F: No such file or directory", not a
  // migration stream): nothing to compare, so `problems` is empty.
  std::optional<std::string> unreadable;
  std::size_t errors() const;
};

ExplainResult explain_load(const std::string& stream_path, const MachineSchema& dest);
Json explain_json(const ExplainResult& r);
std::string explain_text(const ExplainResult& r);

}  // namespace lockstep::snapshot::inspect
