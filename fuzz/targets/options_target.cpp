// The QEMU-style option values `lockstep run` parses: -m (parse_memory_size), -drive (parse_drive),
// -smp (parse_count, with the "cpus=" spelling run_command.cpp strips), and the one-dash to two-dash
// rewriting of a whole command line (qemu_style_args). Each input line is given to every parser; the
// lines together are the command line.
// fuzz-seeds: options
// fuzz-dict: options.dict
#include <cstdint>
#include <string>
#include <vector>

#include "tools/option_values.h"
#include "tools/qemu_style_args.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lockstep;
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines;
  for (std::size_t begin = 0; begin <= input.size();) {
    const std::size_t end = std::min(input.find('\n', begin), input.size());
    lines.push_back(input.substr(begin, end - begin));
    begin = end + 1;
  }
  for (const std::string& line : lines) {
    (void)tools::parse_memory_size(line);
    (void)tools::parse_drive(line);
    (void)tools::parse_count(line.rfind("cpus=", 0) == 0 ? line.substr(5) : line, "-smp");
  }
  std::vector<char*> argv;
  std::string program = "lockstep";
  argv.push_back(program.data());
  for (std::string& line : lines) argv.push_back(line.data());
  argv.push_back(nullptr);
  (void)tools::qemu_style_args(static_cast<int>(argv.size() - 1), argv.data());
  return 0;
}
