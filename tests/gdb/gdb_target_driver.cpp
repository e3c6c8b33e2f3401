// A guest served to gdb, for the end-to-end tests (and by hand) until `lockstep run -gdb` exists:
//
//   gdb_target_driver --kernel guest.elf [--bios none|default|PATH] [--smp N] [--memory MiB]
//                     [--gdb tcp::0|tcp::PORT|unix:PATH] [--port-file F] [--wait]
//                     [--interval N] [--cap MiB] [--verify] [--jit THRESHOLD]
//
// The console goes to stdout (once: reverse execution does not print it again). With tcp::0 the
// kernel picks a free port, written to --port-file when gdb can connect. Exits with the guest's
// exit code, 0 when gdb kills it, 70 on an error.

#include <charconv>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "jit/jit.h"
#include "machines/virt/virt_machine.h"
#include "replay/gdb/gdb_server.h"

namespace {

namespace gdb = lockstep::replay::gdb;
using lockstep::machines::virt::VirtConfig;
using lockstep::machines::virt::VirtMachine;

constexpr int kErrorExit = 70;

bool number(std::string_view text, std::uint64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

}  // namespace

int main(int argc, char** argv) {
  VirtConfig config;
  config.bios = "none";
  gdb::GdbServerOptions options;
  options.listen = "tcp::0";
  std::string port_file;
  std::optional<std::uint32_t> jit_threshold;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const bool has_value = i + 1 < argc;
    const std::string_view v = has_value ? argv[i + 1] : "";
    std::uint64_t n = 0;
    if (a == "--wait") {
      options.wait_for_attach = true;
      continue;
    }
    if (a == "--verify") {
      options.engine.checkpoints.verify = true;
      continue;
    }
    if (!has_value) {
      fmt::print(stderr, "gdb_target_driver: {} needs a value\n", a);
      return kErrorExit;
    }
    ++i;
    if (a == "--kernel") {
      config.kernel = v;
    } else if (a == "--bios") {
      config.bios = v;
    } else if (a == "--gdb") {
      options.listen = v;
    } else if (a == "--port-file") {
      port_file = v;
    } else if (a == "--smp" && number(v, n) && n >= 1 && n <= 8) {
      config.smp = static_cast<unsigned>(n);
    } else if (a == "--memory" && number(v, n) && n >= 16 && n <= 4096) {
      config.ram_size = n << 20;
    } else if (a == "--interval" && number(v, n) && n > 0) {
      options.engine.checkpoints.interval = n;
    } else if (a == "--jit" && number(v, n) && n > 0 && n < (1u << 31)) {
      jit_threshold = static_cast<std::uint32_t>(n);
    } else if (a == "--cap" && number(v, n) && n > 0) {
      options.engine.checkpoints.memory_cap = n << 20;
    } else {
      fmt::print(stderr, "gdb_target_driver: bad option {} {}\n", a, v);
      return kErrorExit;
    }
  }
  if (config.kernel.empty()) {
    fmt::print(stderr, "gdb_target_driver: --kernel ELF is needed\n");
    return kErrorExit;
  }
  gdb::ConsoleGate console([](std::uint8_t c) {
    std::fputc(c, stdout);
    std::fflush(stdout);
  });
  auto vm = VirtMachine::create(config, console.sink());
  if (!vm) {
    fmt::print(stderr, "gdb_target_driver: {}\n", vm.error().message);
    return kErrorExit;
  }
  // The JIT under the interpreter, as `lockstep run --jit=on` has it: the debugger keeps it for
  // runs with nothing to check and tells it of the code it drops.
  std::unique_ptr<lockstep::jit::Jit> jit;
  if (jit_threshold) {
    lockstep::jit::JitOptions jo;
    jo.threshold = *jit_threshold;
    jit = lockstep::jit::Jit::create(jo);
    vm.value()->hart(0).code->tier = jit.get();
  }
  options.console = &console;
  options.listening = [&](std::string_view address, std::uint16_t port) {
    if (port_file.empty()) return;
    // Written whole, then renamed: a test connects once the file appears.
    const std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << (port ? std::to_string(port) : std::string(address)) << "\n";
    std::rename(tmp.c_str(), port_file.c_str());
  };
  auto end = gdb::serve_gdb(*vm.value(), options);
  if (!end) {
    fmt::print(stderr, "gdb_target_driver: {}\n", end.error().message);
    return kErrorExit;
  }
  return end->kind == gdb::GdbServeEnd::Kind::GuestExited ? end->exit_code : 0;
}
