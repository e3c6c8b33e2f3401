#pragma once
#include <string>
#include <vector>

namespace lockstep::tools {

// A finished child process: what it printed and how it ended. Host time is measured here for
// benchmarks only; it never reaches a guest.
struct ProcessResult {
  std::string out, err;
  int exit_code = -1;  // valid when neither signalled nor timed out
  int signal = 0;
  bool timed_out = false;
  bool spawn_failed = false;
  double seconds = 0;  // wall time
};

// Runs argv (argv[0] searched in PATH) with stdin from /dev/null, capturing stdout and stderr;
// kills it after timeout_seconds.
ProcessResult run_process(const std::vector<std::string>& argv, int timeout_seconds);

}  // namespace lockstep::tools
