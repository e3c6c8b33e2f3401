#pragma once
// StreamWriter: the same framing as StreamReader accepts, written through a ByteSink.
//
//   StreamWriter w(sink);
//   w.header();  w.configuration("virt");
//   w.ram_start(section_id, blocks);                 // START "ram" v4: MEM_SIZE + block list + EOS + footer
//   w.ram_end_begin(section_id);                     // END header
//   w.ram_page(block, offset, bytes) / w.ram_zero_page(block, offset);  (CONTINUE set automatically)
//   w.ram_end_finish(section_id);                    // EOS + footer
//   w.full_section(id, "serial", 0, 3, body);        // FULL header + caller's body + footer
//   w.eof();  w.vmdesc(json);  sink.flush();
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "snapshot/stream/byte_source.h"
#include "snapshot/stream/format.h"

namespace lockstep::snapshot::stream {

struct RamBlockSpec {
  std::string idstr;
  std::uint64_t used_length;
};

class StreamWriter {
 public:
  explicit StreamWriter(ByteSink& sink, std::uint64_t page_size = 4096) : out_(sink), page_size_(page_size) {}

  Status header();
  // Machine name plus optional configuration/target-page-bits subsection.
  Status configuration(const std::string& machine, std::optional<std::uint32_t> target_page_bits = {});
  Status command(std::uint16_t cmd, std::span<const std::uint8_t> data);

  Status section_header(std::uint8_t type, std::uint32_t section_id, const std::string& idstr,
                        std::uint32_t instance_id, std::uint32_t version_id);
  Status section_footer(std::uint32_t section_id);
  Status full_section(std::uint32_t section_id, const std::string& idstr, std::uint32_t instance_id,
                      std::uint32_t version_id, std::span<const std::uint8_t> body);

  Status ram_start(std::uint32_t section_id, const std::vector<RamBlockSpec>& blocks);
  Status ram_part_begin(std::uint32_t section_id) { return section_header(kPart, section_id, {}, 0, 0); }
  Status ram_end_begin(std::uint32_t section_id) { return section_header(kEnd, section_id, {}, 0, 0); }
  Status ram_page(const std::string& block, std::uint64_t offset, std::span<const std::uint8_t> data);
  Status ram_zero_page(const std::string& block, std::uint64_t offset, std::uint8_t fill = 0);
  // count zero pages from offset on, one record each (CONTINUE after the first): a run in one call.
  Status ram_zero_pages(const std::string& block, std::uint64_t offset, std::uint64_t count);
  // EOS + footer of the current RAM START/PART/END section.
  Status ram_section_finish(std::uint32_t section_id);
  Status ram_end_finish(std::uint32_t section_id) { return ram_section_finish(section_id); }

  Status eof() { return out_.u8(kEof); }
  // pad_for_analyzers: append spaces when the length would mislead analyze-migration.py's search.
  Status vmdesc(const Json& desc, bool pad_for_analyzers = false);
  ByteSink& sink() { return out_; }

 private:
  Status page_header(const std::string& block, std::uint64_t offset, std::uint64_t flags);
  ByteSink& out_;
  std::uint64_t page_size_;
  std::string last_block_;
  bool have_last_ = false;
};

}  // namespace lockstep::snapshot::stream
