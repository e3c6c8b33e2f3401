#include "tools/host_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

extern char** environ;

namespace lockstep::tools {

std::string ProcessResult::status() const {
  if (spawn_failed) return "could not start";
  if (timed_out) return "timeout";
  if (output_limit) return "output limit";
  if (signal != 0) return "signal " + std::to_string(signal);
  return "exit " + std::to_string(exit_code);
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  ProcessResult r;
  const auto start = std::chrono::steady_clock::now();
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    r.spawn_failed = true;
    return r;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    r.spawn_failed = true;
    return r;
  }
  const bool interactive = !options.respond_when_output_contains.empty();
  int in_pipe[2] = {-1, -1};
  if (interactive && pipe2(in_pipe, O_CLOEXEC) != 0) {
    r.spawn_failed = true;
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (interactive) {
    posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  } else {
    posix_spawn_file_actions_addopen(&fa, 0, options.stdin_file.c_str(), O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (interactive) close(in_pipe[0]);
  bool responded = false;
  if (rc != 0) {
    if (interactive) close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    r.spawn_failed = true;
    r.err = std::strerror(rc);
    return r;
  }
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  const auto deadline = start + std::chrono::seconds(options.timeout_seconds);
  bool stopped = false;
  while (open_fds > 0 && !stopped && !r.output_limit) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      r.timed_out = true;
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      const ssize_t got = read(fds[k].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[k]->append(buf, static_cast<size_t>(got));
        if (r.out.size() + r.err.size() > options.output_limit) {
          kill(pid, SIGKILL);
          r.output_limit = true;
          break;
        }
        if (k == 0 && interactive && !responded && r.out.find(options.respond_when_output_contains) != std::string::npos) {
          responded = true;
          (void)!write(in_pipe[1], options.respond_with.data(), options.respond_with.size());
        }
        if (k == 0 && !options.stop_when_output_contains.empty() &&
            r.out.find(options.stop_when_output_contains) != std::string::npos) {
          r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          kill(pid, SIGKILL);
          stopped = true;
        }
      } else if (got == 0 || errno != EINTR) {
        close(fds[k].fd);
        fds[k].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  if (interactive) close(in_pipe[1]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (stopped) {
    r.exit_code = 0;  // stopped on purpose at the expected output
    return r;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r.timed_out) {
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  }
  return r;
}

}  // namespace lockstep::tools
