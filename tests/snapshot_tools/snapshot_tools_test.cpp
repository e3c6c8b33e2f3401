// lockstep snapshot info / dump / diff / check / explain on streams written at test time by Debian's
// QEMU 7.2 (riscv virt; x86 pc and q35; paused at start and after running), on lockstep-format streams
// written with StreamWriter, on damaged copies of both, and on mutated -dump-vmstate schemas.
// Expected values are decoded by hand from the raw bytes, never taken from the tool under test.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "lockstep_stream_fixture.h"
#include "snapshot/inspect/check.h"
#include "snapshot/inspect/diff.h"
#include "snapshot/inspect/dump.h"
#include "snapshot/inspect/explain.h"
#include "snapshot/inspect/info.h"
#include "snapshot/inspect/values.h"
#include "tests/qemu_stream.h"
#include "tests/test_files.h"

using namespace lockstep;
using namespace lockstep::snapshot;
using inspect::Json;

namespace {

std::string work_path(const std::string& name) {
  return fmt::format("{}/{}-{}", LOCKSTEP_SNAPSHOT_TOOLS_WORK, ::getpid(), name);
}

bool have(const char* path) { return path[0] != '\0' && ::access(path, X_OK) == 0; }

using lockstep::testing::slurp;
using lockstep::testing::spit;

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string qemu_stream(const std::string& qemu, const std::string& args, const std::string& name,
                        const char* wait = "") {
  return testing::write_qemu_stream(qemu, args, work_path(name), wait);
}

std::string riscv_paused(const std::string& name) {
  return qemu_stream(LOCKSTEP_QEMU_RISCV64,
                     fmt::format("-M virt -m 64M -bios none -kernel {} -serial none -S", LOCKSTEP_HELLO_ELF), name);
}
// No firmware, no kernel: the hart runs from the reset vector into empty RAM and keeps trapping, so
// its CSRs and pc move away from reset.
std::string riscv_running(const std::string& name) {
  return qemu_stream(LOCKSTEP_QEMU_RISCV64, "-M virt -m 64M -bios none -serial none", name, "sleep 0.5;");
}

std::string dump_vmstate(const std::string& qemu, const std::string& machine, const std::string& name) {
  std::string out = work_path(name);
  std::string cmd = fmt::format("timeout 60 {} -M {} -dump-vmstate {} -display none > /dev/null 2>&1", qemu, machine, out);
  REQUIRE(std::system(cmd.c_str()) == 0);
  return out;
}

struct CliRun {
  int status;
  std::string out, err;
};
CliRun cli(const std::string& args) {
  const std::string o = work_path("cli.out"), e = work_path("cli.err");
  const std::string cmd = fmt::format("NO_COLOR=1 {} snapshot {} > {} 2> {}", LOCKSTEP_CLI, args, o, e);
  int rc = std::system(cmd.c_str());
  CliRun r{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read_text(o), read_text(e)};
  std::remove(o.c_str());
  std::remove(e.c_str());
  return r;
}

std::uint64_t be(const std::vector<std::uint8_t>& d, std::uint64_t at, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = v << 8 | d.at(at + i);
  return v;
}

const stream::SectionInfo* find_section(const inspect::StreamInfo& info, const std::string& idstr) {
  for (const auto& s : info.walk.sections)
    if (s.header.idstr == idstr) return &s;
  return nullptr;
}

const Json* find_device(const Json& dump, const std::string& name, std::uint64_t instance = 0) {
  for (const auto& d : dump["devices"])
    if (d["name"] == name && d["instance_id"] == instance) return &d;
  return nullptr;
}

std::string zstd_compress(const std::string& path) {
  const auto plain = slurp(path);
  std::vector<std::uint8_t> out(ZSTD_compressBound(plain.size()));
  const std::size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 3);
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  const std::string z = path + ".zst";
  spit(z, out);
  return z;
}

test::LockstepStreamSpec small_lockstep_spec(std::uint64_t variant) {
  test::LockstepStreamSpec spec;
  spec.ram_bytes = 64 * 4096;
  spec.page_data = [variant](std::uint64_t p, std::uint8_t* d) {
    if (p % 4 != 0) return false;
    std::memset(d, static_cast<int>(p + 1), 4096);
    if (variant && (p == 8 || p == 12)) d[7] ^= 0x5a;  // pages 8 and 12: one run each (9..11 are zero)
    return true;
  };
  spec.hart.x[3] = 0x1234 + variant;
  spec.hart.pc = 0x80000000;
  spec.run.icount = 5000;
  return spec;
}

}  // namespace

