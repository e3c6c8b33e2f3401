#pragma once
// Why a migration stream does not load: the error catalog of DESIGN.md. The loader (machines/virt)
// and `lockstep snapshot explain` (snapshot/inspect) report the same problem in the same words by
// taking both the QEMU-worded message and the likely cause from here. Causes are chosen from an
// Error's kind and from the source's VM description, never by matching message text.
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "snapshot/stream/format.h"

namespace lockstep::snapshot::diagnosis {

using Json = stream::Json;

// The cause of an error raised while a section body is read, by its kind.
std::string field_error_cause(ErrorKind kind);

// QEMU's message for a section the destination has no device for.
std::string unknown_section_message(const std::string& idstr, std::uint32_t instance);
// same_idstr: the destination has this device, under other instance ids.
std::string unknown_section_cause(bool same_idstr);

std::string version_message(const std::string& vmsd, std::uint64_t incoming, std::uint64_t local_version,
                            std::uint64_t local_min);
std::string version_cause(bool too_new);

std::string unknown_subsection_message(const std::string& name, const std::string& vmsd);
std::string unknown_subsection_cause();
// A section body longer or shorter than this side reads, at the same version number.
std::string layout_change_cause(const std::string& idstr);

std::string unknown_ramblock_message(const std::string& block);
std::string unknown_ramblock_cause();
std::string ram_size_message(const std::string& block, std::uint64_t sent, std::uint64_t local);
// main_ram: the block is the machine's main RAM (its size is -m).
std::string ram_size_cause(bool main_ram);

// The source's VM description entry for (idstr, instance), or null. Every read of it is checked:
// it is input, read while an error is being explained.
const Json* source_entry(const Json* vmdesc, const std::string& idstr, std::uint32_t instance);
// What the source's description says it wrote: "uart v3: divider uint16, ..., subsection uart/fifo".
std::string source_wrote(const Json* vmdesc, const std::string& idstr, std::uint32_t instance);
// The first difference between two VM description entries of one section (what the source wrote,
// what this side writes at the same version), as a sentence; empty when none is found.
// known_subsections: names this side understands (only an unknown one is a layout difference).
std::string first_layout_difference(const Json& src, const Json& dst, const std::string& path,
                                    const std::vector<std::string>& known_subsections);

}  // namespace lockstep::snapshot::diagnosis
