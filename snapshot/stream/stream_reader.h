#pragma once
// StreamReader: the framing of a QEMU migration stream (file version 3), event style.
//
//   auto src = ByteSource::open_file(path);
//   StreamReader r(*src.value());
//   auto hdr = r.read_header();                 // magic, version, configuration section
//   for (;;) {
//     auto rec = r.next();                      // START/PART/END/FULL header, COMMAND, or EOF
//     if (rec->kind == Record::kEof) break;
//     ... consume the section body through r.body() (a ByteSource) ...
//     r.end_section();                          // checks the footer: "Missing section footer for %s"
//   }
//   auto desc = r.read_vmdesc();                // trailing 0x06 + be32 len + JSON, or null if absent
//
// Section bodies carry no length on the wire: a caller that does not know a device's layout uses
// walk_stream() (vmdesc_walker.h), which takes the layout from the trailing JSON.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "snapshot/stream/byte_source.h"
#include "snapshot/stream/format.h"

namespace lockstep::snapshot::stream {

struct StreamHeader {
  std::uint32_t version = 0;
  bool has_configuration = false;
  std::string machine;                            // "virt" for QEMU 7.2 riscv, "pc-i440fx-7.2" for x86 pc
  std::optional<std::uint32_t> target_page_bits;  // subsection configuration/target-page-bits
  std::vector<std::string> capabilities;          // subsection configuration/capabilities
  std::optional<std::vector<std::uint8_t>> uuid;  // subsection configuration/uuid (16 bytes)
  std::uint64_t end_offset = 0;                   // offset of the first record after the configuration
};

struct SectionHeader {
  std::uint8_t type = 0;  // kStart, kPart, kEnd or kFull
  std::uint32_t section_id = 0;
  std::string idstr;  // for PART/END: taken from the START with the same section_id
  std::uint32_t instance_id = 0;
  std::uint32_t version_id = 0;
  std::uint64_t offset = 0;       // offset of the type byte
  std::uint64_t body_offset = 0;  // offset of the first body byte
};

struct Command {
  std::uint16_t cmd = 0;
  std::vector<std::uint8_t> data;
  std::uint64_t offset = 0;
};

struct Record {
  enum Kind { kSection, kCommand, kEof } kind = kEof;
  SectionHeader section;  // kSection
  Command command;        // kCommand
  std::uint64_t offset = 0;
};

struct ReaderLimits {
  std::size_t max_vmdesc_bytes = 64u << 20;
  std::size_t max_command_bytes = 1u << 20;
};

class StreamReader {
 public:
  explicit StreamReader(ByteSource& src, ReaderLimits limits = {}) : src_(src), limits_(limits) {}

  Result<StreamHeader> read_header();
  // The next record; a section's body must be consumed and end_section() called before next().
  Result<Record> next();
  // Reads and checks the footer of the current section.
  Status end_section();
  // After EOF: the trailing vmdesc (null json when the stream ends right after EOF).
  // Fails on bytes after the JSON, a length over the limit, or JSON that does not parse.
  Result<Json> read_vmdesc();
  // Reads the trailing VM description and checks only that it is one whole JSON object (a loader,
  // which like QEMU's does not interpret it: even a syntax check cost more than a small machine's
  // device sections).
  Status check_vmdesc();

  ByteSource& body() { return src_; }
  const SectionHeader& current() const { return current_; }
  std::uint64_t offset() const { return src_.offset(); }
  // Context for error messages: "at offset N in section 'idstr' (id S)".
  std::string where() const;

 private:
  // The VM description's text and its offset, or nullopt when the stream ends after EOF.
  Result<std::optional<std::string>> read_vmdesc_text(std::uint64_t& offset);
  ByteSource& src_;
  ReaderLimits limits_;
  bool header_done_ = false;
  bool in_section_ = false;
  bool eof_seen_ = false;
  SectionHeader current_;
  struct Known {
    std::string idstr;
    std::uint32_t instance_id, version_id;
  };
  std::map<std::uint32_t, Known> started_;
};

// Locates the trailing vmdesc of a seekable stream without reading the stream through:
// the last position p in the final (max_json + 5) bytes where byte p is 0x06, the be32 at p+1 equals
// the number of bytes after it and byte p+5 is '{'. (analyze-migration.py instead takes the first '{'
// after the last NUL byte of the last 10 MB and checks the 0x06 five bytes before it; a JSON text has
// no NUL or 0x06 bytes, so both find the same position.) Non-seekable sources: unsupported.
Result<Json> locate_vmdesc(ByteSource& src, std::size_t max_json = 64u << 20);

// The same search on a source that cannot seek (a pipe, a zstd-decompressing source): reads it to the
// end, keeping at most 2 * (max_json + 5) bytes. The source is spent afterwards; open a second one.
Result<Json> locate_vmdesc_by_reading(ByteSource& src, std::size_t max_json = 64u << 20);

// Parses a vmdesc JSON text with a size limit; errors name the offset.
Result<Json> parse_vmdesc(const std::string& text, std::uint64_t offset);

}  // namespace lockstep::snapshot::stream