TEST_CASE("riscv_info_dump") {
  if (!have(LOCKSTEP_QEMU_RISCV64)) {
    MESSAGE("qemu-system-riscv64 not installed: skipped");
    return;
  }
  const std::string path = riscv_paused("riscv.mig");
  const auto raw = slurp(path);
  const auto info = inspect::read_info(path);
  REQUIRE_MESSAGE(!info.error, info.error.value_or(""));
  CHECK(info.walk.header.machine == "virt");
  CHECK(info.walk.has_vmdesc);
  CHECK(!info.compressed);
  std::vector<std::string> blocks;
  for (const auto& b : info.walk.ram_blocks) blocks.push_back(b.idstr);
  CHECK(blocks == std::vector<std::string>{"riscv_virt_board.ram", "virt.flash0", "virt.flash1", "riscv_virt_board.mrom"});
  // Hand-decoded from the raw stream at the offsets info reports: a FULL header is type byte, be32
  // section id, counted idstr, be32 instance, be32 version; the body follows.
  const auto* serial = find_section(info, "serial");
  REQUIRE(serial);
  const std::uint64_t off = serial->header.offset;
  CHECK(raw.at(off) == stream::kFull);
  CHECK(be(raw, off + 1, 4) == serial->header.section_id);
  CHECK(raw.at(off + 5) == 6);
  CHECK(std::string(raw.begin() + off + 6, raw.begin() + off + 12) == "serial");
  CHECK(be(raw, off + 12, 4) == 0);  // instance
  CHECK(be(raw, off + 16, 4) == 3);  // version
  CHECK(serial->header.body_offset == off + 20);
  // serial-mm's vmsd "serial" holds one struct field "serial" (vmsd "serial" of the 16550 itself), whose
  // first field is the u16 divider; the footer is 0x7e + the section id.
  const std::uint64_t divider = be(raw, off + 20, 2);
  CHECK(raw.at(serial->header.body_offset + serial->body_size) == stream::kFooter);

  const auto dump = inspect::dump_stream(path);
  REQUIRE_MESSAGE(!dump.error, dump.error.value_or(""));
  const Json* dev = find_device(dump.doc, "serial");
  REQUIRE(dev);
  CHECK((*dev)["version"] == 3);
  const Json& uart = (*dev)["fields"]["serial"];
  REQUIRE(uart.is_object());
  CHECK(uart["divider"] == fmt::format("0x{:04x}", divider));
  // The next u8 fields, in QEMU's order, each "0x%02x".
  const char* u8_fields[] = {"rbr", "ier", "iir", "lcr", "mcr", "lsr", "msr", "scr"};
  for (int i = 0; i < 8; ++i)
    CHECK(uart[u8_fields[i]] == fmt::format("0x{:02x}", raw.at(off + 22 + i)));
  // The CPU (QEMU 7.2 target/riscv "cpu" v5): env.gpr is an array of 32 be64 (a list of "0x%016x"),
  // then env.fpr (32 x 8), env.miprio and env.siprio (64 x 1 each), then env.pc at byte 640, which
  // QEMU's reset vector puts at the mrom (0x1000).
  const auto* cpu = find_section(info, "cpu");
  REQUIRE(cpu);
  const Json* cdev = find_device(dump.doc, "cpu");
  REQUIRE(cdev);
  const Json& gpr = (*cdev)["fields"]["env.gpr"];
  REQUIRE(gpr.is_array());
  CHECK(gpr.size() == 32);
  CHECK(gpr[5] == fmt::format("0x{:016x}", be(raw, cpu->header.body_offset + 5 * 8, 8)));
  const std::uint64_t pc = be(raw, cpu->header.body_offset + 640, 8);
  CHECK(pc == 0x1000);
  CHECK((*cdev)["fields"]["env.pc"] == "0x0000000000001000");
  // RAM in the dump equals info's, and every page was sent once.
  REQUIRE(dump.doc["ram"].size() == 4);
  CHECK(dump.doc["ram"][0]["block"] == "riscv_virt_board.ram");
  CHECK(dump.doc["ram"][0]["length"] == 64u << 20);
  CHECK(dump.doc["ram"][0]["zero_pages"].get<std::uint64_t>() + dump.doc["ram"][0]["data_pages"].get<std::uint64_t>() ==
        (64u << 20) / 4096);
  CHECK(dump.doc["configuration"]["machine"] == "virt");

  // CLI: info, dump --json, --ram-out (the kernel's first bytes land at the start of RAM).
  auto r = cli("info " + path);
  CHECK(r.status == 0);
  CHECK(r.out.find("riscv_virt_board.ram") != std::string::npos);
  CHECK(r.out.find("VM description: present") != std::string::npos);
  const std::string ram_dir = work_path("ramout");
  r = cli(fmt::format("dump --json --ram-out {} {}", ram_dir, path));
  CHECK(r.status == 0);
  Json j = Json::parse(r.out);
  CHECK(j["devices"].size() == dump.doc["devices"].size());
  const auto mrom = slurp(ram_dir + "/riscv_virt_board.mrom.ram");
  CHECK(mrom.size() == 0xf000);
  const auto ram = slurp(ram_dir + "/riscv_virt_board.ram.ram");
  CHECK(ram.size() == (64u << 20));
  const auto elf = slurp(LOCKSTEP_HELLO_ELF);
  CHECK(std::any_of(ram.begin(), ram.begin() + 4096, [](std::uint8_t b) { return b != 0; }));
  std::system(fmt::format("rm -rf {}", ram_dir).c_str());
  (void)elf;

  // A .zst copy reads the same (recognised by its magic, not its name).
  const std::string z = zstd_compress(path);
  const std::string renamed = work_path("riscv-compressed.mig");
  std::rename(z.c_str(), renamed.c_str());
  const auto zinfo = inspect::read_info(renamed);
  REQUIRE_MESSAGE(!zinfo.error, zinfo.error.value_or(""));
  CHECK(zinfo.compressed);
  CHECK(inspect::info_json(zinfo)["sections"] == inspect::info_json(info)["sections"]);
  r = cli(fmt::format("diff {} {}", path, renamed));
  CHECK(r.status == 0);
  CHECK(r.out.find("identical") != std::string::npos);
  std::remove(renamed.c_str());
  std::remove(path.c_str());
}

TEST_CASE("x86_dump_diff") {
  if (!have(LOCKSTEP_QEMU_X86_64)) {
    MESSAGE("qemu-system-x86_64 not installed: skipped");
    return;
  }
  const std::string pc = qemu_stream(LOCKSTEP_QEMU_X86_64, "-M pc -m 32M -S", "pc.mig");
  const std::string q35 = qemu_stream(LOCKSTEP_QEMU_X86_64, "-M q35 -m 32M -S", "q35.mig");
  for (const auto& stream : {std::pair{pc, "pc-i440fx-7.2"}, std::pair{q35, "pc-q35-7.2"}}) {
    // Not a structured binding: clang 14 (the ASan tree) cannot capture one in INFO's lambda.
    const std::string& path = stream.first;
    const std::string machine = stream.second;
    INFO(machine);
    const auto dump = inspect::dump_stream(path);
    REQUIRE_MESSAGE(!dump.error, dump.error.value_or(""));
    CHECK(dump.doc["configuration"]["machine"] == machine);
    // The PIT: "channels" is an array of structs; each element an object with QEMU's member names.
    const Json* pit = nullptr;
    for (const auto& d : dump.doc["devices"])
      if (d["name"].get<std::string>().find("i8254") != std::string::npos ||
          d["name"].get<std::string>() == "pit")
        pit = &d;
    REQUIRE(pit);
    const Json& ch = (*pit)["fields"]["channels"];
    REQUIRE(ch.is_array());
    CHECK(ch.size() == 3);
    CHECK(ch[0].is_object());
    CHECK(ch[0].contains("next_transition_time"));
    CHECK(ch[0]["next_transition_time"].get<std::string>().size() == 18);  // "0x" + 16 hex digits
    // Every device has fields or a layout note, never both missing.
    for (const auto& d : dump.doc["devices"]) CHECK((d.contains("fields") || d.contains("raw")));
    // VMSTATE_INT32_POSITIVE_LE ("int32 le": "less or equal") is big-endian on the wire: a PCI
    // device's config-space version 2 reads 0x00000002, as analyze-migration.py prints it.
    bool saw_pci_version = false;
    for (const auto& d : dump.doc["devices"]) {
      if (d["name"] != "0000:00:00.0/I440FX" && d["name"] != "0000:00:00.0/mch") continue;
      REQUIRE(d["fields"].contains("parent_obj"));
      CHECK(d["fields"]["parent_obj"]["version_id"] == "0x00000002");
      saw_pci_version = true;
    }
    CHECK(saw_pci_version);
  }
  // pc against q35: the machine differs, sections exist in one only; exit 1.
  const auto d = inspect::diff_streams(pc, q35);
  REQUIRE_MESSAGE(!d.error, d.error.value_or(""));
  CHECK_FALSE(d.identical());
  REQUIRE_FALSE(d.configuration.empty());
  CHECK(d.configuration[0].what == "machine");
  CHECK(d.configuration[0].a == "pc-i440fx-7.2");
  CHECK(d.configuration[0].b == "pc-q35-7.2");
  bool only_a = false, only_b = false;
  for (const auto& s : d.sections) {
    if (s.only_in == "a") only_a = true;
    if (s.only_in == "b") only_b = true;
  }
  CHECK(only_a);
  CHECK(only_b);
  auto r = cli(fmt::format("diff --json {} {}", pc, q35));
  CHECK(r.status == 1);
  Json j = Json::parse(r.out);
  CHECK(j["identical"] == false);
  CHECK(j["configuration"][0]["what"] == "machine");
  std::remove(pc.c_str());
  std::remove(q35.c_str());
}

