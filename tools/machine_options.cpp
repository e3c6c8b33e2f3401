#include "tools/machine_options.h"

#include <time.h>

#include <ctime>
#include <map>

#include <fmt/format.h>

#include "tools/option_values.h"

namespace lockstep::tools {

void add_machine_options(CLI::App& app, MachineOptionTexts& t) {
  app.add_option("-M,--machine", t.machine, "machine type: virt (the newest version), virt-1.0, virt-1.1, virt-2.0, "
                                            "virt-2.1; -M help lists them")
      ->capture_default_str();
  app.add_option("-m,--memory", t.memory, "guest RAM size, QEMU spelling: 256M, 1G, 512 (MiB)")->capture_default_str();
  app.add_option("--smp", t.smp, "number of harts, 1 to 8 (QEMU: -smp N or -smp cpus=N)")->capture_default_str();
  app.add_option("--bios", t.config.bios,
                 "firmware: none, a file (ELF or raw, loaded at 0x80000000), or default (Debian's OpenSBI)")
      ->capture_default_str();
  app.add_option("--kernel", t.config.kernel,
                 "kernel: an ELF (loaded at its addresses; with -bios none it starts at its entry in M-mode) "
                 "or a raw image (loaded after the firmware, 2 MiB aligned)");
  app.add_option("--append", t.config.append, "kernel command line (device tree /chosen/bootargs)");
  app.add_option("--initrd", t.config.initrd,
                 "initial ram disk, loaded high in RAM (device tree /chosen/linux,initrd-*)");
  app.add_option("--dtb", t.config.dtb,
                 "device tree for the guest instead of the board's, edited as QEMU does (-append sets bootargs, "
                 "-initrd the initrd range)");
  app.add_option("--drive", t.drives,
                 "a disk: file=F,format=raw,if=virtio|none[,id=ID][,readonly=on][,snapshot=on]; if=virtio puts it on the "
                 "next free virtio-mmio slot, if=none waits for -device virtio-blk-device,drive=ID (snapshot=on keeps "
                 "writes in memory)");
  app.add_option("--send-on", t.send_on,
                 "PATTERN TEXT: once the console output since the previous action contains PATTERN, type TEXT "
                 "(escapes \\n \\r \\t \\xHH); repeatable, in order")
      ->type_size(2)
      ->allow_extra_args(false);
  app.add_option("--stop-on", t.stop_on, "after the last --send-on, stop (exit 0) once the output contains PATTERN");
  app.add_option("--device", t.devices,
                 "add a virtio-mmio device: virtio-blk-device,drive=ID (a -drive if=none,id=ID), "
                 "virtio-net-device,netdev=ID[,mac=52:54:00:12:34:56] (a -netdev id=ID) or virtio-rng-device (a "
                 "deterministic stream from --seed); they take the slots after the if=virtio disks, in order");
  app.add_option("--netdev", t.netdevs,
                 "a network backend for -device virtio-net-device,netdev=ID: user,id=ID[,hostfwd=tcp::HOSTPORT-:GUESTPORT]"
                 "[,net=,host=,dns=,dhcpstart=,restrict=,ipv6=] (libslirp, as QEMU), socket,id=ID,listen=[HOST]:PORT|"
                 "connect=HOST:PORT, stream,id=ID,server=on|off,addr.type=inet|unix,... (two guests on one wire), or "
                 "echo,id=ID[,ip=A.B.C.D] (lockstep's deterministic test host: answers ARP, ping and UDP port 7)");
  app.add_option("--seed", t.config.seed,
                 "machine seed: virtio-rng's stream and /chosen/rng-seed derive from it (with -dtb, rng-seed is what "
                 "QEMU 7.2 writes under -seed N)")
      ->capture_default_str();
  app.add_option("--rtc", t.rtc,
                 "base=utc|DATE[,clock=vm]: the RTC's time at reset; DATE is YYYY-MM-DDTHH:MM:SS (UTC). utc reads the "
                 "host's clock once (a recording keeps the value). Default: base=2026-01-01T00:00:00, so runs repeat");
  app.add_flag("--htif", t.config.htif, "require HTIF (tohost/fromhost) even if the ELF has no tohost symbol");
}

namespace {

Result<machines::ConsoleScript> console_script(const MachineOptionTexts& t) {
  machines::ConsoleScript script;
  for (size_t k = 0; k + 1 < t.send_on.size(); k += 2) {
    auto pattern = machines::decode_escapes(t.send_on[k]);
    auto text = machines::decode_escapes(t.send_on[k + 1]);
    if (!pattern || !text) return Error{"--send-on: " + (!pattern ? pattern.error() : text.error()).message};
    if (pattern->empty() || pattern->size() > machines::ConsoleScript::kMaxPattern) {
      return Error{fmt::format("--send-on: the pattern must be 1 to {} bytes", machines::ConsoleScript::kMaxPattern)};
    }
    if (text->size() > machines::ConsoleScript::kMaxPendingInput) {
      return Error{fmt::format("--send-on: the text must be at most {} bytes", machines::ConsoleScript::kMaxPendingInput)};
    }
    script.add_send(pattern.value(), text.value());
  }
  if (!t.stop_on.empty()) {
    auto pattern = machines::decode_escapes(t.stop_on);
    if (!pattern || pattern->empty() || pattern->size() > machines::ConsoleScript::kMaxPattern) {
      return Error{"--stop-on: " + (pattern ? fmt::format("the pattern must be 1 to {} bytes",
                                                          machines::ConsoleScript::kMaxPattern)
                                            : pattern.error().message)};
    }
    script.set_stop(pattern.value());
  }
  return script;
}

using machines::virt::VirtioDeviceConfig;

// -drive if=virtio disks take the top slots in their order, then the -device devices in theirs.
// QEMU 7.2 would put an if=virtio disk on its PCI bus, which this board does not have; `-drive
// if=none,id=ID -device virtio-blk-device,drive=ID` is the spelling that means the same to both.
Status resolve_virtio_devices(const MachineOptionTexts& t, std::vector<VirtioDeviceConfig>& out,
                              std::vector<MachineSetup::HostNetwork>& host_networks) {
  struct NamedDrive {
    machines::virt::DriveConfig drive;
    bool used = false;
  };
  std::map<std::string, NamedDrive> named;
  for (const std::string& text : t.drives) {
    auto d = parse_drive(text);
    if (!d) return d.error();
    const machines::virt::DriveConfig drive{d->file, d->read_only, d->snapshot};
    if (!d->id.empty() && named.count(d->id)) return Error{fmt::format("-drive: Duplicate ID '{}' for drive", d->id)};
    if (d->interface == "virtio") out.push_back({VirtioDeviceConfig::Kind::Blk, drive, {}});
    if (!d->id.empty()) named[d->id] = {drive, d->interface == "virtio"};
  }
  struct NamedNetdev {
    net::NetdevOptions options;
    bool used = false;
  };
  std::map<std::string, NamedNetdev> netdevs;
  std::vector<std::string> netdev_order;
  for (const std::string& text : t.netdevs) {
    LS_TRY_ASSIGN(net::NetdevOptions n, net::parse_netdev(text));
    if (netdevs.count(n.id)) return Error{fmt::format("-netdev {}: Duplicate ID '{}' for netdev", text, n.id)};
    netdev_order.push_back(n.id);
    const std::string id = n.id;  // the right side is evaluated first and moves n
    netdevs[id] = {std::move(n), false};
  }
  unsigned nics = 0;
  for (const std::string& text : t.devices) {
    const auto comma = text.find(',');
    const std::string name = text.substr(0, comma);
    std::map<std::string, std::string> props;
    if (comma != std::string::npos) {
      auto p = parse_key_values(text.substr(comma + 1), "-device " + name);
      if (!p) return p.error();
      for (auto& [key, value] : p.value())
        if (!props.emplace(key, value).second) return Error{fmt::format("-device {}: {} given twice", name, key)};
    }
    if (name == "virtio-rng-device" || name == "virtio-rng") {
      if (!props.empty()) return Error{fmt::format("-device {}: unknown property '{}'", name, props.begin()->first)};
      out.push_back({VirtioDeviceConfig::Kind::Rng, {}, {}});
    } else if (name == "virtio-blk-device") {
      for (const auto& [key, value] : props)
        if (key != "drive") return Error{fmt::format("-device {}: unknown property '{}'", name, key)};
      if (!props.count("drive")) return Error{"-device virtio-blk-device: drive property not set"};
      const std::string& id = props.at("drive");
      auto it = named.find(id);
      if (it == named.end()) {
        return Error{
            fmt::format("-device virtio-blk-device: Property 'virtio-blk-device.drive' can't find value '{}'", id)};
      }
      if (it->second.used) return Error{fmt::format("-device virtio-blk-device: Drive '{}' is already in use", id)};
      it->second.used = true;
      out.push_back({VirtioDeviceConfig::Kind::Blk, it->second.drive, {}});
    } else if (name == "virtio-net-device") {
      for (const auto& [key, value] : props)
        if (key != "netdev" && key != "mac") return Error{fmt::format("-device {}: unknown property '{}'", name, key)};
      VirtioDeviceConfig dev{VirtioDeviceConfig::Kind::Net, {}, {}};
      dev.nic.mac = devices::VirtioNet::default_mac(nics);
      if (props.count("mac")) {
        auto mac = net::parse_mac(props.at("mac"));
        if (!mac) return Error{fmt::format("-device virtio-net-device: Property 'virtio-net-device.mac' doesn't take "
                                           "value '{}' ({})",
                                           props.at("mac"), mac.error().message)};
        dev.nic.mac = mac.value();
      }
      // QEMU allows a NIC without a backend (its frames go nowhere); so does lockstep.
      if (props.count("netdev")) {
        const std::string& id = props.at("netdev");
        auto it = netdevs.find(id);
        if (it == netdevs.end())
          return Error{fmt::format("-device virtio-net-device: Property 'virtio-net-device.netdev' can't find value '{}'",
                                   id)};
        if (it->second.used)
          return Error{fmt::format("-device virtio-net-device: Property 'virtio-net-device.netdev' can't take value "
                                   "'{}', it's in use",
                                   id)};
        it->second.used = true;
        dev.nic.netdev = id;
        const net::NetdevOptions& n = it->second.options;
        if (n.kind == net::NetdevKind::Echo) {
          devices::NetEchoPeer::Options echo;
          echo.mac = n.echo.mac;
          echo.delay_ns = std::uint64_t{n.echo.delay_us} * 1000;
          for (int k = 0; k < 4; ++k) echo.ip[k] = static_cast<std::uint8_t>(n.echo.ip.value >> (24 - 8 * k));
          dev.nic.echo = echo;
        } else {
          host_networks.push_back({nics, n});
        }
      }
      out.push_back(dev);
      ++nics;
    } else {
      return Error{fmt::format("-device {}: unknown device (supported: virtio-blk-device,drive=ID, "
                               "virtio-net-device,netdev=ID, virtio-rng-device)",
                               name)};
    }
  }
  for (const std::string& id : netdev_order)
    if (!netdevs.at(id).used) fmt::print(stderr, "lockstep: warning: netdev {} has no peer\n", id);
  return Ok{};
}

// QEMU's -rtc: base=utc|localtime|DATE, clock=host|rt|vm, driftfix=none|slew.
Status resolve_rtc(const std::string& text, MachineSetup& setup) {
  LS_TRY_ASSIGN(auto props, parse_key_values(text, "-rtc"));
  for (const auto& [key, value] : props) {
    if (key == "base") {
      if (value == "utc") {
        timespec now{};
        ::clock_gettime(CLOCK_REALTIME, &now);
        setup.config.rtc_base_ns = static_cast<core::u64>(now.tv_sec) * 1000000000u + static_cast<core::u64>(now.tv_nsec);
        setup.rtc_from_host = true;
      } else if (value == "localtime") {
        return Error{"-rtc base=localtime: the guest's clock is UTC here; give base=utc or a date"};
      } else {
        std::tm tm{};
        const char* end = ::strptime(value.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
        if (!end || *end) end = ::strptime(value.c_str(), "%Y-%m-%d", &tm);
        if (!end || *end || tm.tm_year < 70)
          return Error{fmt::format("-rtc base '{}': give utc or a date YYYY-MM-DDTHH:MM:SS from 1970 on", value)};
        setup.config.rtc_base_ns = static_cast<core::u64>(::timegm(&tm)) * 1000000000u;
      }
    } else if (key == "clock") {
      if (value != "vm")
        return Error{fmt::format("-rtc clock={}: lockstep's only clock is the instruction count (clock=vm)", value)};
    } else if (key == "driftfix") {
      if (value != "none" && value != "slew") return Error{fmt::format("-rtc driftfix={}: none or slew", value)};
    } else {
      return Error{fmt::format("-rtc: unknown option '{}' (base, clock, driftfix)", key)};
    }
  }
  return Ok{};
}

}  // namespace

Result<MachineSetup> resolve_machine_options(const MachineOptionTexts& t) {
  MachineSetup setup;
  setup.config = t.config;
  if (!t.rtc.empty()) LS_TRY(resolve_rtc(t.rtc, setup));
  if (!machines::virt::find_machine_version(t.machine)) {
    return Error{fmt::format("unsupported machine type '{}' (use -M help for a list)", t.machine)};
  }
  setup.config.machine = t.machine;
  auto ram = parse_memory_size(t.memory);
  if (!ram) return ram.error();
  setup.config.ram_size = ram.value();
  auto harts = parse_count(t.smp.rfind("cpus=", 0) == 0 ? t.smp.substr(5) : t.smp, "-smp");
  if (!harts || harts.value() < 1 || harts.value() > 8) {
    return Error{fmt::format("invalid -smp '{}': this board supports 1 to 8 harts", t.smp)};
  }
  setup.config.smp = static_cast<unsigned>(harts.value());
  LS_TRY(resolve_virtio_devices(t, setup.config.virtio, setup.host_networks));
  auto script = console_script(t);
  if (!script) return script.error();
  setup.script = std::move(script.value());
  return setup;
}

// CLI11's own splitter (CLI::detail::split_up) quotes only whole words and makes empty words of
// repeated blanks, so `file='a b'` or two spaces would not mean what a shell user typed.
Result<std::vector<std::string>> split_command_line(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote == '\'') {
      if (c == '\'') quote = 0; else word += c;
    } else if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
        word += text[++i];
      } else {
        word += c;
      }
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      in_word = true;
      if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '\\') {
        if (i + 1 == text.size()) return Error{"a backslash ends the command line"};
        word += text[++i];
      } else {
        word += c;
      }
    }
  }
  if (quote) return Error{fmt::format("unterminated {} quote", quote == '\'' ? "single" : "double")};
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace lockstep::tools
