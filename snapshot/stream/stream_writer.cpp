#include "snapshot/stream/stream_writer.h"

#include <fmt/format.h>

#include "snapshot/stream/ram_section.h"

namespace lockstep::snapshot::stream {

Status StreamWriter::header() {
  LS_TRY(out_.be32(kMagic));
  return out_.be32(kVersion);
}

Status StreamWriter::configuration(const std::string& machine, std::optional<std::uint32_t> target_page_bits) {
  if (machine.size() > 255) return Error{fmt::format("machine name too long: {}", machine)};
  LS_TRY(out_.u8(kConfiguration));
  LS_TRY(out_.be32(static_cast<std::uint32_t>(machine.size())));
  LS_TRY(out_.write(machine.data(), machine.size()));
  if (target_page_bits) {
    LS_TRY(out_.u8(kSubsection));
    LS_TRY(out_.counted_string("configuration/target-page-bits"));
    LS_TRY(out_.be32(1));
    LS_TRY(out_.be32(*target_page_bits));
  }
  return Ok{};
}

Status StreamWriter::command(std::uint16_t cmd, std::span<const std::uint8_t> data) {
  if (data.size() > 0xffff) return Error{"command data over 65535 bytes"};
  LS_TRY(out_.u8(kCommand));
  LS_TRY(out_.be16(cmd));
  LS_TRY(out_.be16(static_cast<std::uint16_t>(data.size())));
  return out_.write(data.data(), data.size());
}

Status StreamWriter::section_header(std::uint8_t type, std::uint32_t section_id, const std::string& idstr,
                                    std::uint32_t instance_id, std::uint32_t version_id) {
  LS_TRY(out_.u8(type));
  LS_TRY(out_.be32(section_id));
  if (type == kStart || type == kFull) {
    LS_TRY(out_.counted_string(idstr));
    LS_TRY(out_.be32(instance_id));
    LS_TRY(out_.be32(version_id));
  }
  have_last_ = false;  // QEMU starts each RAM section body without a CONTINUE context
  return Ok{};
}

Status StreamWriter::section_footer(std::uint32_t section_id) {
  LS_TRY(out_.u8(kFooter));
  return out_.be32(section_id);
}

Status StreamWriter::full_section(std::uint32_t section_id, const std::string& idstr, std::uint32_t instance_id,
                                  std::uint32_t version_id, std::span<const std::uint8_t> body) {
  LS_TRY(section_header(kFull, section_id, idstr, instance_id, version_id));
  LS_TRY(out_.write(body.data(), body.size()));
  return section_footer(section_id);
}

Status StreamWriter::ram_start(std::uint32_t section_id, const std::vector<RamBlockSpec>& blocks) {
  std::uint64_t total = 0;
  for (const auto& b : blocks) {
    if (b.used_length % page_size_ != 0)
      return Error{fmt::format("RAM block {} length 0x{:x} is not a multiple of the page size", b.idstr, b.used_length)};
    total += b.used_length;
  }
  LS_TRY(section_header(kStart, section_id, "ram", 0, kRamSectionVersion));
  LS_TRY(out_.be64(total | ram_flags::kMemSize));
  for (const auto& b : blocks) {
    LS_TRY(out_.counted_string(b.idstr));
    LS_TRY(out_.be64(b.used_length));
  }
  return ram_section_finish(section_id);
}

Status StreamWriter::page_header(const std::string& block, std::uint64_t offset, std::uint64_t flags) {
  if (offset % page_size_ != 0) return Error{fmt::format("RAM page offset 0x{:x} is not page aligned", offset)};
  bool cont = have_last_ && block == last_block_;
  LS_TRY(out_.be64(offset | flags | (cont ? ram_flags::kContinue : 0)));
  if (!cont) {
    LS_TRY(out_.counted_string(block));
    last_block_ = block;
    have_last_ = true;
  }
  return Ok{};
}

Status StreamWriter::ram_page(const std::string& block, std::uint64_t offset, std::span<const std::uint8_t> data) {
  if (data.size() != page_size_) return Error{fmt::format("RAM page of {} bytes, expected {}", data.size(), page_size_)};
  LS_TRY(page_header(block, offset, ram_flags::kPage));
  return out_.write(data.data(), data.size());
}

Status StreamWriter::ram_zero_page(const std::string& block, std::uint64_t offset, std::uint8_t fill) {
  LS_TRY(page_header(block, offset, ram_flags::kZero));
  return out_.u8(fill);
}

Status StreamWriter::ram_zero_pages(const std::string& block, std::uint64_t offset, std::uint64_t count) {
  if (count == 0) return Ok{};
  LS_TRY(ram_zero_page(block, offset));  // names the block unless the previous record did
  // The rest continue that block: 9 bytes each (flags word, fill byte), written a chunk at a time.
  std::uint8_t chunk[9 * 256];
  std::size_t used = 0;
  for (std::uint64_t i = 1; i < count; ++i) {
    store_be64(chunk + used, (offset + i * page_size_) | ram_flags::kZero | ram_flags::kContinue);
    chunk[used + 8] = 0;
    used += 9;
    if (used == sizeof chunk) {
      LS_TRY(out_.write(chunk, used));
      used = 0;
    }
  }
  return out_.write(chunk, used);
}

Status StreamWriter::ram_section_finish(std::uint32_t section_id) {
  LS_TRY(out_.be64(ram_flags::kEos));
  return section_footer(section_id);
}

Status StreamWriter::vmdesc(const Json& desc, bool pad_for_analyzers) {
  std::string text = to_qemu_json(desc);
  // analyze-migration.py finds the JSON as "the first '{' after the last NUL byte" of the tail: a
  // length byte equal to '{' after the length's last zero byte would fool it. Trailing spaces move
  // the length off such values (JSON allows them).
  auto fools_analyzers = [](std::uint32_t n) {
    const std::uint8_t b[4] = {std::uint8_t(n >> 24), std::uint8_t(n >> 16), std::uint8_t(n >> 8), std::uint8_t(n)};
    int last_zero = -1;
    for (int i = 0; i < 4; ++i)
      if (b[i] == 0) last_zero = i;
    for (int i = last_zero + 1; i < 4; ++i)
      if (b[i] == '{') return true;
    return false;
  };
  while (pad_for_analyzers && fools_analyzers(static_cast<std::uint32_t>(text.size()))) text.push_back(' ');
  LS_TRY(out_.u8(kVmDescription));
  LS_TRY(out_.be32(static_cast<std::uint32_t>(text.size())));
  return out_.write(text.data(), text.size());
}

}  // namespace lockstep::snapshot::stream