TEST_CASE("riscv_diff_moments") {
  if (!have(LOCKSTEP_QEMU_RISCV64)) {
    MESSAGE("qemu-system-riscv64 not installed: skipped");
    return;
  }
  const std::string a = riscv_paused("moment-a.mig");
  const std::string b = riscv_running("moment-b.mig");
  const auto d = inspect::diff_streams(a, b);
  REQUIRE_MESSAGE(!d.error, d.error.value_or(""));
  CHECK(d.ram_method == "hashed while reading");
  // The hart ran: pc and the trap CSRs moved. Values decoded by hand from each raw stream.
  const auto ia = inspect::read_info(a), ib = inspect::read_info(b);
  const auto ra = slurp(a), rb = slurp(b);
  const std::uint64_t pc_a = be(ra, find_section(ia, "cpu")->header.body_offset + 640, 8);
  const std::uint64_t pc_b = be(rb, find_section(ib, "cpu")->header.body_offset + 640, 8);
  REQUIRE(pc_a != pc_b);
  bool saw_pc = false;
  for (const auto& f : d.fields)
    if (f.section == "cpu" && f.field == "env.pc") {
      saw_pc = true;
      CHECK(f.a == fmt::format("0x{:016x}", pc_a));
      CHECK(f.b == fmt::format("0x{:016x}", pc_b));
    }
  CHECK(saw_pc);
  // The kernel was loaded into RAM only in a: RAM differs at the start of riscv_virt_board.ram.
  bool ram_start = false;
  for (const auto& r : d.ram)
    if (r.block == "riscv_virt_board.ram" && r.offset == 0 && !r.only_in) ram_start = true;
  CHECK(ram_start);
  auto r = cli(fmt::format("diff {} {}", a, b));
  CHECK(r.status == 1);
  CHECK(r.out.find("env.pc") != std::string::npos);
  CHECK(r.out.find("\x1b[") == std::string::npos);  // not a terminal: no colour
  // A stream against itself.
  r = cli(fmt::format("diff --json {} {}", a, a));
  CHECK(r.status == 0);
  CHECK(Json::parse(r.out)["identical"] == true);
  // One more device on the same machine: its section exists in b only; the device set is the cause.
  const std::string c = qemu_stream(LOCKSTEP_QEMU_RISCV64,
                                    fmt::format("-M virt -m 64M -bios none -kernel {} -serial none -S "
                                                "-device virtio-rng-device",
                                                LOCKSTEP_HELLO_ELF),
                                    "moment-c.mig");
  const auto dc = inspect::diff_streams(a, c);
  REQUIRE_MESSAGE(!dc.error, dc.error.value_or(""));
  std::set<std::string> only_c;
  for (const auto& s : dc.sections)
    if (s.only_in == "b") only_c.insert(s.section);
  CHECK(!only_c.empty());
  for (const auto& s : dc.sections) CHECK(s.only_in != "a");
  std::remove(a.c_str());
  std::remove(b.c_str());
  std::remove(c.c_str());
}

