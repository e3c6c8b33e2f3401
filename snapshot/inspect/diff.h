#pragma once
// `lockstep snapshot diff A B`: configuration, sections present in one only, version differences,
// field-by-field differences (paths as in stream::path_string: "env.gpr[3]",
// "channels[0].next_transition_time"), and RAM differences by block and page range.
//
// Data flow: each stream is walked once (walk_file), keeping only device field bytes (small) and, for
// RAM, either nothing (both streams carry lockstep/page-hashes: the two hash sections are then read
// side by side with stream::PageHashReader, one block header and one hash at a time) or one XXH3-64 per
// page (8 bytes per guest page) hashed while reading, when at least one stream has no page hashes.
// A page that a stream never sent counts as a zero page (a destination's RAM starts zeroed).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "snapshot/inspect/stream_file.h"

namespace lockstep::snapshot::inspect {

struct ConfigDiff {
  std::string what;
  Json a, b;
};
struct SectionDiff {
  std::string section;  // idstr
  std::uint32_t instance = 0;
  std::optional<std::string> only_in;  // "a" or "b"; else a version difference
  std::uint32_t version_a = 0, version_b = 0;
};
struct FieldDiff {
  std::string section;
  std::uint32_t instance = 0;
  std::string field;
  Json a, b;  // analyze-migration-style values; null when the field is absent from that stream
};
struct RamDiff {
  std::string block;
  std::uint64_t offset = 0;  // bytes into the block
  std::uint64_t pages = 0;
  std::optional<std::string> only_in;  // "a"/"b": these pages (or the whole block) exist in one stream only
};

struct DiffResult {
  std::vector<ConfigDiff> configuration;
  std::vector<SectionDiff> sections;
  std::vector<FieldDiff> fields;
  std::vector<RamDiff> ram;
  std::string ram_method;            // "page-hashes" or "hashed while reading"
  std::optional<std::string> error;  // a stream could not be read: "a: ..." / "b: ..."
  bool identical() const {
    return configuration.empty() && sections.empty() && fields.empty() && ram.empty();
  }
};

DiffResult diff_streams(const std::string& path_a, const std::string& path_b);
Json diff_json(const DiffResult& d);
std::string diff_text(const DiffResult& d, bool colour);
// One line per difference, sections then fields then RAM ("field cpu (0) env.pc: ... vs ..."), for
// reports that name what differs in a sentence or two (fuzz findings, replay's divergence search).
std::vector<std::string> difference_lines(const DiffResult& d);

}  // namespace lockstep::snapshot::inspect
