#include "tools/option_values.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <vector>

#include <fmt/format.h>

namespace lockstep::tools {

Result<core::u64> parse_memory_size(const std::string& text) {
  std::string s = text;
  if (s.rfind("size=", 0) == 0) s = s.substr(5);
  auto bad = [&] { return Error{fmt::format("invalid RAM size '{}' (examples: 256M, 1G, 512)", text)}; };
  size_t pos = 0;
  while (pos < s.size() && (std::isdigit(static_cast<unsigned char>(s[pos])) || s[pos] == '.')) ++pos;
  if (pos == 0) return bad();
  const std::string number = s.substr(0, pos);
  if (std::count(number.begin(), number.end(), '.') > 1 || number.front() == '.' || number.back() == '.') return bad();
  std::string suffix = s.substr(pos);
  if (suffix.size() > 1 && (suffix.back() == 'B' || suffix.back() == 'b')) suffix.pop_back();
  int shift = 20;  // a bare number means MiB, as in QEMU
  if (suffix.empty()) {
  } else if (suffix.size() == 1) {
    switch (std::toupper(static_cast<unsigned char>(suffix[0]))) {
      case 'B': shift = 0; break;
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      case 'T': shift = 40; break;
      default: return bad();
    }
  } else {
    return bad();
  }
  const long double value = std::strtold(number.c_str(), nullptr) * std::ldexp(1.0L, shift);
  if (!(value >= 1) || value > 0x1p60L || value != std::floor(value)) return bad();
  return static_cast<core::u64>(value);
}

Result<core::u64> parse_count(const std::string& text, const char* what) {
  core::u64 value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) {
    return Error{fmt::format("invalid {} '{}': expected a non-negative decimal number", what, text)};
  }
  return value;
}

namespace {

Result<bool> parse_on_off(const std::string& key, const std::string& value) {
  if (value == "on" || value == "true" || value == "yes") return true;
  if (value == "off" || value == "false" || value == "no") return false;
  return Error{fmt::format("-drive: {}={}: expected on or off", key, value)};
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> parse_key_values(const std::string& text,
                                                                          const std::string& what) {
  // Split on single commas; ",," stands for a comma inside a value.
  std::vector<std::string> parts(1);
  for (size_t k = 0; k < text.size(); ++k) {
    if (text[k] == ',') {
      if (k + 1 < text.size() && text[k + 1] == ',') {
        parts.back().push_back(',');
        ++k;
      } else {
        parts.emplace_back();
      }
    } else {
      parts.back().push_back(text[k]);
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& part : parts) {
    const auto eq = part.find('=');
    if (eq == std::string::npos) return Error{fmt::format("{}: '{}' is not key=value", what, part)};
    out.emplace_back(part.substr(0, eq), part.substr(eq + 1));
  }
  return out;
}

Result<DriveOption> parse_drive(const std::string& text) {
  auto parts = parse_key_values(text, "-drive");
  if (!parts) return parts.error();
  DriveOption d;
  for (const auto& [key, value] : parts.value()) {
    if (key == "file") {
      d.file = value;
    } else if (key == "format") {
      if (value != "raw") return Error{fmt::format("-drive: format={} is not supported (only raw)", value)};
      d.format = value;
    } else if (key == "if") {
      if (value != "virtio" && value != "none")
        return Error{fmt::format("-drive: if={} is not supported (virtio or none)", value)};
      d.interface = value;
    } else if (key == "id") {
      if (value.empty()) return Error{"-drive: id= must not be empty"};
      d.id = value;
    } else if (key == "readonly") {
      auto v = parse_on_off(key, value);
      if (!v) return v.error();
      d.read_only = v.value();
    } else if (key == "snapshot") {
      auto v = parse_on_off(key, value);
      if (!v) return v.error();
      d.snapshot = v.value();
    } else {
      return Error{fmt::format("-drive: unknown parameter '{}'", key)};
    }
  }
  if (d.file.empty()) return Error{"-drive: file= is required"};
  if (d.interface == "none" && d.id.empty())
    return Error{"-drive: if=none needs id= (a -device virtio-blk-device,drive=ID attaches it)"};
  return d;
}

}  // namespace lockstep::tools