TEST_CASE("lockstep_streams") {
  const std::string a = work_path("ls-a.mig"), b = work_path("ls-b.mig");
  REQUIRE(test::write_lockstep_stream(a, small_lockstep_spec(0)).ok());
  REQUIRE(test::write_lockstep_stream(b, small_lockstep_spec(1)).ok());
  const auto info = inspect::read_info(a);
  REQUIRE_MESSAGE(!info.error, info.error.value_or(""));
  CHECK(info.walk.header.machine == "virt-2.0");
  REQUIRE(info.page_hashes.size() == 1);
  CHECK(info.page_hashes[0].page_size == 4096);
  REQUIRE(info.page_hashes[0].blocks.size() == 1);
  CHECK(info.page_hashes[0].blocks[0].first == "riscv_virt_board.ram");
  REQUIRE(info.own_sections.size() == 1);
  CHECK(info.own_sections[0].idstr == "lockstep/run");
  REQUIRE(info.walk.ram_blocks.size() == 1);
  CHECK(info.walk.ram_blocks[0].data_pages == 16);
  CHECK(info.walk.ram_blocks[0].zero_pages == 48);

  const auto dump = inspect::dump_stream(a);
  REQUIRE(!dump.error);
  const Json* cpu = find_device(dump.doc, "cpu");
  REQUIRE(cpu);
  CHECK((*cpu)["fields"]["env.gpr"][3] == "0x0000000000001234");
  CHECK((*cpu)["fields"]["env.pc"] == "0x0000000080000000");

  const auto d = inspect::diff_streams(a, b);
  REQUIRE_MESSAGE(!d.error, d.error.value_or(""));
  CHECK(d.ram_method == "page-hashes");
  CHECK(d.configuration.empty());
  CHECK(d.sections.empty());
  REQUIRE(d.fields.size() == 1);
  CHECK(d.fields[0].section == "cpu");
  CHECK(d.fields[0].field == "env.gpr[3]");
  CHECK(d.fields[0].a == "0x0000000000001234");
  CHECK(d.fields[0].b == "0x0000000000001235");
  REQUIRE(d.ram.size() == 2);
  CHECK(d.ram[0].block == "riscv_virt_board.ram");
  CHECK(d.ram[0].offset == 8 * 4096);
  CHECK(d.ram[0].pages == 1);
  CHECK(d.ram[1].offset == 12 * 4096);
  // Without page hashes in one stream the pages are hashed while reading: same answer.
  const std::string c = work_path("ls-c.mig");
  auto spec = small_lockstep_spec(1);
  spec.page_hashes = false;
  REQUIRE(test::write_lockstep_stream(c, spec).ok());
  const auto d2 = inspect::diff_streams(a, c);
  REQUIRE(!d2.error);
  CHECK(d2.ram_method == "hashed while reading");
  CHECK(d2.sections.size() == 0);
  REQUIRE(d2.ram.size() == 2);
  CHECK(d2.ram[0].offset == 8 * 4096);
  CHECK(d2.ram[1].offset == 12 * 4096);
  // JSON layout and exit codes through the CLI; .zst on one side.
  const std::string bz = zstd_compress(b);
  auto r = cli(fmt::format("diff --json {} {}", a, bz));
  CHECK(r.status == 1);
  Json j = Json::parse(r.out);
  CHECK(j["identical"] == false);
  CHECK(j["fields"][0] == Json{{"section", "cpu"}, {"instance", 0}, {"field", "env.gpr[3]"},
                               {"a", "0x0000000000001234"}, {"b", "0x0000000000001235"}});
  CHECK(j["ram"][0] == Json{{"block", "riscv_virt_board.ram"}, {"offset", 8 * 4096}, {"pages", 1}, {"only_in", nullptr}});
  r = cli(fmt::format("diff {} {}", b, bz));
  CHECK(r.status == 0);
  r = cli(fmt::format("info {}", bz));
  CHECK(r.status == 0);
  CHECK(r.out.find("lockstep/run") != std::string::npos);
  CHECK(r.out.find("zstd") != std::string::npos);
  for (const auto& p : {a, b, c, bz}) std::remove(p.c_str());

  // Streams larger than a mapping window, every page with data: the differing pages are found both
  // through the page hashes and by hashing while reading.
  auto big = [](std::uint64_t variant, bool hashes) {
    test::LockstepStreamSpec spec;
    spec.ram_bytes = 24u << 20;
    spec.page_hashes = hashes;
    spec.page_data = [variant](std::uint64_t p, std::uint8_t* d) {
      std::memset(d, static_cast<int>(p * 31 + 7), 4096);
      if (variant && (p == 1000 || p == 5001 || p == 5002)) d[4095] ^= 1;
      return true;
    };
    return spec;
  };
  const std::string ba = work_path("big-a.mig"), bb = work_path("big-b.mig"), bn = work_path("big-n.mig");
  REQUIRE(test::write_lockstep_stream(ba, big(0, true)).ok());
  REQUIRE(test::write_lockstep_stream(bb, big(1, true)).ok());
  REQUIRE(test::write_lockstep_stream(bn, big(1, false)).ok());
  for (const auto& other : {bb, bn}) {
    const auto bd = inspect::diff_streams(ba, other);
    REQUIRE_MESSAGE(!bd.error, bd.error.value_or(""));
    REQUIRE(bd.ram.size() == 2);
    CHECK(bd.ram[0].offset == 1000 * 4096);
    CHECK(bd.ram[0].pages == 1);
    CHECK(bd.ram[1].offset == 5001 * 4096);
    CHECK(bd.ram[1].pages == 2);
  }
  for (const auto& p : {ba, bb, bn}) std::remove(p.c_str());
}

// LOCKSTEP_TEST_SAMPLE=N: every Nth spread-out cut and flip of "damaged" (the sanitizer run takes
// 3: ASan makes each whole-stream read ~7x slower, and the fuzz targets cover these readers at volume).
static std::size_t damaged_sample_step() {
  const char* v = std::getenv("LOCKSTEP_TEST_SAMPLE");
  const long n = v ? std::strtol(v, nullptr, 10) : 1;
  return n >= 1 && n <= 100 ? static_cast<std::size_t>(n) : 1;
}

