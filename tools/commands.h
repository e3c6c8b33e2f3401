#pragma once
#include <string_view>
#include <vector>

namespace lockstep::tools {

// One row per subcommand: the explicit table that main() dispatches on.
struct Command {
  std::string_view name;
  std::string_view summary;
  int (*main)(int argc, char** argv);  // argv[0] is the subcommand name
};

int run_main(int argc, char** argv);
int bench_main(int argc, char** argv);
int snapshot_main(int argc, char** argv);  // tools/snapshot_command.cpp

}  // namespace lockstep::tools
