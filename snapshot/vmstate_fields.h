#pragma once
// Human-readable field lists of a description, for load errors: what this binary expects at a
// given stream version ("divider uint16, rbr uint8, ... + subsections serial/tsr?").
#include <string>

#include <fmt/format.h>

#include "snapshot/vmstate.h"

namespace lockstep::snapshot::vm {

template <class S>
std::string field_list(const Section<S>& d, const S& s, int version_id) {
  std::string out;
  for (const Field<S>& f : d.fields) {
    const bool present = f.exists ? f.exists(s, version_id) : f.version <= version_id;
    if (!present) continue;
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {}", f.name, type_name(f.kind, f.equal));
    if (f.shape != Shape::Scalar) out += fmt::format("[{}]", f.capacity);
  }
  for (const Section<S>* sub : d.subsections) {
    if (!out.empty()) out += ", ";
    out += fmt::format("subsection {} (optional)", sub->name);
  }
  return out;
}

}  // namespace lockstep::snapshot::vm