TEST_CASE("damaged") {
  const std::size_t step = damaged_sample_step();
  const std::string good = work_path("dmg-good.mig");
  REQUIRE(test::write_lockstep_stream(good, small_lockstep_spec(0)).ok());
  std::vector<std::string> sources = {good};
  if (have(LOCKSTEP_QEMU_RISCV64)) sources.push_back(riscv_paused("dmg-qemu.mig"));
  if (have(LOCKSTEP_QEMU_X86_64)) sources.push_back(qemu_stream(LOCKSTEP_QEMU_X86_64, "-M q35 -m 32M -S", "dmg-q35.mig"));
  const std::string bad = work_path("dmg-bad.mig");
  for (const auto& src : sources) {
    INFO("source " << src);
    const auto orig = slurp(src);
    const auto info = inspect::read_info(src);
    REQUIRE(!info.error);
    // Truncations: every byte of the first 300, then spread out, and around every section boundary.
    std::set<std::size_t> cuts;
    for (std::size_t i = 0; i < 300; ++i) cuts.insert(i);
    for (std::size_t i = 300; i < orig.size(); i += orig.size() / (150 / step) + 1) cuts.insert(i);
    for (const auto& s : info.walk.sections) {
      cuts.insert(s.header.offset + 3);
      cuts.insert(s.header.body_offset + s.body_size + 2);
    }
    for (std::size_t cut : cuts) {
      if (cut >= orig.size()) continue;
      spit(bad, std::vector<std::uint8_t>(orig.begin(), orig.begin() + static_cast<std::ptrdiff_t>(cut)));
      INFO("cut at " << cut);
      const auto i = inspect::read_info(bad);
      if (cut == info.walk.eof_offset + 1) {
        CHECK(!i.error);  // ends right after EOF: no vmdesc, still a valid stream
        CHECK(!i.walk.has_vmdesc);
        continue;
      }
      REQUIRE(i.error);
      if (cut < 4) CHECK(i.error->find("Not a migration stream") != std::string::npos);
      else if (cut <= info.walk.eof_offset)
        CHECK_MESSAGE(i.error->find(fmt::format("truncated stream at offset {}", cut)) != std::string::npos, *i.error);
      // dump and diff use the same walk as info; a sample of the cuts keeps the test quick (diff also
      // reads and hashes the intact source).
      if (cut % 3 == 0) {
        const auto dmp = inspect::dump_stream(bad);
        CHECK(dmp.error);
      }
      if (cut % 7 == 0) {
        const auto df = inspect::diff_streams(src, bad);
        CHECK(df.error);
      }
    }
    // A damaged footer: QEMU's message, naming the section.
    for (const auto& s : info.walk.sections) {
      if (!s.layout_from_vmdesc) continue;
      auto d = orig;
      d[s.header.body_offset + s.body_size] ^= 0xff;
      spit(bad, d);
      const auto i = inspect::read_info(bad);
      REQUIRE(i.error);
      CHECK_MESSAGE(i.error->find("Missing section footer for " + s.header.idstr) != std::string::npos, *i.error);
    }
    // One byte flipped anywhere: an answer or an error with text, never a crash.
    for (std::size_t k = 0; k < orig.size(); k += orig.size() / (120 / step) + 1) {
      auto d = orig;
      d[k] ^= 0xa5;
      spit(bad, d);
      const auto i = inspect::read_info(bad);
      if (i.error) CHECK(!i.error->empty());
      if (k % 2 == 0) {
        const auto dmp = inspect::dump_stream(bad);
        if (dmp.error) CHECK(!dmp.error->empty());
      }
      if (k % 5 == 0) {
        const auto df = inspect::diff_streams(src, bad);
        if (df.error) CHECK(!df.error->empty());
      }
    }
  }
  // Bad magic and a corrupt .zst through the CLI: exit 2 with the message.
  auto d = slurp(good);
  d[0] = 'X';
  spit(bad, d);
  auto r = cli("info " + bad);
  CHECK(r.status == 2);
  CHECK(r.err.find("Not a migration stream") != std::string::npos);
  r = cli(fmt::format("diff {} {}", good, bad));
  CHECK(r.status == 2);
  CHECK(r.err.find("Not a migration stream") != std::string::npos);
  const std::string z = zstd_compress(good);
  auto zd = slurp(z);
  zd.resize(zd.size() / 2);
  spit(z, zd);
  r = cli("info " + z);
  CHECK(r.status == 2);
  CHECK(r.err.find("zstd") != std::string::npos);
  zd[zd.size() / 2] ^= 0xff;
  zd[zd.size() / 2 + 1] ^= 0xff;
  spit(z, zd);
  r = cli("dump " + z);
  CHECK(r.status == 2);
  r = cli("info /nonexistent/file.mig");
  CHECK(r.status == 2);
  CHECK(r.err.find("cannot open") != std::string::npos);
  std::remove(z.c_str());
  std::remove(bad.c_str());
  for (const auto& s : sources) std::remove(s.c_str());
}

TEST_CASE("no_vmdesc") {
  const std::string full = work_path("nv-full.mig");
  REQUIRE(test::write_lockstep_stream(full, small_lockstep_spec(0)).ok());
  const auto info = inspect::read_info(full);
  REQUIRE(!info.error);
  auto d = slurp(full);
  d.resize(info.walk.eof_offset + 1);  // the stream ends right after EOF
  const std::string cut = work_path("nv.mig");
  spit(cut, d);
  const auto dump = inspect::dump_stream(cut);
  REQUIRE_MESSAGE(!dump.error, dump.error.value_or(""));
  CHECK(dump.doc.contains("note"));
  const Json* cpu = find_device(dump.doc, "cpu");
  REQUIRE(cpu);
  CHECK(cpu->contains("raw"));
  CHECK((*cpu)["note"].get<std::string>().find("no VM description") != std::string::npos);
  // The raw bytes are the body, as hex: the first gpr (x0) is zero.
  CHECK((*cpu)["raw"].get<std::string>().rfind("00 00 00 00 00 00 00 00", 0) == 0);
  auto r = cli("info " + cut);
  CHECK(r.status == 0);
  CHECK(r.out.find("VM description: absent") != std::string::npos);
  std::remove(full.c_str());
  std::remove(cut.c_str());
}

