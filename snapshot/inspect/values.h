#pragma once
// Field values in analyze-migration.py's conventions (QEMU scripts/analyze-migration.py), so that
// `lockstep snapshot dump --json` reads like its output:
//   - integers ("uint8".."uint64", "int8".."int64", "* equal", "int32 le") as "0x" + zero-padded hex
//     of the field's width ("0x000c" for a 2-byte field); a negative signed value as "0xffffffff (-1)";
//   - "bool" as JSON true/false;
//   - everything else (buffer, timer, float64, pci config, unknown types, odd sizes) as space-separated
//     hex bytes "00 0c ff";
//   - arrays as lists, structs as objects, subsections as keys named by their vmsd name.
// A value over 1 MiB is not read (the walker skips it): "(N bytes, not read: ...)"; diff cannot
// compare such values and treats them as equal.
// "int32 le" (VMSTATE_INT32_POSITIVE_LE) is big-endian like every integer: "le" is "less or equal".
#include <cstdint>
#include <span>
#include <string>

#include "snapshot/stream/vmdesc_walker.h"

namespace lockstep::snapshot::inspect {

using stream::Json;

Json format_value(const Json& field, std::span<const std::uint8_t> bytes);
std::string hex_bytes(std::span<const std::uint8_t> bytes);
// A formatted value as one line of text (strings without quotes).
std::string value_text(const Json& value);
// Puts value at path inside a device's "fields" object, creating lists and objects on the way.
void insert_value(Json& fields, const stream::FieldPath& path, Json value);

}  // namespace lockstep::snapshot::inspect
