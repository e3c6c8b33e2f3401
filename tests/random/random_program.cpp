// random_program: writes one random RV64GC test program (assembly) for the differential tester.
//   random_program --seed 7 --length 300 --out prog.S
//   random_program --list-rows       # how each decode-table row is used
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "tests/random/generator.h"

int main(int argc, char** argv) {
  namespace rnd = lockstep::tests::random;
  CLI::App app{"Writes a random bare-metal RV64GC program drawn from lockstep's decode table."};
  rnd::Options opt;
  std::string out;
  bool list_rows = false;
  app.add_option("--seed", opt.seed, "program seed");
  app.add_option("--length", opt.length, "random instructions (groups)");
  app.add_option("--repeat", opt.repeat, "passes over the random code (reuses decoded code)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--illegal", opt.illegal_percent, "percent of groups that are encodings no row matches")
      ->check(CLI::Range(0, 100));
  app.add_option("--checkpoints", opt.checkpoint_percent,
                 "percent of groups that log fflags (clearing them) and a register hash")
      ->check(CLI::Range(0, 100));
  app.add_option("--misaligned", opt.misaligned_percent, "percent of loads/stores that may be misaligned")
      ->check(CLI::Range(0, 100));
  app.add_option("--exclude", opt.exclude, "mnemonics to leave out (comma-separated)")->delimiter(',');
  app.add_option("--out", out, "assembly file to write (- for stdout)");
  app.add_flag("--list-rows", list_rows, "print the decode-table rows and how the generator uses them");
  CLI11_PARSE(app, argc, argv);

  if (list_rows) {
    std::fputs(rnd::describe_rows().c_str(), stdout);
    return 0;
  }
  if (out.empty()) {
    fmt::print(stderr, "random_program: --out is required\n");
    return 2;
  }
  const rnd::Program p = rnd::generate(opt);
  if (p.groups.empty() && opt.length > 0)
    fmt::print(stderr, "random_program: the decode table offers no usable rows; the program is empty\n");
  const std::string text = rnd::emit(p).assembly;
  if (out == "-") {
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  std::ofstream f(out);
  f << text;
  if (!f) {
    fmt::print(stderr, "random_program: cannot write {}\n", out);
    return 2;
  }
  return 0;
}