TEST_CASE("check") {
  if (!have(LOCKSTEP_QEMU_RISCV64) || !have(LOCKSTEP_QEMU_X86_64)) {
    MESSAGE("QEMU not installed: skipped");
    return;
  }
  const std::string rv = dump_vmstate(LOCKSTEP_QEMU_RISCV64, "virt", "rv-schema.json");
  const std::string pc = dump_vmstate(LOCKSTEP_QEMU_X86_64, "pc", "pc-schema.json");
  auto r = cli(fmt::format("check {} {}", rv, rv));
  CHECK(r.status == 0);
  r = cli(fmt::format("check {} {}", pc, pc));
  CHECK(r.status == 0);
  const Json base = Json::parse(read_text(pc));
  // isa-serial's vmsd "serial" holds the 16550 (vmsd "serial" again) as struct field "state".
  REQUIRE(base.contains("isa-serial"));
  REQUIRE(base["isa-serial"]["Description"]["name"] == "serial");
  REQUIRE(base["isa-serial"]["Description"]["Fields"][0]["field"] == "state");
  auto check = [&](const Json& dst) {
    auto s = inspect::parse_schema(base, "src");
    auto d = inspect::parse_schema(dst, "dst");
    REQUIRE(s.ok());
    REQUIRE(d.ok());
    return inspect::check_schemas(s.value(), d.value());
  };
  auto has = [](const inspect::CheckResult& res, const std::string& text) {
    for (const auto& i : res.issues)
      if (i.message.find(text) != std::string::npos) return true;
    return false;
  };
  auto uart = [](Json& m) -> Json& { return m["isa-serial"]["Description"]["Fields"][0]["Description"]; };
  {
    Json m = base;
    m.erase("isa-serial");
    const auto res = check(m);
    CHECK(has(res, "Section \"isa-serial\" does not exist in dest"));
  }
  {
    Json m = base;
    m["isa-serial"]["version_id"] = 2;
    m["isa-serial"]["Description"]["version_id"] = 2;
    const auto res = check(m);
    CHECK(has(res, "Section \"isa-serial\" version error: 3 > 2"));
    CHECK(has(res, "Section \"isa-serial\" Description \"serial\": version error: 3 > 2"));
  }
  {
    Json m = base;
    m["isa-serial"]["Description"]["minimum_version_id"] = 4;
    const auto res = check(m);
    CHECK(has(res, "Section \"isa-serial\" Description \"serial\": minimum version error: 3 < 4"));
  }
  {
    Json m = base;
    uart(m)["Fields"][0]["field"] = "divisor";
    const auto res = check(m);
    CHECK(has(res, "Section \"isa-serial\", Description \"serial\": expected field \"divider\", got \"divisor\"; skipping rest"));
    REQUIRE(res.issues.size() == 1);
    CHECK(res.issues[0].section == "isa-serial");
    CHECK(res.issues[0].description == "serial");
    CHECK(res.issues[0].field == "divider");
  }
  {
    Json m = base;
    uart(m)["Fields"][0]["size"] = 4;
    const auto res = check(m);
    CHECK(has(res, "Section \"isa-serial\" Description \"serial\" Field \"divider\" size mismatch: 2 , 4"));
  }
  {
    Json m = base;
    REQUIRE(uart(m)["Subsections"].size() > 0);
    const std::string sub = uart(m)["Subsections"][0]["name"];
    uart(m)["Subsections"].erase(0);
    const auto res = check(m);
    CHECK(has(res, fmt::format("Section \"isa-serial\", Description \"serial\": Subsection \"{}\" not found", sub)));
    CHECK(res.errors() == 1);
    // A lockstep source that says which subsections it can send: an unsendable one is only a note.
    auto s = inspect::parse_schema(Json{{"machine", "virt-1.0"}, {"vmstate", base},
                                        {"sendable_subsections", {{"isa-serial", Json::array()}}}},
                                   "virt-1.0");
    REQUIRE(s.ok());
    auto d = inspect::parse_schema(m, "dst");
    const auto res2 = inspect::check_schemas(s.value(), d.value());
    CHECK(has(res2, "never sends it"));
    CHECK(res2.errors() == 0);
    auto s3 = inspect::parse_schema(Json{{"machine", "virt-1.0"}, {"vmstate", base},
                                         {"sendable_subsections", {{"isa-serial", Json::array({sub})}}}},
                                    "virt-1.0");
    const auto res3 = inspect::check_schemas(s3.value(), d.value());
    CHECK(has(res3, "can send it"));
    CHECK(res3.errors() == 1);
  }
  {
    Json m = base;
    uart(m)["Fields"].erase(uart(m)["Fields"].size() - 1);
    const auto res = check(m);
    CHECK(has(res, "while dest has no further fields"));
  }
  {
    // "unused" padding in the source covering the same bytes as a real field is accepted, as in
    // QEMU's checker.
    Json src_unused = base;
    uart(src_unused)["Fields"][1]["field"] = "unused";
    auto s = inspect::parse_schema(src_unused, "src");
    auto d = inspect::parse_schema(base, "dst");
    CHECK(inspect::check_schemas(s.value(), d.value()).errors() == 0);
  }
  // riscv against x86: many sections missing; exit 1 through the CLI, one line each.
  r = cli(fmt::format("check {} {}", rv, pc));
  CHECK(r.status == 1);
  CHECK(r.out.find("does not exist in dest") != std::string::npos);
  CHECK(r.out.find("Warning: checking incompatible machine types") != std::string::npos);
  // A machine version as the destination: QEMU's riscv stream sections are not lockstep's.
  r = cli(fmt::format("check {} virt-2.0", rv));
  CHECK(r.status == 1);
  r = cli(fmt::format("check {} virt-9.9", rv));
  CHECK(r.status == 2);
  r = cli(fmt::format("check {} /nonexistent.json", rv));
  CHECK(r.status == 2);
  std::remove(rv.c_str());
  std::remove(pc.c_str());
}

