#include <doctest/doctest.h>

#include "tools/machine_options.h"
#include "tools/option_values.h"

using namespace lockstep::tools;

TEST_CASE("-m takes QEMU's spellings") {
  CHECK(parse_memory_size("256M").value() == 256ull << 20);
  CHECK(parse_memory_size("256").value() == 256ull << 20);  // bare number = MiB
  CHECK(parse_memory_size("1G").value() == 1ull << 30);
  CHECK(parse_memory_size("1g").value() == 1ull << 30);
  CHECK(parse_memory_size("0.5G").value() == 512ull << 20);
  CHECK(parse_memory_size("512k").value() == 512ull << 10);
  CHECK(parse_memory_size("size=2G").value() == 2ull << 30);
  CHECK(parse_memory_size("64MB").value() == 64ull << 20);
  for (const char* bad : {"", "abc", "0", "-5", "12Q", "1.5.2G", "M", ".5G", "5.G", "0.1B", "99999999999999999999T"}) {
    INFO(bad);
    CHECK_FALSE(parse_memory_size(bad).ok());
  }
}

TEST_CASE("counts are plain decimal numbers") {
  CHECK(parse_count("0", "n").value() == 0);
  CHECK(parse_count("18446744073709551615", "n").value() == ~0ull);
  for (const char* bad : {"", "-1", "+1", "1e3", "0x10", "18446744073709551616", "12 "}) {
    INFO(bad);
    CHECK_FALSE(parse_count(bad, "n").ok());
  }
}

TEST_CASE("-drive takes QEMU's key=value list") {
  auto d = parse_drive("file=disk.img,format=raw,if=virtio,readonly=on,snapshot=on");
  REQUIRE(d.ok());
  CHECK(d->file == "disk.img");
  CHECK(d->read_only);
  CHECK(d->snapshot);
  auto comma = parse_drive("file=a,,b.img,if=virtio");
  REQUIRE(comma.ok());
  CHECK(comma->file == "a,b.img");
  CHECK_FALSE(comma->read_only);
  for (const char* bad : {"", "format=raw", "file=x,format=qcow2", "file=x,if=ide", "file=x,readonly=maybe",
                          "file=x,cache=none", "file=x,junk"}) {
    INFO(bad);
    CHECK_FALSE(parse_drive(bad).ok());
  }
}

TEST_CASE("a command line in one argument splits as a shell splits it, without expanding") {
  using V = std::vector<std::string>;
  CHECK(split_command_line("-smp 2  -kernel u-boot.bin").value() == V{"-smp", "2", "-kernel", "u-boot.bin"});
  CHECK(split_command_line("  --send-on autoboot ' ' --stop-on \"=> \"  ").value() ==
        V{"--send-on", "autoboot", " ", "--stop-on", "=> "});
  CHECK(split_command_line("-drive file='my disk.img',if=virtio").value() == V{"-drive", "file=my disk.img,if=virtio"});
  CHECK(split_command_line(R"(--send-on '=> ' 'virtio scan\n')").value() == V{"--send-on", "=> ", R"(virtio scan\n)"});
  CHECK(split_command_line(R"(a\ b "c\"d" "e\n" $HOME *)").value() == V{"a b", "c\"d", R"(e\n)", "$HOME", "*"});
  CHECK(split_command_line("'' x").value() == V{"", "x"});
  CHECK(split_command_line("").value().empty());
  CHECK(split_command_line("-kernel 'u-boot.bin").error().message == "unterminated single quote");
  CHECK(split_command_line("a \"b").error().message == "unterminated double quote");
  CHECK(split_command_line("a\\").error().message == "a backslash ends the command line");
}

