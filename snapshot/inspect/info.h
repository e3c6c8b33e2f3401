#pragma once
// `lockstep snapshot info`: what a stream holds, read in one streaming pass (plus a short second pass
// over lockstep/page-hashes for its block list). On a damaged stream, everything read up to the
// damage is kept and the error says where.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "snapshot/inspect/stream_file.h"

namespace lockstep::snapshot::inspect {

struct PageHashSummary {
  std::uint64_t body_offset = 0;
  std::uint32_t page_size = 0;
  std::vector<std::pair<std::string, std::uint64_t>> blocks;  // idstr, used_length
  std::string error;                                          // reading the body failed
};

struct StreamInfo {
  std::string path;
  bool compressed = false;
  stream::WalkResult walk;           // header, sections, RAM blocks, vmdesc
  std::optional<std::string> error;  // set when the stream is damaged: the walk stopped here
  std::vector<PageHashSummary> page_hashes;
  // lockstep's own sections other than page-hashes (lockstep/run, ...), decoded through the vmdesc.
  struct OwnSection {
    std::string idstr;
    std::uint32_t instance_id = 0, version_id = 0;
    Json fields = Json::object();
  };
  std::vector<OwnSection> own_sections;
};

StreamInfo read_info(const std::string& path);
Json configuration_json(const stream::StreamHeader& h, std::uint64_t page_size);
Json info_json(const StreamInfo& info);
std::string info_text(const StreamInfo& info);

}  // namespace lockstep::snapshot::inspect