TEST_CASE("explain") {
  if (!have(LOCKSTEP_QEMU_RISCV64)) {
    MESSAGE("qemu-system-riscv64 not installed: skipped");
    return;
  }
  const std::string path = riscv_paused("explain.mig");
  const std::string schema = dump_vmstate(LOCKSTEP_QEMU_RISCV64, "virt", "explain-schema.json");
  const auto info = inspect::read_info(path);
  REQUIRE(!info.error);
  // The destination as the source: its schema, its RAM blocks and device set.
  Json dest = Json::object();
  dest["machine"] = "virt";
  dest["page_size"] = 4096;
  dest["ram_blocks"] = Json::array();
  for (const auto& b : info.walk.ram_blocks) dest["ram_blocks"].push_back(Json{{"name", b.idstr}, {"length", b.used_length}});
  dest["sections"] = Json::array();
  for (const auto& dev : info.walk.vmdesc["devices"])
    dest["sections"].push_back(Json{{"idstr", dev["name"]}, {"instance_id", dev["instance_id"]},
                                    {"vmsd_name", dev.value("vmsd_name", dev["name"].get<std::string>())}});
  dest["vmstate"] = Json::parse(read_text(schema));
  auto same = inspect::parse_schema(dest, "dest");
  REQUIRE(same.ok());
  const auto ok = inspect::explain_load(path, same.value());
  CHECK_MESSAGE(ok.errors() == 0, inspect::explain_text(ok));
  // Everything wrong at once: each problem reported, each with its cause.
  Json bad = dest;
  bad["machine"] = "virt-1.0";
  bad["ram_blocks"][0]["length"] = 128u << 20;
  bad["ram_blocks"].erase(1);  // virt.flash0
  std::string removed;
  for (std::size_t i = 0; i < bad["sections"].size(); ++i)
    if (bad["sections"][i]["idstr"] == "serial") {
      removed = "serial";
      bad["sections"].erase(i);
      break;
    }
  REQUIRE(removed == "serial");
  // A device version too old for the destination, and a subsection it does not know.
  // fw_cfg sends its subsection fw_cfg/dma (its vmdesc lists it).
  const std::string sub_sent = "fw_cfg/dma", sub_device = "fw_cfg";
  bool sent = false;
  for (const auto& dev : info.walk.vmdesc["devices"])
    if (dev["name"] == sub_device && dev.contains("subsections"))
      for (const auto& s : dev["subsections"]) sent = sent || s["vmsd_name"] == sub_sent;
  REQUIRE(sent);
  for (auto it = bad["vmstate"].begin(); it != bad["vmstate"].end(); ++it) {
    if (!it.value().is_object() || !it.value().contains("Description")) continue;
    auto& desc = it.value()["Description"];
    if (desc["name"] == "goldfish_rtc") desc["minimum_version_id"] = 9;
    if (desc["name"] == sub_device && desc.contains("Subsections")) {
      Json kept = Json::array();
      for (const auto& s : desc["Subsections"])
        if (s["name"] != sub_sent) kept.push_back(s);
      desc["Subsections"] = kept;
    }
  }
  const std::string bad_path = work_path("explain-bad.json");
  {
    std::ofstream f(bad_path);
    f << bad.dump();
  }
  auto r = cli(fmt::format("explain --json {} --dest-schema {}", path, bad_path));
  CHECK(r.status == 1);
  const Json out = Json::parse(r.out);
  std::multiset<std::string> causes;
  for (const auto& p : out["problems"])
    if (p["severity"] == "error") causes.insert(p["cause"].get<std::string>());
  CHECK(causes.count("machine type") == 1);
  CHECK(causes.count("RAM blocks") == 2);  // unknown flash0, size of the RAM
  CHECK(causes.count("device set or order") == 1);
  CHECK(causes.count("versions") >= 1);
  CHECK(causes.count("subsections") == 1);
  CHECK(r.out.find("VM subsection 'fw_cfg/dma' in 'fw_cfg' does not exist") != std::string::npos);
  CHECK(r.out.find("Machine type received is 'virt' and local is 'virt-1.0'") != std::string::npos);
  CHECK(r.out.find("Unknown ramblock \\\"virt.flash0\\\", cannot accept migration") != std::string::npos);
  CHECK(r.out.find("Size mismatch: riscv_virt_board.ram: 0x4000000 != 0x8000000: Invalid argument") != std::string::npos);
  CHECK(r.out.find("Unknown savevm section or instance 'serial' 0") != std::string::npos);
  CHECK(r.out.find("goldfish_rtc: incoming version_id") != std::string::npos);
  // The destination from `lockstep run` options: invalid options are an error (exit 2) naming them.
  r = cli(fmt::format("explain {} -- -M virt-9.9 -m 64M", path));
  CHECK(r.status == 2);
  CHECK(r.err.find("unsupported machine type 'virt-9.9'") != std::string::npos);
  // A damaged stream: what could be checked, then the damage; exit 2.
  auto raw = slurp(path);
  raw.resize(raw.size() / 2);
  const std::string cut = work_path("explain-cut.mig");
  spit(cut, raw);
  r = cli(fmt::format("explain {} --dest-schema {}", cut, bad_path));
  CHECK(r.status == 2);
  CHECK(r.out.find("damaged stream") != std::string::npos);
  for (const auto& p : {path, schema, bad_path, cut}) std::remove(p.c_str());
}

// ByteSource::map_file (used for plain stream files) against open_file (read(2)) on a file of three
// mapping windows: the same bytes for every mix of read, skip and peek_n across window boundaries,
// and the same truncation errors.
TEST_CASE("mapped_source") {
  const std::string path = work_path("mapped.bin");
  const std::size_t size = 2 * stream::ByteSource::kMapWindow + 12345;
  std::vector<std::uint8_t> data(size);
  std::uint64_t x = 0x9e3779b97f4a7c15;
  for (auto& b : data) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    b = static_cast<std::uint8_t>(x);
  }
  spit(path, data);
  auto mapped = stream::ByteSource::map_file(path);
  auto plain = stream::ByteSource::open_file(path);
  REQUIRE(mapped.ok());
  REQUIRE(plain.ok());
  auto& m = *mapped.value();
  auto& p = *plain.value();
  std::uint64_t step = 1;
  std::vector<std::uint8_t> bm, bp;
  int op = 0;
  while (m.offset() < size - 70000) {
    INFO("offset " << m.offset() << " op " << op);
    switch (op++ % 4) {
      case 0: {  // read a few bytes
        const std::size_t n = static_cast<std::size_t>(step % 13 + 1);
        bm.resize(n), bp.resize(n);
        REQUIRE(m.read(bm.data(), n).ok());
        REQUIRE(p.read(bp.data(), n).ok());
        CHECK(bm == bp);
        break;
      }
      case 1: {  // skip up to 1/8 window, now and then up to ~1.5 windows
        const std::uint64_t n = (step * 7919) % ((step & 7) == 0 ? stream::ByteSource::kMapWindow * 3 / 2 : stream::ByteSource::kMapWindow / 8);
        const std::uint64_t k = std::min<std::uint64_t>(n, size - 70000 - m.offset());
        REQUIRE(m.skip(k).ok());
        REQUIRE(p.skip(k).ok());
        break;
      }
      case 2: {  // peek across whatever boundary is near
        auto a = m.peek_n(65536);
        auto b = p.peek_n(65536);
        REQUIRE(a.ok());
        REQUIRE(b.ok());
        CHECK(std::equal(a.value().begin(), a.value().end(), b.value().begin(), b.value().end()));
        break;
      }
      default: {
        auto a = m.be64();
        auto b = p.be64();
        REQUIRE(a.ok());
        REQUIRE(b.ok());
        CHECK(a.value() == b.value());
      }
    }
    CHECK(m.offset() == p.offset());
    step = step * 6364136223846793005ull + 1442695040888963407ull;
    step >>= 20;
  }
  CHECK(op > 40);
  // Exactly to the end, then one byte too far.
  const std::uint64_t left = size - m.offset();
  REQUIRE(m.skip(left - 3).ok());
  std::uint8_t tail[3];
  REQUIRE(m.read(tail, 3).ok());
  CHECK(std::equal(tail, tail + 3, data.end() - 3));
  auto at_end = m.at_end();
  REQUIRE(at_end.ok());
  CHECK(at_end.value());
  auto over = m.u8();
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().message.find(fmt::format("truncated stream at offset {}", size)) != std::string::npos);
  auto again = stream::ByteSource::map_file(path);
  REQUIRE(again.ok());
  auto st = again.value()->skip(size + 1);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("truncated stream") != std::string::npos);
  std::remove(path.c_str());
}

