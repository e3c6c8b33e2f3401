#pragma once
// A whole-stream walker driven by the trailing VM description: reads the vmdesc first (locate_vmdesc),
// then walks the stream forward, parsing the RAM section and stepping through every device section field
// by field using the sizes the source wrote into its vmdesc, then checking the footer.
//
// Field sizes: a vmdesc field's "size" is the bytes one element took on the wire, struct contents and
// their subsections included; with "array_len": n the element repeats n times ("index": i entries are
// listed one per element). After the fields, each entry of the device's "subsections" is on the wire as
// 0x05, counted vmsd_name, be32 version, then its own fields and subsections.
// Devices saved by old-style handlers: QEMU 7.2 describes them as one "data" buffer field with the byte
// count (e.g. {"name": "slirp", "instance_id": 0, "size": 131, "fields": [{"name": "data", "type":
// "buffer", "size": 131}]}), walked like any other. An entry with neither "vmsd_name" nor "fields" has no
// layout: its end is found by scanning for the footer 0x7e + be32 section_id followed by a section type
// byte, bounded to max_unknown_body bytes; SectionInfo::layout_from_vmdesc says which.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "snapshot/stream/ram_section.h"

namespace lockstep::snapshot::stream {

// Where a value sits inside a device, in analyze-migration.py's structure: fields by their QEMU name
// (verbatim, "env.pc" is one name), array elements by index, subsections by their vmsd name.
struct PathStep {
  enum Kind : std::uint8_t { kField, kIndex, kSubsection } kind = kField;
  std::string name;        // kField, kSubsection
  std::uint64_t index = 0;  // kIndex
};
using FieldPath = std::vector<PathStep>;
// "channels[0].next_transition_time", "env.gpr[3]", "serial/recv_fifo.data": members joined by '.',
// elements as [i]; a subsection's fields follow its name after a '.'.
std::string path_string(const FieldPath& path);

struct SectionInfo {
  SectionHeader header;
  std::uint64_t body_size = 0;  // bytes between the header and the footer
  bool layout_from_vmdesc = true;
  const Json* desc = nullptr;  // the vmdesc device entry (null for RAM)
};

struct WalkResult {
  StreamHeader header;
  Json vmdesc;
  std::vector<SectionInfo> sections;  // in stream order, one per section record
  std::vector<RamBlock> ram_blocks;
  std::uint64_t page_size = 0;
  std::uint64_t eof_offset = 0;
  std::uint64_t end_offset = 0;
  bool has_vmdesc = true;      // false only with WalkOptions::allow_missing_vmdesc
  std::string no_vmdesc_reason;
  // When the walk stops with an error inside a section: that section's header (in_section true).
  bool in_section = false;
  SectionHeader current;
};

struct WalkOptions {
  PageCallback on_page;  // RAM pages, optional
  // Every leaf field element of a device section: path like "serial.divider" or "env.gpr[3]",
  // the vmdesc field entry and its bytes (elements over 1 MiB are skipped without a callback).
  std::function<Status(const SectionHeader&, const std::string& path, const Json& field,
                       std::span<const std::uint8_t> bytes)>
      on_field;
  // Every leaf value with its structured path (bytes empty for an element over 1 MiB: skipped, not
  // read; compare with the field's "size"); when set, "struct" fields are walked member by member
  // (their own fields and subsections; the bytes must add up to the struct's size), so on_field's
  // paths then name struct members too ("channels[0].next_transition_time").
  std::function<Status(const SectionHeader&, const FieldPath& path, const Json& field,
                       std::span<const std::uint8_t> bytes)>
      on_value;
  // After each section's footer, in stream order.
  std::function<Status(const SectionInfo&)> on_section;
  // Bodies of sections without a layout (scanned to the footer), at most max_unknown_body bytes.
  std::function<Status(const SectionHeader&, std::span<const std::uint8_t> body)> on_raw_body;
  // The VM description, when the caller has it already (a compressed source cannot be searched from
  // the end: see locate_vmdesc_by_reading). Must outlive the walk.
  const Json* vmdesc = nullptr;
  // A stream without a VM description is walked anyway: every device body is scanned to its footer.
  bool allow_missing_vmdesc = false;
  std::uint64_t max_unknown_body = 1u << 20;
  ReaderLimits limits;
};

// Result carries a partial WalkResult in the error text only; use walk_stream_into for what was read.
Status walk_stream_into(ByteSource& src, WalkResult& out, const WalkOptions& opts = {});
Result<WalkResult> walk_stream(const std::string& path, const WalkOptions& opts = {});

// Steps through one device body according to its vmdesc entry (fields, then subsections).
Status walk_device_body(StreamReader& r, const SectionHeader& s, const Json& desc,
                        const WalkOptions& opts = {});

}  // namespace lockstep::snapshot::stream
