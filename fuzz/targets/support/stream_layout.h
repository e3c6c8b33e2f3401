#pragma once
// Where the parts of a plain migration stream are, found leniently enough to work on damaged streams
// (the mutator's input is usually a mutant): header, configuration, the sections with their header,
// body and footer, EOF and the trailing VM description. Section ends are found by scanning for the
// footer (0x7e + be32 section id followed by a section type byte), so a body need not be understood.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace lockstep::fuzz {

struct StreamSection {
  std::size_t begin = 0;       // the section type byte
  std::size_t header_end = 0;  // first body byte
  std::size_t body_end = 0;    // the footer's 0x7e (== end for a COMMAND, which has no footer)
  std::size_t end = 0;         // one past the footer
  std::uint8_t type = 0;
  std::uint32_t id = 0;
  bool has_idstr = false;  // START and FULL: idstr, instance_id and version_id follow the id
};

struct StreamLayout {
  std::size_t sections_begin = 0;  // after the header and the configuration
  std::vector<StreamSection> sections;
  std::size_t sections_end = 0;  // where the last recognised section ends (the EOF byte if all went well)
  std::optional<std::size_t> vmdesc;  // the 0x06 byte of the VM description record
};

inline constexpr std::uint8_t kStreamMagic[8] = {'Q', 'E', 'V', 'M', 0, 0, 0, 3};

std::uint32_t read_be32(std::span<const std::uint8_t> s, std::size_t at);
void write_be32(std::span<std::uint8_t> s, std::size_t at, std::uint32_t v);

// nullopt unless the bytes start with the QEVM header.
std::optional<StreamLayout> parse_stream_layout(std::span<const std::uint8_t> s);

}  // namespace lockstep::fuzz