namespace {
// A stream with one hand-described device "pit" v`version`: field "channels", an array of two structs
// {u32 count, u64 next_transition_time, i16 delta}, then subsection "pit/extra" {u8 flag}; and a
// device "only_<tag>" so that each stream has a section the other lacks.
void write_handmade(const std::string& path, std::uint32_t version, std::uint64_t ntt1, const std::string& tag) {
  std::vector<std::uint8_t> body;
  auto put = [&](std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) body.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  put(0x10000, 4), put(0x1111, 8), put(0xffff, 2);  // channels[0]: count, next_transition_time, delta = -1
  put(0x20000, 4), put(ntt1, 8), put(0x0002, 2);    // channels[1]
  body.push_back(stream::kSubsection);
  body.push_back(9);
  for (char c : std::string("pit/extra")) body.push_back(static_cast<std::uint8_t>(c));
  put(1, 4), put(1, 1);
  const Json channel = {{"vmsd_name", "pit_channel"},
                        {"version", 2},
                        {"fields",
                         {{{"name", "count"}, {"type", "int32"}, {"size", 4}},
                          {{"name", "next_transition_time"}, {"type", "int64"}, {"size", 8}},
                          {{"name", "delta"}, {"type", "int16"}, {"size", 2}}}}};
  const Json desc = {
      {"page_size", 4096},
      {"devices",
       {{{"name", "pit"},
         {"instance_id", 0},
         {"vmsd_name", "pit"},
         {"version", version},
         {"fields", {{{"name", "channels"}, {"array_len", 2}, {"type", "struct"}, {"struct", channel}, {"size", 14}}}},
         {"subsections", {{{"vmsd_name", "pit/extra"}, {"version", 1}, {"fields", {{{"name", "flag"}, {"type", "bool"}, {"size", 1}}}}}}}},
        {{"name", "only_" + tag},
         {"instance_id", 0},
         {"vmsd_name", "only_" + tag},
         {"version", 1},
         {"fields", {{{"name", "x"}, {"type", "uint8"}, {"size", 1}}}}}}}};
  auto sink = stream::ByteSink::create_file(path);
  REQUIRE(sink.ok());
  stream::StreamWriter w(*sink.value());
  REQUIRE(w.header().ok());
  REQUIRE(w.configuration("handmade", 12).ok());
  REQUIRE(w.ram_start(1, {{"ram0", 2 * 4096}}).ok());
  REQUIRE(w.ram_end_begin(1).ok());
  std::vector<std::uint8_t> page(4096, 0x11);
  REQUIRE(w.ram_page("ram0", 0, page).ok());
  REQUIRE(w.ram_zero_page("ram0", 4096).ok());
  REQUIRE(w.ram_end_finish(1).ok());
  REQUIRE(w.full_section(2, "pit", 0, version, body).ok());
  const std::vector<std::uint8_t> one = {7};
  REQUIRE(w.full_section(3, "only_" + tag, 0, 1, one).ok());
  REQUIRE(w.eof().ok());
  REQUIRE(w.vmdesc(desc).ok());
  REQUIRE(w.sink().flush().ok());
}
}  // namespace

TEST_CASE("struct_paths") {
  const std::string a = work_path("hm-a.mig"), b = work_path("hm-b.mig");
  write_handmade(a, 2, 0x2222, "a");
  write_handmade(b, 3, 0x3333, "b");
  // dump: arrays of structs as lists of objects, signed values with their decimal, subsection by name.
  const auto dump = inspect::dump_stream(a);
  REQUIRE_MESSAGE(!dump.error, dump.error.value_or(""));
  const Json* pit = find_device(dump.doc, "pit");
  REQUIRE(pit);
  const Json want = Json::parse(R"J({"channels": [
      {"count": "0x00010000", "next_transition_time": "0x0000000000001111", "delta": "0xffff (-1)"},
      {"count": "0x00020000", "next_transition_time": "0x0000000000002222", "delta": "0x0002"}],
    "pit/extra": {"flag": true}})J");
  CHECK((*pit)["fields"] == want);
  // diff: the version, the sections in one only, and the member path.
  const auto d = inspect::diff_streams(a, b);
  REQUIRE_MESSAGE(!d.error, d.error.value_or(""));
  const Json j = inspect::diff_json(d);
  CHECK(j["sections"] == Json::parse(R"J([
      {"section": "pit", "instance": 0, "version_a": 2, "version_b": 3},
      {"section": "only_a", "instance": 0, "only_in": "a"},
      {"section": "only_b", "instance": 0, "only_in": "b"}])J"));
  CHECK(j["fields"] == Json::parse(R"J([{"section": "pit", "instance": 0, "field": "channels[1].next_transition_time",
      "a": "0x0000000000002222", "b": "0x0000000000003333"}])J"));
  CHECK(j["ram"].empty());
  CHECK(j["configuration"].empty());
  // A struct whose vmdesc size disagrees with its members is an error, not a misread.
  auto raw = slurp(a);
  const std::string s14 = "\"size\": 14";
  std::string text(raw.begin(), raw.end());
  const auto at = text.rfind(s14);
  REQUIRE(at != std::string::npos);
  text.replace(at, s14.size(), "\"size\": 13");  // same length: the vmdesc's be32 length still holds
  const std::string c = work_path("hm-c.mig");
  spit(c, std::vector<std::uint8_t>(text.begin(), text.end()));
  const auto bad = inspect::read_info(c);
  REQUIRE(bad.error);
  CHECK_MESSAGE(bad.error->find("struct 'pit_channel' took 14 bytes on the wire, the VM description says 13") !=
                    std::string::npos,
                *bad.error);
  for (const auto& p : {a, b, c}) std::remove(p.c_str());
}

// "int32 le" is VMSTATE_INT32_POSITIVE_LE: "le" is the load check (less or equal), not the byte
// order; the value is big-endian like every integer (QEMU's get_int32_le reads qemu_get_sbe32s).
TEST_CASE("int32_le") {
  const Json field = {{"name", "version_id"}, {"type", "int32 le"}, {"size", 4}};
  const std::vector<std::uint8_t> two = {0, 0, 0, 2}, minus_two = {0xff, 0xff, 0xff, 0xfe};
  CHECK(inspect::format_value(field, two) == "0x00000002");
  CHECK(inspect::format_value(field, minus_two) == "0xfffffffe (-2)");
}
