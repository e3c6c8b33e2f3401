#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "machines/virt/machine_versions.h"
#include "tools/commands.h"
#include "tools/qemu_style_args.h"
#include "tools/run_options.h"
#include "tools/run_session.h"

namespace lockstep::tools {

int run_main(int argc, char** argv) {
  CLI::App app{
      "Run a guest on lockstep's deterministic RISC-V virt machine.\n"
      "Options spelled as in QEMU mean the same thing: lockstep run -M virt -m 256M -bios none -kernel guest.elf\n"
      "Console output goes to stdout; stdin is the console's input when stdin and stdout are terminals, or with\n"
      "-nographic (Ctrl-A x quits, Ctrl-A h helps). The exit code is the guest's (sifive_test or HTIF), 3 when\n"
      "--max-insns stopped the run, 4 when the guest can make no progress (every hart waits for an interrupt that\n"
      "cannot come, or a hart's trap vector cannot be fetched), 5 when the run ended before a --save-at or\n"
      "--migrate-at icount (nothing written or sent), 1 on errors.",
      "lockstep run"};
  app.get_formatter()->column_width(34);
  RunOptionTexts texts;
  add_run_options(app, texts);

  std::vector<std::string> args = qemu_style_args(argc, argv);
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "lockstep run: {}\n", e.what());
    return kExitError;
  }
  auto options = resolve_run_options(texts);
  if (!options) {
    fmt::print(stderr, "lockstep run: {}\n", options.error().message);
    return kExitError;
  }
  if (options->machine_help) {
    fmt::print("{}", machines::virt::machine_version_help());
    return 0;
  }
  RunHooks hooks;
  return run_guest(options.value(), hooks, "lockstep run");
}

}  // namespace lockstep::tools
