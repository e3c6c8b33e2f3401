#pragma once
// `lockstep snapshot check SRC DST`: static compatibility of two vmstate schemas, the checks of QEMU's
// scripts/vmstate-static-checker.py with its wording (sections missing in the destination, version
// and minimum-version errors, missing or renamed fields with the same substruct/"unused" tolerance,
// size mismatches, entries and subsections the destination lacks; a machine type mismatch is an error,
// not vmstate-static-checker.py's warning, because every loader refuses it), one issue
// per line naming section, description and field. When the source is a lockstep machine version
// whose sendable subsections are known, a subsection the destination lacks is an error only if it
// can reach the wire; otherwise a note.
#include <string>
#include <vector>

#include "snapshot/inspect/schema.h"

namespace lockstep::snapshot::inspect {

struct CheckIssue {
  enum Severity { kError, kWarning, kNote } severity = kError;
  std::string section;      // schema key (QOM type name)
  std::string description;  // vmsd name, may be empty
  std::string field;        // field or subsection name, may be empty
  std::string message;      // the whole line, vmstate-static-checker.py's wording
};

struct CheckResult {
  std::vector<CheckIssue> issues;
  std::size_t errors() const;
};

CheckResult check_schemas(const MachineSchema& src, const MachineSchema& dst);
Json check_json(const CheckResult& r);
std::string check_text(const CheckResult& r);

}  // namespace lockstep::snapshot::inspect
