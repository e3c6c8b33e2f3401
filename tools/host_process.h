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
  bool output_limit = false;  // killed after printing more than ProcessOptions::output_limit
  double seconds = 0;  // wall time

  bool ok() const { return !spawn_failed && !timed_out && !output_limit && signal == 0 && exit_code == 0; }
  std::string status() const;  // "exit 0", "timeout", "signal 11", ...
};

struct ProcessOptions {
  int timeout_seconds = 60;
  size_t output_limit = size_t{64} << 20;  // bytes of stdout + stderr kept before the child is killed
  std::string stdin_file = "/dev/null";
  // Kill the process once its stdout contains this (for programs that never exit by themselves,
  // like QEMU at a prompt); `seconds` is then the time until it appeared.
  std::string stop_when_output_contains;
  // Type `respond_with` on stdin (a pipe then) once stdout contains `respond_when_output_contains`.
  std::string respond_when_output_contains;
  std::string respond_with;
};

// Runs argv (argv[0] searched in PATH) capturing stdout and stderr; kills it after the timeout.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options);
inline ProcessResult run_process(const std::vector<std::string>& argv, int timeout_seconds) {
  ProcessOptions options;
  options.timeout_seconds = timeout_seconds;
  return run_process(argv, options);
}

}  // namespace lockstep::tools
