#pragma once
// `lockstep snapshot dump`: every device's fields interpreted through the stream's VM description, in
// analyze-migration.py's conventions (values.h), as
//   {"configuration": {...}, "devices": [{"name", "instance_id", "version", "fields": {...}}],
//    "ram": [{"block", "length", "zero_pages", "data_pages"}]}
// One streaming pass; RAM pages are never held (with ram_out_dir each page is written where it
// belongs as it arrives). A stream without a VM description gives each device's raw body bytes and a
// note why ("raw" and "note" in place of "fields").
#include <optional>
#include <string>

#include "snapshot/inspect/stream_file.h"

namespace lockstep::snapshot::inspect {

struct DumpOptions {
  std::string ram_out_dir;  // empty: no RAM files. Else DIR/<block, '/' as '_'>.ram per block.
};

struct DumpResult {
  Json doc;                          // what was read, also on error
  std::optional<std::string> error;  // damaged stream, unwritable RAM file
};

DumpResult dump_stream(const std::string& path, const DumpOptions& opts = {});
std::string dump_text(const Json& doc);
// The file name --ram-out gives a block ("0000:00:02.0/vga.vram" -> "0000:00:02.0_vga.vram.ram").
std::string ram_file_name(const std::string& block);

}  // namespace lockstep::snapshot::inspect
