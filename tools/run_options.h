#pragma once
// `lockstep run`'s options, parsed once: run, record, replay and debug read the same spelling.
// parse → RunOptionTexts (as typed) → resolve_run_options → RunOptions (checked) → run_guest().
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/result.h"
#include "jit/jit.h"
#include "tools/machine_options.h"
#include "tools/migration_channel.h"

namespace lockstep::tools {

struct RunOptionTexts {
  MachineOptionTexts machine;
  std::string max_insns;
  bool digest = false, trace = false;
  std::string jit = "auto";
  std::string jit_threshold, jit_cache;
  bool jit_stats = false, jit_verify = false, jit_compile_thread = false;
  std::string signature, dumpdtb, dump_vmstate, describe;
  std::vector<std::string> save_at;
  std::string incoming, migrate_at;
  unsigned incoming_timeout = 0;
  bool nographic = false;
  std::string serial;
  bool gdb_default = false, gdb_wait = false;  // -s, -S
  std::string gdb, gdb_interval, gdb_memory;
};

void add_run_options(CLI::App& app, RunOptionTexts& texts);

// Where the console's input comes from.
enum class ConsoleInput {
  None,     // nothing (stdin is not read)
  Stdin,    // stdin as QEMU's -nographic reads it: raw mode on a terminal, Ctrl-A escapes
};

struct RunOptions {
  MachineSetup setup;
  bool machine_help = false;  // -M help: print the list, nothing else
  std::optional<std::uint64_t> max_insns;
  bool digest = false, trace = false;
  std::string jit = "auto";
  lockstep::jit::JitOptions jit_options;
  bool jit_stats = false;
  std::string signature_path, dumpdtb_path, dump_vmstate_path, describe_path;
  std::vector<CutPoint> cuts;  // --save-at and --migrate-at, in icount order
  std::optional<MigrationEndpoint> incoming;
  unsigned incoming_timeout = 0;
  ConsoleInput console_input = ConsoleInput::None;
  // The GDB remote stub (-s, -gdb DEV, -S): the run is served to gdb, with reverse execution.
  std::optional<std::string> gdb_listen;
  bool gdb_wait = false;
  std::uint64_t gdb_checkpoint_interval = std::uint64_t{1} << 22;
  std::uint64_t gdb_checkpoint_memory = std::uint64_t{1} << 30;
  // Writes something and exits without running (--dumpdtb, --dump-vmstate, --describe-destination).
  bool describe_only() const { return !dumpdtb_path.empty() || !dump_vmstate_path.empty() || !describe_path.empty(); }
};

// Errors are one line without a command prefix.
Result<RunOptions> resolve_run_options(const RunOptionTexts& texts);

// The words after `lockstep run` (QEMU's single-dash spellings accepted), as record keeps them and
// replay reads them back. `--help` is an error here: callers that offer help parse themselves.
// With `later_wins`, an option given twice takes its last value (a recorded command line with
// changes appended: `lockstep replay --compare`); otherwise that is an error, as for `lockstep run`.
Result<RunOptions> parse_run_options(const std::vector<std::string>& args, bool later_wins = false);

// The option table's help text, for commands that take run options after "--".
std::string run_options_help();

}  // namespace lockstep::tools
