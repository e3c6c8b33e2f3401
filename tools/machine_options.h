#pragma once
// The options that say which machine runs and what it runs (-M, -m, -smp, -bios, -kernel, -append,
// -initrd, -drive, -device, --seed, --htif, the console script): `lockstep run` and
// `lockstep fuzz migration --guest-run` take the same spelling and mean the same thing.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/result.h"
#include "machines/console/console_script.h"
#include "machines/virt/virt_machine.h"
#include "net/netdev_options.h"

namespace lockstep::tools {

// The options as typed; `resolve_machine_options` checks them.
struct MachineOptionTexts {
  std::string machine = "virt";
  std::string memory = "128M";
  std::string smp = "1";
  std::vector<std::string> drives;
  std::vector<std::string> devices;
  std::vector<std::string> netdevs;  // -netdev, as typed
  std::vector<std::string> send_on;  // pattern, text, pattern, text, ...
  std::string stop_on;
  std::string rtc;  // -rtc base=...,clock=vm
  machines::virt::VirtConfig config;  // bios, kernel, append, initrd, seed, htif as typed
};

void add_machine_options(CLI::App& app, MachineOptionTexts& texts);

struct MachineSetup {
  machines::virt::VirtConfig config;
  machines::ConsoleScript script;
  // -rtc base=utc read the host's clock: an input a recording must keep (replay uses this value).
  bool rtc_from_host = false;
  // The NICs whose -netdev is on the host (user, socket, stream): the run opens these backends;
  // a replay does not (its frames come from the trace). An echo netdev is the machine's own.
  struct HostNetwork {
    unsigned nic = 0;  // index among the machine's virtio-net devices
    net::NetdevOptions netdev;
  };
  std::vector<HostNetwork> host_networks;
};

// The machine and console script the options describe, or a one-line error (no command prefix).
// `-M help` is the caller's to handle before this.
Result<MachineSetup> resolve_machine_options(const MachineOptionTexts& texts);

// Words of a command line as a POSIX shell splits it without expanding anything: blanks separate,
// '...' and "..." quote, a backslash escapes the next character (inside "..." only before " or \).
Result<std::vector<std::string>> split_command_line(const std::string& text);

}  // namespace lockstep::tools
