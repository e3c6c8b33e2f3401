#pragma once
// `lockstep snapshot <info|dump|diff|check|explain>`: one file per subcommand (tools/snapshot_*.cpp),
// dispatched from the table in snapshot_command.cpp. The work is done by snapshot/inspect.
#include <string>

#include "snapshot/stream/format.h"

namespace lockstep::snapshot::inspect {}

namespace lockstep::tools::snapshot_cli {

namespace inspect = lockstep::snapshot::inspect;

// Exit codes shared by the subcommands.
inline constexpr int kExitOk = 0;         // identical / compatible / read without error
inline constexpr int kExitDifferent = 1;  // diff: different; check/explain: incompatible
inline constexpr int kExitError = 2;      // damaged input, bad options, unreadable files

int info_main(int argc, char** argv);
int dump_main(int argc, char** argv);
int diff_main(int argc, char** argv);
int check_main(int argc, char** argv);
int explain_main(int argc, char** argv);

// --json output: indented, invalid UTF-8 from the stream (idstrs, RAM block names) as U+FFFD.
void print_json(const snapshot::stream::Json& doc);

// Colour only when stdout is a terminal and NO_COLOR is unset (https://no-color.org).
bool use_colour();

}  // namespace lockstep::tools::snapshot_cli