TEST_CASE("machine options resolve to the machine lockstep run would build") {
  CLI::App app;
  MachineOptionTexts t;
  add_machine_options(app, t);
  const char* argv[] = {"x", "--smp", "cpus=2", "-m", "64M", "--kernel", "k.elf", "--drive",
                        "file=d.img,format=raw,if=virtio,snapshot=on", "--send-on", "=> ", "ls\\n", "--stop-on", "$ "};
  app.parse(static_cast<int>(std::size(argv)), const_cast<char**>(argv));
  auto setup = resolve_machine_options(t);
  REQUIRE(setup.ok());
  CHECK(setup->config.smp == 2);
  CHECK(setup->config.ram_size == 64ull << 20);
  CHECK(setup->config.kernel == "k.elf");
  REQUIRE(setup->config.virtio.size() == 1);
  CHECK(setup->config.virtio[0].drive.snapshot);
  t.smp = "9";
  CHECK(resolve_machine_options(t).error().message == "invalid -smp '9': this board supports 1 to 8 harts");
  t.smp = "1";
  t.machine = "virt-9.9";
  CHECK(resolve_machine_options(t).error().message == "unsupported machine type 'virt-9.9' (use -M help for a list)");
  t.machine = "virt";
  t.send_on = {"", "x"};
  CHECK(resolve_machine_options(t).error().message.rfind("--send-on: the pattern must be 1 to", 0) == 0);
}

// -drive if=none,id=ID and -device virtio-blk-device,drive=ID, QEMU's spelling for a virtio-mmio
// disk: if=virtio disks first, then the -device devices in their order.
TEST_CASE("virtio devices from -drive and -device") {
  using Kind = lockstep::machines::virt::VirtioDeviceConfig::Kind;
  MachineOptionTexts t;
  t.drives = {"file=a.img,format=raw,if=none,id=d0", "file=b.img,if=virtio", "file=c.img,if=none,id=d1,readonly=on"};
  t.devices = {"virtio-rng-device", "virtio-blk-device,drive=d1", "virtio-blk-device,drive=d0"};
  auto setup = resolve_machine_options(t);
  REQUIRE(setup.ok());
  const auto& v = setup->config.virtio;
  REQUIRE(v.size() == 4);
  CHECK((v[0].kind == Kind::Blk && v[0].drive.file == "b.img"));
  CHECK(v[1].kind == Kind::Rng);
  CHECK((v[2].kind == Kind::Blk && v[2].drive.file == "c.img" && v[2].drive.read_only));
  CHECK((v[3].kind == Kind::Blk && v[3].drive.file == "a.img"));

  const auto error = [&](std::vector<std::string> drives, std::vector<std::string> devices) {
    t.drives = std::move(drives);
    t.devices = std::move(devices);
    auto r = resolve_machine_options(t);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  CHECK(error({"file=a.img,if=none"}, {}) == "-drive: if=none needs id= (a -device virtio-blk-device,drive=ID attaches it)");
  CHECK(error({"file=a.img,if=none,id=d", "file=b.img,if=none,id=d"}, {}) == "-drive: Duplicate ID 'd' for drive");
  CHECK(error({}, {"virtio-blk-device"}) == "-device virtio-blk-device: drive property not set");
  CHECK(error({}, {"virtio-blk-device,drive=x"}) ==
        "-device virtio-blk-device: Property 'virtio-blk-device.drive' can't find value 'x'");
  CHECK(error({"file=a.img,if=none,id=d"}, {"virtio-blk-device,drive=d", "virtio-blk-device,drive=d"}) ==
        "-device virtio-blk-device: Drive 'd' is already in use");
  CHECK(error({"file=a.img,if=virtio,id=d"}, {"virtio-blk-device,drive=d"}) ==
        "-device virtio-blk-device: Drive 'd' is already in use");
  CHECK(error({}, {"virtio-blk-device,drive=d,serial=x"}) == "-device virtio-blk-device: unknown property 'serial'");
  CHECK(error({}, {"virtio-blk-device,drive"}) == "-device virtio-blk-device: 'drive' is not key=value");
  CHECK(error({}, {"virtio-rng-device,rng=r"}) == "-device virtio-rng-device: unknown property 'rng'");
  CHECK(error({}, {"e1000"}).rfind("-device e1000: unknown device", 0) == 0);
  CHECK(error({"file=a.img,if=scsi"}, {}) == "-drive: if=scsi is not supported (virtio or none)");
}
