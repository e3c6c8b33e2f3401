#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "core/result.h"

namespace lockstep::machines {

// The deterministic console driver behind --send-on and --stop-on. It watches what the guest
// prints; once the output since the previous action contains the next action's pattern, that
// action's text is queued for the UART receiver (or, for the final --stop-on, the run stops).
// The board feeds the queued bytes to the UART only at instruction-determined moments, so
// input arrives at the same icount in every run.
class ConsoleScript {
 public:
  struct Action {
    std::string pattern;
    std::string text;  // bytes to send; empty for the stop action
    bool stop = false;
  };

  void add_send(std::string pattern, std::string text) { actions_.push_back({std::move(pattern), std::move(text), false}); }
  void set_stop(std::string pattern) { stop_ = Action{std::move(pattern), {}, true}; has_stop_ = true; }
  bool empty() const { return actions_.empty() && !has_stop_; }

  // Every byte the guest writes to the console.
  void observe_output(char c);
  bool has_input() const { return !input_.empty(); }
  char next_input() const { return input_.front(); }
  void pop_input() {
    input_.pop_front();
    ++delivered_;
  }
  // True once the stop pattern has appeared after the last send.
  bool stop_requested() const { return stopped_; }
  // Input bytes handed to the UART so far.
  std::uint64_t delivered() const { return delivered_; }
  // What the script still waits for (for a clear message when the guest ends first).
  std::string pending_description() const;

  static constexpr std::size_t kMaxPattern = 256;       // --send-on/--stop-on pattern bytes
  static constexpr std::size_t kMaxPendingInput = 4096;  // queued, not yet delivered input bytes
  // How far the script has got: migrated (section lockstep/console), so a destination started with
  // the same --send-on/--stop-on continues where the source was. Fixed-size, padding-free.
  struct Progress {
    std::uint64_t delivered = 0;     // input bytes handed to the UART so far (the input cursor)
    std::uint32_t action_count = 0;  // configuration: --send-on count + (1 if --stop-on)
    std::uint32_t next_action = 0;
    std::uint32_t window_len = 0;    // the tail of the output that can still complete a match
    std::uint32_t input_len = 0;
    std::uint32_t stopped = 0;
    std::uint32_t reserved = 0;
    std::array<std::uint8_t, kMaxPattern> window{};
    std::array<std::uint8_t, kMaxPendingInput> input{};
  };
  // Fails when more input is queued than a Progress holds (a guest that never reads its console).
  Result<Progress> progress() const;
  // A Progress loaded for this script (action_count checked by the loader).
  Status restore(const Progress& p);

 private:
  std::vector<Action> actions_;
  Action stop_;
  bool has_stop_ = false;
  size_t next_ = 0;
  std::string window_;  // output since the previous action
  std::deque<char> input_;
  bool stopped_ = false;
  std::uint64_t delivered_ = 0;
};

// Decodes \n \r \t \\ \xHH (and \e) in a --send-on text; anything else is an error.
Result<std::string> decode_escapes(const std::string& text);

}  // namespace lockstep::machines
