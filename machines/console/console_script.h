#pragma once
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
  void pop_input() { input_.pop_front(); }
  // True once the stop pattern has appeared after the last send.
  bool stop_requested() const { return stopped_; }
  // What the script still waits for (for a clear message when the guest ends first).
  std::string pending_description() const;

 private:
  std::vector<Action> actions_;
  Action stop_;
  bool has_stop_ = false;
  size_t next_ = 0;
  std::string window_;  // output since the previous action
  std::deque<char> input_;
  bool stopped_ = false;
};

// Decodes \n \r \t \\ \xHH (and \e) in a --send-on text; anything else is an error.
Result<std::string> decode_escapes(const std::string& text);

}  // namespace lockstep::machines
