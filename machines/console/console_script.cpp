#include "machines/console/console_script.h"

#include <fmt/format.h>

namespace lockstep::machines {

void ConsoleScript::observe_output(char c) {
  if (stopped_) return;
  window_.push_back(c);
  const Action* next = next_ < actions_.size() ? &actions_[next_] : has_stop_ ? &stop_ : nullptr;
  if (!next) return;
  if (window_.size() < next->pattern.size()) return;
  // Only the tail can complete a match: compare the last pattern.size() bytes.
  if (window_.compare(window_.size() - next->pattern.size(), next->pattern.size(), next->pattern) != 0) {
    // Keep the window bounded: it only needs the last pattern.size() - 1 bytes.
    if (window_.size() > 4096 + next->pattern.size()) window_.erase(0, window_.size() - next->pattern.size());
    return;
  }
  window_.clear();
  if (next->stop) {
    stopped_ = true;
    return;
  }
  input_.insert(input_.end(), next->text.begin(), next->text.end());
  ++next_;
}

std::string ConsoleScript::pending_description() const {
  if (next_ < actions_.size()) return fmt::format("--send-on '{}'", actions_[next_].pattern);
  if (has_stop_ && !stopped_) return fmt::format("--stop-on '{}'", stop_.pattern);
  return {};
}

Result<ConsoleScript::Progress> ConsoleScript::progress() const {
  Progress p;
  p.delivered = delivered_;
  p.action_count = static_cast<std::uint32_t>(actions_.size() + (has_stop_ ? 1 : 0));
  p.next_action = static_cast<std::uint32_t>(next_);
  p.stopped = stopped_ ? 1 : 0;
  // Only the last (pattern length - 1) bytes can still be part of a match.
  const std::size_t keep = std::min(window_.size(), kMaxPattern - 1);
  std::copy(window_.end() - static_cast<std::ptrdiff_t>(keep), window_.end(), p.window.begin());
  p.window_len = static_cast<std::uint32_t>(keep);
  if (input_.size() > kMaxPendingInput)
    return Error{fmt::format("console script: {} input bytes are queued (the guest is not reading its console); "
                             "at most {} can be migrated",
                             input_.size(), kMaxPendingInput)};
  std::copy(input_.begin(), input_.end(), p.input.begin());
  p.input_len = static_cast<std::uint32_t>(input_.size());
  return p;
}

Status ConsoleScript::restore(const Progress& p) {
  const std::size_t count = actions_.size() + (has_stop_ ? 1 : 0);
  if (p.action_count != count || p.next_action > actions_.size() || p.window_len > kMaxPattern ||
      p.input_len > kMaxPendingInput || p.stopped > 1)
    return Error{"console script progress does not fit this script"};
  delivered_ = p.delivered;
  next_ = p.next_action;
  stopped_ = p.stopped != 0;
  window_.assign(p.window.begin(), p.window.begin() + p.window_len);
  input_.assign(p.input.begin(), p.input.begin() + p.input_len);
  return Ok{};
}

Result<std::string> decode_escapes(const std::string& text) {
  std::string out;
  for (size_t k = 0; k < text.size(); ++k) {
    if (text[k] != '\\') {
      out.push_back(text[k]);
      continue;
    }
    if (++k == text.size()) return Error{fmt::format("'{}': a lone backslash at the end", text)};
    switch (text[k]) {
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'e': out.push_back('\x1b'); break;
      case '\\': out.push_back('\\'); break;
      case 'x': {
        auto hex = [](char h) -> int {
          if (h >= '0' && h <= '9') return h - '0';
          if (h >= 'a' && h <= 'f') return h - 'a' + 10;
          if (h >= 'A' && h <= 'F') return h - 'A' + 10;
          return -1;
        };
        const int hi = k + 1 < text.size() ? hex(text[k + 1]) : -1;
        const int lo = k + 2 < text.size() ? hex(text[k + 2]) : -1;
        if (hi < 0 || lo < 0) return Error{fmt::format("'{}': \\x needs two hex digits", text)};
        out.push_back(static_cast<char>(hi * 16 + lo));
        k += 2;
        break;
      }
      default: return Error{fmt::format("'{}': unknown escape \\{}", text, text[k])};
    }
  }
  return out;
}

}  // namespace lockstep::machines
