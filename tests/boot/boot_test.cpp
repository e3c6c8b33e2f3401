// OpenSBI + U-Boot from Debian's packages on lockstep's virt board, driven by --send-on,
// checked against expected text and against QEMU 7.2 running the same firmware and disk.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tools/host_process.h"

namespace {

using lockstep::tools::ProcessOptions;
using lockstep::tools::ProcessResult;
using lockstep::tools::run_process;

constexpr const char* kPattern = "lockstep disk: sector 0 says hello";
constexpr unsigned kDiskBytes = 4 * 1024 * 1024;

std::string workdir(const std::string& name) {
  const std::string dir = std::string(BOOT_WORKDIR) + "/" + name;
  std::filesystem::create_directories(dir);
  return dir;
}

std::string make_disk(const std::string& dir) {
  const std::string path = dir + "/disk.img";
  std::string data(kDiskBytes, '\0');
  data.replace(0, std::strlen(kPattern), kPattern);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
  return path;
}

std::vector<std::string> lockstep_uboot(const std::string& drive, const std::vector<std::string>& commands,
                                        unsigned harts = 1) {
  std::vector<std::string> argv = {LOCKSTEP_BIN, "run", "-M", "virt", "-m", "256M", "-smp", std::to_string(harts),
                                   "-bios", OPENSBI_FW_JUMP, "-kernel", UBOOT_SMODE, "-drive", drive,
                                   "--send-on", "autoboot", " "};
  for (const std::string& c : commands) {
    argv.insert(argv.end(), {"--send-on", "=> ", c + "\\n"});
  }
  argv.insert(argv.end(), {"--stop-on", "=> ", "--digest"});
  return argv;
}

ProcessResult run_ok(const std::vector<std::string>& argv) {
  ProcessResult r = run_process(argv, 300);
  INFO("stderr: " << r.err);
  REQUIRE_FALSE(r.timed_out);
  REQUIRE(r.signal == 0);
  REQUIRE(r.exit_code == 0);
  return r;
}

std::string no_cr(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '\r'), s.end());
  return s;
}

// The lines of `text` that start with one of `prefixes` (after trimming leading spaces).
std::vector<std::string> select_lines(const std::string& text, const std::vector<std::string>& prefixes) {
  std::vector<std::string> out;
  std::istringstream in(no_cr(text));
  std::string line;
  while (std::getline(in, line)) {
    const auto start = line.find_first_not_of(' ');
    const std::string trimmed = start == std::string::npos ? "" : line.substr(start);
    for (const auto& p : prefixes) {
      if (trimmed.rfind(p, 0) == 0) {
        out.push_back(trimmed);
        break;
      }
    }
  }
  return out;
}

const std::vector<std::string> kDiskCommands = {"virtio scan", "virtio info", "virtio read 0x84000000 0 1",
                                                "md.b 0x84000000 0x24"};

}  // namespace

TEST_CASE("uboot-disk") {
  const std::string dir = workdir("uboot-disk");
  const std::string disk = make_disk(dir);
  const ProcessResult r = run_ok(lockstep_uboot("file=" + disk + ",format=raw,if=virtio", kDiskCommands));
  const std::string out = no_cr(r.out);
  CHECK(out.find("OpenSBI v") != std::string::npos);
  CHECK(out.find("Platform HART Count       : 1") != std::string::npos);
  CHECK(out.find("U-Boot 20") != std::string::npos);
  CHECK(out.find("Device 0: QEMU VirtIO Block Device") != std::string::npos);
  CHECK(out.find("Capacity: 4.0 MB = 0.0 GB (8192 x 512)") != std::string::npos);
  CHECK(out.find("1 blocks read: OK") != std::string::npos);
  CHECK(out.find("84000000: 6c 6f 63 6b 73 74 65 70 20 64 69 73 6b 3a 20 73  lockstep disk: s") != std::string::npos);
}

