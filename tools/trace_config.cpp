#include "tools/trace_config.h"

#include <fmt/format.h>

#include "machines/virt/machine_versions.h"
#include "replay/state_digest.h"

namespace lockstep::tools {

nlohmann::ordered_json machine_json(const machines::virt::VirtConfig& c) {
  const auto version = machines::virt::find_machine_version(c.machine);
  nlohmann::ordered_json devices = nlohmann::ordered_json::array();
  for (const auto& d : c.virtio) {
    if (d.kind == machines::virt::VirtioDeviceConfig::Kind::Rng) {
      devices.push_back({{"device", "virtio-rng-device"}});
    } else if (d.kind == machines::virt::VirtioDeviceConfig::Kind::Net) {
      const auto& m = d.nic.mac;
      devices.push_back({{"device", "virtio-net-device"},
                         {"mac", fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])},
                         {"netdev", d.nic.netdev},
                         {"echo", d.nic.echo.has_value()}});
    } else {
      devices.push_back({{"device", "virtio-blk-device"}, {"file", d.drive.file}, {"readonly", d.drive.read_only},
                         {"snapshot", d.drive.snapshot}});
    }
  }
  return {{"version", version ? std::string(version->name) : c.machine},
          {"ram_size", c.ram_size},
          {"smp", c.smp},
          {"bios", c.bios},
          {"kernel", c.kernel},
          {"append", c.append},
          {"initrd", c.initrd},
          {"dtb", c.dtb},
          {"seed", c.seed},
          {"rtc_base_ns", c.rtc_base_ns},
          {"htif", c.htif},
          {"ns_per_insn", c.ns_per_insn},
          {"smp_quantum", c.smp_quantum},
          {"virtio", devices}};
}

Result<nlohmann::ordered_json> images_json(const machines::virt::VirtConfig& c) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  auto add = [&](const std::string& role, const std::string& path) -> Status {
    LS_TRY_ASSIGN(replay::ImageIdentity id, replay::image_identity(path));
    out.push_back({{"role", role}, {"path", path}, {"size", id.size}, {"xxh3", fmt::format("{:016x}", id.xxh3)}});
    return Ok{};
  };
  std::string bios = c.bios == "default" ? machines::virt::default_firmware_path() : c.bios;
  if (!bios.empty() && bios != "none") LS_TRY(add("bios", bios));
  if (!c.kernel.empty()) LS_TRY(add("kernel", c.kernel));
  if (!c.initrd.empty()) LS_TRY(add("initrd", c.initrd));
  if (!c.dtb.empty()) LS_TRY(add("dtb", c.dtb));
  for (std::size_t k = 0; k < c.virtio.size(); ++k)
    if (c.virtio[k].kind == machines::virt::VirtioDeviceConfig::Kind::Blk) LS_TRY(add(fmt::format("disk{}", k), c.virtio[k].drive.file));
  return out;
}

std::string changed_image(const nlohmann::ordered_json& recorded, const nlohmann::ordered_json& now) {
  if (!recorded.is_array() || recorded.size() != now.size()) return "the trace lists other images than this command line reads";
  for (std::size_t k = 0; k < now.size(); ++k) {
    const auto& r = recorded[k];
    const auto& n = now[k];
    if (r.value("path", "") != n["path"].get<std::string>() || r.value("role", "") != n["role"].get<std::string>())
      return fmt::format("the trace's {} is '{}', the command line reads '{}'", r.value("role", "?"), r.value("path", "?"),
                         n["path"].get<std::string>());
    const std::uint64_t rsize = r.contains("size") && r["size"].is_number_unsigned() ? r["size"].get<std::uint64_t>() : 0;
    if (rsize != n["size"].get<std::uint64_t>() || r.value("xxh3", "") != n["xxh3"].get<std::string>())
      return fmt::format("{} '{}' changed since the recording (recorded {} bytes, XXH3 {}; now {} bytes, XXH3 {})",
                         n["role"].get<std::string>(), n["path"].get<std::string>(), rsize, r.value("xxh3", "?"),
                         n["size"].get<std::uint64_t>(), n["xxh3"].get<std::string>());
  }
  return "";
}

std::string machine_difference(const nlohmann::ordered_json& recorded, const nlohmann::ordered_json& now) {
  if (!recorded.is_object()) return "the trace has no machine description";
  for (auto it = now.begin(); it != now.end(); ++it) {
    if (!recorded.contains(it.key())) return fmt::format("{}: not in the trace", it.key());
    if (recorded[it.key()] != it.value())
      return fmt::format("{}: recorded {}, here {}", it.key(), recorded[it.key()].dump(), it.value().dump());
  }
  return "";
}

}  // namespace lockstep::tools
