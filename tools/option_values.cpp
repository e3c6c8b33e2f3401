#include "tools/option_values.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

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

}  // namespace lockstep::tools