TEST_CASE("uboot-write") {
  const std::string dir = workdir("uboot-write");
  const std::vector<std::string> commands = {"virtio scan", "mw.b 0x84000000 0x5a 0x200",
                                             "virtio write 0x84000000 1 1", "virtio read 0x85000000 1 1",
                                             "md.b 0x85000000 0x10"};
  auto sector1 = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), {});
    return data.substr(512, 16);
  };
  SUBCASE("writes reach the image") {
    const std::string disk = make_disk(dir);
    const ProcessResult r = run_ok(lockstep_uboot("file=" + disk + ",format=raw,if=virtio", commands));
    CHECK(no_cr(r.out).find("85000000: 5a 5a 5a 5a") != std::string::npos);
    CHECK(sector1(disk) == std::string(16, '\x5a'));
  }
  SUBCASE("snapshot=on keeps them in memory") {
    const std::string disk = make_disk(dir);
    const ProcessResult r = run_ok(lockstep_uboot("file=" + disk + ",format=raw,if=virtio,snapshot=on", commands));
    CHECK(no_cr(r.out).find("85000000: 5a 5a 5a 5a") != std::string::npos);
    CHECK(sector1(disk) == std::string(16, '\0'));
  }
  SUBCASE("readonly=on refuses them") {
    const std::string disk = make_disk(dir);
    const ProcessResult r = run_ok(lockstep_uboot("file=" + disk + ",format=raw,if=virtio,readonly=on", commands));
    CHECK(no_cr(r.out).find("85000000: 5a 5a 5a 5a") == std::string::npos);
    CHECK(sector1(disk) == std::string(16, '\0'));
  }
}

TEST_CASE("uboot-smp2") {
  const std::string disk = make_disk(workdir("uboot-smp2"));
  const ProcessResult r = run_ok(lockstep_uboot("file=" + disk + ",format=raw,if=virtio", {"virtio scan"}, 2));
  CHECK(r.out.find("Platform HART Count       : 2") != std::string::npos);
  CHECK(r.out.find("Domain0 HARTs             : 0*,1*") != std::string::npos);
}

TEST_CASE("uboot-determinism") {
  const std::string disk = make_disk(workdir("uboot-determinism"));
  for (unsigned harts : {1u, 2u}) {
    CAPTURE(harts);
    const auto argv = lockstep_uboot("file=" + disk + ",format=raw,if=virtio,snapshot=on", kDiskCommands, harts);
    const ProcessResult a = run_ok(argv);
    const ProcessResult b = run_ok(argv);
    CHECK(a.out == b.out);
    REQUIRE(a.err.find("digest ") != std::string::npos);
    CHECK(a.err == b.err);
  }
}

// QEMU 7.2 with the same firmware and disk on a virtio-mmio slot (version 2, as lockstep
// presents it), typing through stdin: the firmware's banners and U-Boot's view of the disk must
// read the same. (QEMU's -drive if=virtio would make a PCI device on this board.)
TEST_CASE("uboot-vs-qemu") {
  const std::string dir = workdir("uboot-vs-qemu");
  const std::string disk = make_disk(dir);
  const ProcessResult ours = run_ok(lockstep_uboot("file=" + disk + ",format=raw,if=virtio,snapshot=on", kDiskCommands));

  // U-Boot drops what is typed while it aborts autoboot: blank lines absorb that.
  std::string typed = " " + std::string(24, '\n');
  for (const auto& c : kDiskCommands) typed += c + "\n";
  const std::string input = dir + "/typed.txt";
  std::ofstream(input, std::ios::binary | std::ios::trunc) << typed;
  ProcessOptions options;
  options.timeout_seconds = 300;
  options.stdin_file = input;
  options.stop_when_output_contains = "lo..\r\n";  // the end of the last md.b line
  const ProcessResult qemu = run_process(
      {QEMU_RISCV64, "-M", "virt", "-m", "256M", "-cpu", "rv64,h=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false",
       "-bios", OPENSBI_FW_JUMP, "-kernel", UBOOT_SMODE, "-global", "virtio-mmio.force-legacy=false", "-drive",
       "id=d0,file=" + disk + ",format=raw,if=none,snapshot=on", "-device", "virtio-blk-device,drive=d0", "-display",
       "none", "-serial", "stdio", "-monitor", "none", "-icount", "shift=0,sleep=off"},
      options);
  REQUIRE_FALSE(qemu.timed_out);
  const std::vector<std::string> prefixes = {"OpenSBI v", "Platform Name", "Platform HART Count", "Firmware Base",
                                             "Domain0 Next Address", "Boot HART ID", "Boot HART PMP Count",
                                             "U-Boot 20", "DRAM:", "Device 0:", "Type:", "Capacity:",
                                             "virtio read:", "84000000:", "84000010:", "84000020:"};
  const auto a = select_lines(qemu.out, prefixes);
  const auto b = select_lines(ours.out, prefixes);
  CHECK(a.size() == prefixes.size());
  REQUIRE(a.size() == b.size());
  for (size_t k = 0; k < a.size(); ++k) CHECK(a[k] == b[k]);
}

