#pragma once
// Runs a child process with stdin from /dev/null, captures stdout and stderr, enforces a timeout.
#include <string>
#include <vector>

namespace lockstep::tests::random {

struct ProcessResult {
  bool started = false;
  bool timed_out = false;
  bool output_limit = false;  // killed after printing more than the limit
  int exit_code = -1;         // valid when it exited normally
  int signal = 0;             // the signal that ended it, if any
  std::string out, err;

  bool ok() const { return started && !timed_out && !output_limit && signal == 0 && exit_code == 0; }
  std::string status() const;  // "exit 0", "timeout", "signal 11", ...
};

ProcessResult run_process(const std::vector<std::string>& argv, double timeout_seconds,
                          size_t output_limit = 16u << 20);

}  // namespace lockstep::tests::random
