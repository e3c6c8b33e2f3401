#pragma once
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <string_view>
#include <system_error>
#include <vector>

namespace lockstep::tools {

// One row per subcommand: the explicit table that main() dispatches on.
struct Command {
  std::string_view name;
  std::string_view summary;
  int (*main)(int argc, char** argv);  // argv[0] is the subcommand name
};

// Calls a command's main. fmt::print throws when it cannot write (main() ignores SIGPIPE): that is
// `error_exit` and one line on stderr, or, when the reader went away (`lockstep snapshot dump --json F
// | head`), quietly the status a shell gives such a writer.
inline int run_command(int (*command_main)(int, char**), int argc, char** argv, const char* who, int error_exit) {
  try {
    const int status = command_main(argc, argv);
    // What is still buffered is written here, while a failure can still change the exit status.
    if (std::fflush(stdout) != 0) throw std::system_error(errno, std::generic_category(), "cannot write to stdout");
    return status;
  } catch (const std::system_error& e) {
    if (e.code() == std::errc::broken_pipe) return 128 + SIGPIPE;
    std::fprintf(stderr, "%s: %s\n", who, e.what());
    return error_exit;
  }
}

int run_main(int argc, char** argv);
int bench_main(int argc, char** argv);
int snapshot_main(int argc, char** argv);  // tools/snapshot_command.cpp
int fuzz_main(int argc, char** argv);      // tools/fuzz_command.cpp
int record_main(int argc, char** argv);    // tools/record_command.cpp
int replay_main(int argc, char** argv);    // tools/replay_command.cpp
int debug_main(int argc, char** argv);     // tools/replay_command.cpp

}  // namespace lockstep::tools