// OpenSBI's HSM: an S-mode payload starts hart 1, hart 1 reports and stops, the boot hart sees
// it stopped and powers off; twice, with identical output and digests.
TEST_CASE("sbi-hsm") {
  const std::vector<std::string> argv = {LOCKSTEP_BIN, "run", "-M", "virt", "-m", "256M", "-smp", "2",
                                         "-bios", OPENSBI_FW_JUMP, "-kernel", HSM_ELF, "--digest"};
  const ProcessResult a = run_ok(argv);
  const ProcessResult b = run_ok(argv);
  const std::string out = no_cr(a.out);
  CHECK(out.find("Platform HART Count       : 2") != std::string::npos);
  CHECK(out.find("hsm: boot hart 0\nhsm: hart 1 up, opaque 0x5eed\nhsm: hart_start returned 0\nhsm: hart 1 stopped\n") !=
        std::string::npos);
  CHECK(a.out == b.out);
  CHECK(a.err == b.err);
}

// The JIT against the interpreter on real firmware: the same console output and the same
// digest at the prompt, with one hart and with two (round-robin quanta cut regions short).
// A low threshold makes most of the boot run compiled.
TEST_CASE("uboot-jit") {
  const std::string disk = make_disk(workdir("uboot-jit"));
  for (unsigned harts : {1u, 2u}) {
    CAPTURE(harts);
    auto argv = lockstep_uboot("file=" + disk + ",format=raw,if=virtio,snapshot=on", kDiskCommands, harts);
    auto interpreted = argv;
    interpreted.push_back("--jit=off");
    auto compiled = argv;
    compiled.insert(compiled.end(), {"--jit=on", "--jit-threshold", "10000"});
    const ProcessResult a = run_ok(interpreted);
    const ProcessResult b = run_ok(compiled);
    CHECK(a.out == b.out);
    REQUIRE(a.err.find("digest ") != std::string::npos);
    CHECK(a.err == b.err);
  }
}

// Loading code while it runs (U-Boot relocates itself; virtio DMA into RAM) under --jit-verify:
// every compiled region execution is checked against the interpreter.
TEST_CASE("uboot-jit-verify") {
  const std::string disk = make_disk(workdir("uboot-jit-verify"));
  auto argv = lockstep_uboot("file=" + disk + ",format=raw,if=virtio,snapshot=on", kDiskCommands);
  auto interpreted = argv;
  interpreted.push_back("--jit=off");
  auto verified = argv;
  verified.insert(verified.end(), {"--jit=on", "--jit-threshold", "10000", "--jit-verify"});
  const ProcessResult a = run_ok(interpreted);
  const ProcessResult b = run_ok(verified);
  CHECK(a.out == b.out);
  CHECK(a.err == b.err);
}
