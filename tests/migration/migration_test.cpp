// Migration through lockstep's command line: equivalence (a run cut at icount N, saved, loaded in a
// fresh process and run on ends exactly like a straight run), transports (file, .zst, unix, tcp),
// atomic saves, and the loader's error catalog on damaged and mismatched streams.
//
// The binary under test is LOCKSTEP_BIN, or $LOCKSTEP_UNDER_TEST when set (CI runs the error
// catalog a second time against an ASan+UBSan build of lockstep).
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "snapshot/stream/vmdesc_walker.h"
#include "tools/host_process.h"
#include "tests/test_files.h"

using namespace lockstep;
namespace fs = std::filesystem;

namespace {

std::string lockstep_bin() { return lockstep::testing::binary_under_test(LOCKSTEP_BIN); }

std::string work(const std::string& name) { return fmt::format("{}/{}-{}", MIGRATION_WORKDIR, ::getpid(), name); }

std::string guest(const std::string& name) { return fmt::format("{}/{}.elf", GUESTS_DIR, name); }

struct Run {
  std::string out, err;
  int code = -1;
  std::string digest;  // the last "digest <icount> <hex>" line, or ""
};

Run run(std::vector<std::string> args, int timeout = 120) {
  args.insert(args.begin(), {lockstep_bin(), "run"});
  tools::ProcessOptions o;
  o.timeout_seconds = timeout;
  tools::ProcessResult r = tools::run_process(args, o);
  INFO("command: " << fmt::format("{}", fmt::join(args, " ")));
  INFO("stderr: " << r.err);
  REQUIRE_MESSAGE(!r.spawn_failed, "spawn failed");
  REQUIRE_MESSAGE(!r.timed_out, "timed out");
  REQUIRE_MESSAGE(r.signal == 0, "killed by a signal");
  Run out{r.out, r.err, r.exit_code, {}};
  std::size_t at = r.err.rfind("digest ");
  if (at != std::string::npos) out.digest = r.err.substr(at, r.err.find('\n', at) - at);
  return out;
}

std::uint64_t digest_icount(const std::string& digest_line) {
  return std::stoull(digest_line.substr(7, digest_line.find(' ', 7) - 7));
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Cut at every icount in `cuts`: save + stop in one process, load + finish in another.
void check_cuts(const std::vector<std::string>& base, const std::vector<std::uint64_t>& cuts, const std::string& tag,
                const std::string& suffix = ".mig") {
  const Run straight = run(with(base, {"--digest"}));
  REQUIRE(!straight.digest.empty());
  const std::uint64_t total = digest_icount(straight.digest);
  const std::string file = work(tag + suffix);
  int checked = 0;
  for (std::uint64_t cut : cuts) {
    if (cut == 0 || cut >= total) continue;
    CAPTURE(tag);
    CAPTURE(cut);
    const std::string n = std::to_string(cut);
    const Run a = run(with(base, {"--save-at", n + "=" + file, "--max-insns", n}));
    REQUIRE(a.code == 3);
    const Run b = run(with(base, {"--digest", "--incoming", file}));
    CHECK(b.code == straight.code);
    CHECK(b.digest == straight.digest);
    CHECK(a.out + b.out == straight.out);
    ++checked;
  }
  CHECK(checked > 0);
  std::remove(file.c_str());
}

// Icounts from --trace at which the next instruction matches one of `patterns` (a cut right
// before it and right after it), at most `per_pattern` of each.
std::vector<std::uint64_t> event_cuts(const std::vector<std::string>& base, const std::vector<std::string>& patterns,
                                      int per_pattern) {
  const Run t = run(with(base, {"--trace", "--max-insns", "400000"}));  // a bounded trace
  std::vector<std::uint64_t> cuts;
  for (const std::string& p : patterns) {
    int found = 0;
    std::size_t pos = 0;
    while (found < per_pattern && (pos = t.err.find(p, pos)) != std::string::npos) {
      const std::size_t line = t.err.rfind('\n', pos) + 1;
      const std::uint64_t ic = std::strtoull(t.err.c_str() + line, nullptr, 10);
      cuts.push_back(ic);
      cuts.push_back(ic + 1);
      cuts.push_back(ic + 2);
      pos = t.err.find('\n', pos);
      ++found;
    }
  }
  return cuts;
}

std::vector<std::uint64_t> spread_cuts(std::uint64_t total, int n) {
  std::vector<std::uint64_t> cuts;
  for (int k = 1; k <= n; ++k) cuts.push_back(total * static_cast<std::uint64_t>(k) / static_cast<std::uint64_t>(n + 1) + static_cast<std::uint64_t>(k));
  return cuts;
}

std::vector<std::string> bare(const std::string& machine, const std::string& g) {
  return {"-M", machine, "-m", "64M", "-bios", "none", "-kernel", guest(g)};
}

std::uint64_t total_of(const std::vector<std::string>& base) {
  const Run r = run(with(base, {"--digest"}));
  REQUIRE(!r.digest.empty());
  return digest_icount(r.digest);
}

using lockstep::testing::slurp;
using lockstep::testing::spit;

std::size_t find_bytes(const std::vector<std::uint8_t>& hay, const std::string& needle, std::size_t from = 0) {
  auto it = std::search(hay.begin() + static_cast<std::ptrdiff_t>(from), hay.end(), needle.begin(), needle.end());
  return it == hay.end() ? std::string::npos : static_cast<std::size_t>(it - hay.begin());
}

void put_be32(std::vector<std::uint8_t>& d, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) d[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

snapshot::stream::WalkResult walk(const std::string& path) {
  auto w = snapshot::stream::walk_stream(path);
  REQUIRE_MESSAGE(w.ok(), (w.ok() ? "" : w.error().message));
  return w.value();
}

const snapshot::stream::SectionInfo& section(const snapshot::stream::WalkResult& w, const std::string& idstr,
                                              std::uint32_t instance = 0) {
  for (const auto& s : w.sections)
    if (s.header.idstr == idstr && s.header.instance_id == instance && s.header.type == snapshot::stream::kFull) return s;
  FAIL("no section " << idstr);
  return w.sections.front();
}

// Loads `file` into `base` and expects a refusal whose stderr contains every text in `expect`.
void expect_refusal(const std::vector<std::string>& base, const std::string& file,
                    const std::vector<std::string>& expect) {
  const Run r = run(with(base, {"--incoming", file}));
  CHECK(r.code == 1);
  CHECK(r.out.empty());  // nothing ran
  for (const std::string& e : expect) {
    INFO("expected: " << e);
    CHECK(r.err.find(e) != std::string::npos);
  }
  CHECK(r.err.find("load of migration failed") != std::string::npos);
}

}  // namespace

TEST_CASE("equivalence-guests") {
  // Each guest, cut around the events that make migration interesting, on every machine version.
  struct Case {
    std::string guest;
    std::vector<std::string> extra;
    std::vector<std::string> events;
  };
  const std::vector<Case> cases = {
      {"atomics", {}, {"lr.", "sc."}},                       // LR reservation held across the cut
      {"timer", {}, {"wfi", "mret", "csrs\tmie", "csrw\tmie"}},  // timer armed, interrupt pending
      {"plic_uart", {}, {"wfi", "mret", "sb\t"}},              // UART FIFO/THR, PLIC claim
      {"virtio_rng", {"-device", "virtio-rng-device"}, {"fence", "sw\t"}},  // virtqueue mid-request
      {"rtc", {}, {"wfi", "mret"}},
      {"vm", {}, {"sfence.vma", "sret", "csrw\tsatp"}},
      {"traps", {}, {"ecall", "mret", "sret"}},
      {"float", {}, {"fdiv", "fsqrt"}},
      {"hello", {}, {"sb\t"}},
      {"triggers", {}, {"0x7a1", "mret"}},  // execute and load/store triggers set across the cut
  };
  for (const Case& c : cases) {
    // Every guest on the newest version; the device-heavy ones on the older versions too.
    std::vector<const char*> machines = {"virt"};
    if (c.guest == "plic_uart" || c.guest == "timer" || c.guest == "virtio_rng" || c.guest == "atomics")
      machines = {"virt-1.0", "virt-1.1", "virt-2.0", "virt"};
    for (const char* machine : machines) {
      const auto base = with(bare(machine, c.guest), c.extra);
      std::vector<std::uint64_t> cuts = spread_cuts(total_of(base), 5);
      for (std::uint64_t e : event_cuts(base, c.events, 3)) cuts.push_back(e);
      check_cuts(base, cuts, fmt::format("{}-{}", c.guest, machine));
    }
  }
}

TEST_CASE("equivalence-smp") {
  // Two harts: the round-robin position (hart and quantum) is part of the state.
  const auto base = std::vector<std::string>{"-M", "virt", "-m", "256M", "-smp", "2", "-bios", "none", "-kernel",
                                             guest("atomics")};
  std::vector<std::uint64_t> cuts = spread_cuts(total_of(base), 6);
  for (std::uint64_t c : {999u, 1000u, 1001u, 1999u, 2000u, 2001u}) cuts.push_back(c);
  check_cuts(base, cuts, "smp2");
}

TEST_CASE("equivalence-uboot") {
  // OpenSBI + U-Boot on two harts with a virtio disk, driven through the console: cuts during the
  // firmware, while console input is queued, and while U-Boot reads the disk.
  const std::string disk = work("uboot-disk.img");
  {
    std::vector<std::uint8_t> d(4 << 20, 0);
    const std::string hello = "hello from the migrated disk";
    std::copy(hello.begin(), hello.end(), d.begin());
    spit(disk, d);
  }
  for (const char* machine : {"virt-1.0", "virt-1.1", "virt"}) {
    const std::vector<std::string> base = {
        "-M", machine, "-m", "256M", "-smp", "2", "-bios", OPENSBI_FW_JUMP, "-kernel", UBOOT_SMODE,
        "-drive", "file=" + disk + ",format=raw,if=virtio", "--send-on", "autoboot", " ", "--send-on", "=> ",
        "virtio scan\\n", "--send-on", "=> ", "virtio read 0x84000000 0 1\\n", "--send-on", "=> ",
        "md.b 0x84000000 0x20\\n", "--stop-on", "=> "};
    const std::uint64_t total = total_of(base);
    std::vector<std::uint64_t> cuts = spread_cuts(total, 7);
    for (std::uint64_t back : {1000u, 200000u, 2000000u}) cuts.push_back(total - back);
    check_cuts(base, cuts, fmt::format("uboot-{}", machine));
  }
  std::remove(disk.c_str());
}

TEST_CASE("equivalence-jit") {
  // Compiled regions on both sides: cuts at every icount of a stretch land inside regions and
  // between them; the result must equal the interpreter's straight run. The thresholds put most
  // instructions in compiled code (--jit-stats: atomics 82%, vm 70%, U-Boot 78%) at a fraction of
  // compiling everything (U-Boot at threshold 250: 44 s a run, at 20000: 5 s).
  // triggers: its hot loops compiled (45% of it at 50), then triggers set on them (the
  // interpreter takes over).
  for (const auto& [g, threshold] : {std::pair{"atomics", "200"}, std::pair{"vm", "2"}, std::pair{"triggers", "50"}}) {
    const auto interp = bare("virt", g);
    const auto jit = with(interp, {"--jit=on", "--jit-threshold", threshold});
    const Run a = run(with(interp, {"--digest"}));
    const Run b = run(with(jit, {"--digest"}));
    CHECK(a.digest == b.digest);
    CHECK(a.out == b.out);
    const std::uint64_t total = digest_icount(b.digest);
    std::vector<std::uint64_t> cuts = spread_cuts(total, 3);
    for (std::uint64_t k = 0; k < 5; ++k) cuts.push_back(total / 2 + k);
    check_cuts(jit, cuts, fmt::format("jit-{}", g));
  }
  const std::string disk = work("uboot-jit-disk.img");
  spit(disk, std::vector<std::uint8_t>(1 << 20, 0));
  const std::vector<std::string> uboot = {
      "-M", "virt", "-m", "256M", "-smp", "2", "-bios", OPENSBI_FW_JUMP, "-kernel", UBOOT_SMODE, "-drive",
      "file=" + disk + ",format=raw,if=virtio", "--send-on", "autoboot", " ", "--send-on", "=> ", "virtio scan\n",
      "--stop-on", "=> ", "--jit=on", "--jit-threshold", "20000"};
  check_cuts(uboot, spread_cuts(total_of(uboot), 3), "jit-uboot");
  std::remove(disk.c_str());
}

TEST_CASE("zstd") {
  const auto base = bare("virt", "timer");
  check_cuts(base, spread_cuts(total_of(base), 3), "timer-zst", ".mig.zst");
  // The file really is a zstd frame around a plain stream.
  const std::string f = work("check.mig.zst");
  run(with(base, {"--save-at", "20000=" + f, "--max-insns", "20000"}));
  const auto bytes = slurp(f);
  REQUIRE(bytes.size() > 4);
  CHECK(bytes[0] == 0x28);
  CHECK(bytes[1] == 0xb5);
  CHECK(bytes[2] == 0x2f);
  CHECK(bytes[3] == 0xfd);
  // A damaged compressed file is refused with a zstd message, not a crash.
  auto broken = bytes;
  broken.resize(broken.size() / 2);
  spit(f, broken);
  expect_refusal(base, f, {"zstd"});
  std::remove(f.c_str());
}

namespace {
// A destination waiting on `endpoint`, then a source migrating to it at `cut`.
void socket_migration(const std::vector<std::string>& base, const std::string& endpoint, std::uint64_t cut,
                      const std::string& socket_file) {
  const Run straight = run(with(base, {"--digest"}));
  Run dest;
  std::thread t([&] { dest = run(with(base, {"--digest", "--incoming", endpoint}), 30); });
  // Wait until the destination listens (the socket file exists, or the port accepts).
  Run src;
  for (int i = 0; i < 200; ++i) {
    if (!socket_file.empty()) {
      struct stat st {};
      if (::stat(socket_file.c_str(), &st) != 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
        continue;
      }
    }
    src = run(with(base, {"--digest", "--migrate-at", fmt::format("{}={}", cut, endpoint)}));
    if (src.code == 0 || src.err.find("Failed to connect") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  t.join();
  INFO("source: " << src.err);
  INFO("destination: " << dest.err);
  CHECK(src.code == 0);
  CHECK(src.err.find(fmt::format("migrated at icount {}", cut)) != std::string::npos);
  CHECK(dest.code == straight.code);
  CHECK(dest.digest == straight.digest);
  CHECK(src.out + dest.out == straight.out);
}
}  // namespace

TEST_CASE("unix-socket") {
  const std::string sock = work("mig.sock");
  socket_migration(bare("virt", "plic_uart"), "unix:" + sock, 6001, sock);
  struct stat st {};
  CHECK(::stat(sock.c_str(), &st) != 0);  // the destination removed its socket
  const auto smp = std::vector<std::string>{"-M", "virt-1.0", "-m", "256M", "-smp", "2", "-bios", "none", "-kernel",
                                            guest("atomics")};
  socket_migration(smp, "unix:" + sock, 500003, sock);
}

namespace {
// Connects to a unix socket once it exists; -1 after ~5 s.
int connect_unix(const std::string& path) {
  for (int i = 0; i < 200; ++i) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
    ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return -1;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t k = ::write(fd, bytes.data(), bytes.size());
    REQUIRE(k > 0);
    bytes.remove_prefix(static_cast<std::size_t>(k));
  }
}
}  // namespace

// A live destination: a source that stalls is given up on after --incoming-timeout, with that said;
// a complete stream starts the guest while the sender still holds the connection open.
TEST_CASE("incoming-live") {
  const auto base = bare("virt", "plic_uart");
  const std::string saved = work("live.mig");
  const Run straight = run(with(base, {"--digest"}));
  REQUIRE(run(with(base, {"--save-at", "6001=" + saved})).code == straight.code);
  const std::string stream = file_bytes(saved);
  REQUIRE(stream.size() > 4096);
  const std::string sock = work("live.sock");

  SUBCASE("stalled source") {
    Run dest;
    std::thread t([&] { dest = run(with(base, {"--incoming", "unix:" + sock, "--incoming-timeout", "2"}), 30); });
    const int fd = connect_unix(sock);
    REQUIRE(fd >= 0);
    send_all(fd, std::string_view(stream).substr(0, 3000));
    t.join();  // the connection stays open: only the timeout ends the wait
    ::close(fd);
    INFO(dest.err);
    CHECK(dest.code == 1);
    CHECK(dest.err.find("the sender stalled") != std::string::npos);
    CHECK(dest.err.find("(--incoming-timeout 2)") != std::string::npos);
  }
  SUBCASE("no source") {
    const Run dest = run(with(base, {"--incoming", "unix:" + sock, "--incoming-timeout", "1"}), 30);
    CHECK(dest.code == 1);
    CHECK(dest.err.find("no migration source connected to unix:" + sock + " within 1 s (--incoming-timeout)") !=
          std::string::npos);
  }
  SUBCASE("complete stream, connection still open") {
    Run dest;
    std::thread t([&] { dest = run(with(base, {"--digest", "--incoming", "unix:" + sock}), 30); });
    const int fd = connect_unix(sock);
    REQUIRE(fd >= 0);
    send_all(fd, stream);
    t.join();  // were the destination waiting for the close, run()'s 30 s limit would kill it
    ::close(fd);
    INFO(dest.err);
    CHECK(dest.code == straight.code);
    CHECK(dest.digest == straight.digest);
  }
}

TEST_CASE("tcp") {
  const int port = 20000 + static_cast<int>(::getpid() % 20000);
  socket_migration(bare("virt", "timer"), fmt::format("tcp:127.0.0.1:{}", port), 12345, "");
}

TEST_CASE("atomic-save") {
  const auto base = bare("virt", "hello");
  // An unwritable place: an error, no file.
  const Run r = run(with(base, {"--save-at", "1000=/proc/no/such/dir/x.mig"}));
  CHECK(r.code == 1);
  CHECK(r.err.find("--save-at 1000") != std::string::npos);
  // A save killed midway (a 2 GiB guest takes long enough to catch it) leaves the old file intact.
  const std::string f = work("atomic.mig");
  run(with(base, {"--save-at", "1000=" + f, "--max-insns", "1000"}));
  const auto good = slurp(f);
  REQUIRE(!good.empty());
  std::vector<std::string> args = {lockstep_bin(), "run", "-M", "virt", "-m", "2G", "-bios", "none", "-kernel",
                                   guest("hello"), "--save-at", "1000=" + f};
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::freopen("/dev/null", "w", stdout);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  // Kill it once the temporary file exists and has grown.
  bool seen = false;
  for (int i = 0; i < 2000 && !seen; ++i) {
    for (const auto& e : fs::directory_iterator(MIGRATION_WORKDIR)) {
      const std::string name = e.path().filename().string();
      if (name.rfind(fs::path(f).filename().string() + ".tmp.", 0) == 0 && fs::file_size(e.path()) > 4096) seen = true;
    }
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(seen);
  CHECK(slurp(f) == good);  // the final name still holds the complete old snapshot
  for (const auto& e : fs::directory_iterator(MIGRATION_WORKDIR))
    if (e.path().filename().string().rfind(fs::path(f).filename().string() + ".tmp.", 0) == 0) fs::remove(e.path());
  std::remove(f.c_str());
}

TEST_CASE("errors") {
  const auto base = bare("virt", "timer");
  const std::string good = work("good.mig");
  const std::string bad = work("bad.mig");
  REQUIRE(run(with(base, {"--save-at", "20000=" + good, "--max-insns", "20000"})).code == 3);
  const auto bytes = slurp(good);
  const auto w = walk(good);

  SUBCASE("not a migration stream") {
    spit(bad, {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
    expect_refusal(base, bad, {"Not a migration stream"});
  }
  SUBCASE("unsupported file version") {
    auto d = bytes;
    put_be32(d, 4, 4);
    spit(bad, d);
    expect_refusal(base, bad, {"Unsupported migration stream file version 4"});
  }
  SUBCASE("machine type mismatch") {
    expect_refusal(bare("virt-1.0", "timer"), good,
                   {"Machine type received is 'virt-2.1' and local is 'virt-1.0'", "start the destination with -M virt-2.1"});
  }
  SUBCASE("unknown section") {
    const std::string rng = work("rng.mig");
    REQUIRE(run(with(with(base, {"-device", "virtio-rng-device"}), {"--save-at", "20000=" + rng, "--max-insns", "20000"}))
                .code == 3);
    expect_refusal(base, rng,
                   {"Unknown savevm section or instance 'virtio-rng' 0. Make sure that your current VM setup matches "
                    "your saved VM setup, including any hotplugged devices",
                    "the source wrote: virtio-rng v1: seed uint64", "likely cause: the device set differs"});
    std::remove(rng.c_str());
  }
  SUBCASE("missing section footer") {
    // The destination has two harts: the mtimer's timecmp array is longer than what was sent.
    expect_refusal(with(base, {"-smp", "2"}), good,
                   {"Missing section footer for riscv_mtimer",
                    "field 'timecmp' has 1 elements in the source and 2 here: the configuration differs"});
    // A damaged footer byte.
    const auto& s = section(w, "goldfish_rtc");
    auto d = bytes;
    d[s.header.body_offset + s.body_size] = 0x55;
    spit(bad, d);
    expect_refusal(base, bad, {"Missing section footer for goldfish_rtc", "(expected 0x7e)"});
  }
  SUBCASE("section version too new") {
    const auto& s = section(w, "serial");
    auto d = bytes;
    put_be32(d, s.header.body_offset - 4, 9);
    spit(bad, d);
    expect_refusal(base, bad, {"savevm: unsupported version 9 for 'serial' v4",
                               "serial: incoming version_id 9 is too new for local version_id 4"});
  }
  SUBCASE("section version too old") {
    const auto& s = section(w, "serial");
    auto d = bytes;
    put_be32(d, s.header.body_offset - 4, 1);
    spit(bad, d);
    expect_refusal(base, bad, {"serial: incoming version_id 1 is too old for local minimum version_id 2"});
  }
  SUBCASE("unknown subsection") {
    const auto& s = section(w, "serial");
    const std::size_t at = find_bytes(bytes, "serial/tsr", s.header.body_offset);
    REQUIRE(at != std::string::npos);
    REQUIRE(at < s.header.body_offset + s.body_size);
    auto d = bytes;
    d[at + 9] = 'X';
    spit(bad, d);
    expect_refusal(base, bad,
                   {"error while loading state for instance 0x0 of device 'serial'",
                    "VM subsection 'serial/tsX' in 'serial' does not exist",
                    "the source sent a subsection this destination does not know"});
  }
  SUBCASE("unknown ramblock") {
    // A virt-1.1 stream relabelled as virt-2.0: main RAM was renamed between the two.
    const std::string v11 = work("v11.mig");
    REQUIRE(run(with(bare("virt-1.1", "timer"), {"--save-at", "20000=" + v11, "--max-insns", "20000"})).code == 3);
    auto d = slurp(v11);
    const std::size_t at = find_bytes(d, "virt-1.1");
    REQUIRE(at < 32);
    d[at + 5] = '2';
    d[at + 7] = '0';
    spit(bad, d);
    expect_refusal(bare("virt-2.0", "timer"), bad,
                   {"Unknown ramblock \"riscv_virt_board.ram\", cannot accept migration",
                    "that is main RAM's id on virt-1.0, virt-1.1; on this machine version (virt-2.0) it is \"virt.ram\""});
    std::remove(v11.c_str());
  }
  SUBCASE("ram block length mismatch") {
    auto small = base;
    small[3] = "32M";
    expect_refusal(small, good,
                   {"Size mismatch: virt.ram: 0x4000000 != 0x2000000: Invalid argument", "-m differs"});
  }
  SUBCASE("truncated stream") {
    const auto& serial = section(w, "serial");
    const auto& hashes = section(w, "lockstep/page-hashes");
    for (std::size_t cut : {std::size_t{3}, std::size_t{20}, static_cast<std::size_t>(hashes.header.offset) - 7,
                            static_cast<std::size_t>(hashes.header.body_offset) + 100,
                            static_cast<std::size_t>(serial.header.body_offset) + 3,
                            static_cast<std::size_t>(w.eof_offset)}) {
      CAPTURE(cut);
      spit(bad, std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut)));
      const Run r = run(with(base, {"--incoming", bad}));
      CHECK(r.code == 1);
      CHECK(r.out.empty());
      const bool named = r.err.find("truncated") != std::string::npos ||
                         r.err.find("Not a migration stream") != std::string::npos;
      CHECK(named);
    }
  }
  SUBCASE("page hash mismatch") {
    // Main RAM's name appears first in the RAM setup, then in the first page record, whose page
    // (the guest's code at offset 0) follows the name: flip a byte of it.
    const std::string counted = std::string(1, '\x08') + "virt.ram";
    const std::size_t setup = find_bytes(bytes, counted);
    REQUIRE(setup != std::string::npos);
    const std::size_t first_record = find_bytes(bytes, counted, setup + 1);
    REQUIRE(first_record != std::string::npos);
    REQUIRE((bytes[first_record - 1] & 0x08) != 0);  // a PAGE record
    auto d = bytes;
    d[first_record + counted.size() + 100] ^= 0x5a;
    spit(bad, d);
    expect_refusal(base, bad, {"page hash mismatch after load: 1 page(s) differ", "virt.ram+0x0"});
  }
  SUBCASE("destination device without state") {
    expect_refusal(with(base, {"-device", "virtio-rng-device"}), good,
                   {"received no state", "'virtio-rng' instance 0", "QEMU would run them from their reset state"});
  }
  SUBCASE("state lost in migration") {
    // The source's per-section digest of the UART differs from what arrived.
    const auto& run_sec = section(w, "lockstep/run");
    auto d = bytes;
    // icount, virtual_ns, input_position, digest, section_count: then the digests in section order.
    std::size_t serial_index = 0;
    for (const auto& s : w.sections)
      if (s.header.type == snapshot::stream::kFull && s.header.idstr != "lockstep/page-hashes" &&
          s.header.idstr != "lockstep/run") {
        if (s.header.idstr == "serial") break;
        ++serial_index;
      }
    d[run_sec.header.body_offset + 36 + 8 * serial_index + 7] ^= 1;
    spit(bad, d);
    expect_refusal(base, bad, {"state lost in migration", "'serial' instance 0"});
  }
  std::remove(bad.c_str());
  std::remove(good.c_str());
}

namespace {
Run snapshot_tool(std::vector<std::string> args) {
  args.insert(args.begin(), {lockstep_bin(), "snapshot"});
  tools::ProcessResult r = tools::run_process(args, 120);
  INFO("command: " << fmt::format("{}", fmt::join(args, " ")));
  REQUIRE(r.signal == 0);
  REQUIRE(!r.timed_out);
  return Run{r.out, r.err, r.exit_code, {}};
}
}  // namespace

TEST_CASE("snapshot-tools") {
  // The snapshot tools on streams `lockstep run --save-at` wrote, and on machine versions.
  const auto base = bare("virt", "timer");
  const std::string a = work("tools-a.mig"), a2 = work("tools-a2.mig.zst"), b = work("tools-b.mig");
  REQUIRE(run(with(base, {"--save-at", "20000=" + a, "--save-at", "20000=" + a2, "--save-at", "20500=" + b,
                          "--max-insns", "20500"}))
              .code == 3);
  const Run info = snapshot_tool({"info", a});
  CHECK(info.code == 0);
  CHECK(info.out.find("virt-2.1") != std::string::npos);
  CHECK(info.out.find("lockstep/page-hashes") != std::string::npos);
  // The same cut, plain and compressed: identical.
  CHECK(snapshot_tool({"diff", a, a2}).code == 0);
  // 500 instructions later: the hart's pc and the clock differ, field by field.
  const Run d = snapshot_tool({"diff", a, b, "--json"});
  CHECK(d.code == 1);
  CHECK(d.out.find("\"identical\": false") != std::string::npos);
  CHECK(d.out.find("env.pc") != std::string::npos);
  const Run dump = snapshot_tool({"dump", a, "--json"});
  CHECK(dump.code == 0);
  CHECK(dump.out.find("\"divider\": \"0x000c\"") != std::string::npos);
  // Machine versions as schemas.
  // Another machine type is refused by every loader (the configuration section): an error, alone
  // when the devices' layouts are compatible.
  CHECK(snapshot_tool({"check", "virt-2.0", "virt-2.0"}).code == 0);
  const Run up = snapshot_tool({"check", "virt-1.1", "virt-2.0"});
  CHECK(up.code == 1);
  CHECK(up.out.find("Machine type received is 'virt-1.1' and local is 'virt-2.0'") != std::string::npos);
  CHECK(up.out.find("incompatible: 1 error") != std::string::npos);
  const Run down = snapshot_tool({"check", "virt-2.0", "virt-1.1"});
  CHECK(down.code == 1);
  CHECK(down.out.find("riscv_sifive_plic/source96") != std::string::npos);
  CHECK(snapshot_tool({"check", "virt-1.1", "virt-1.0"}).code == 1);
  // virt-2.1's harts have triggers, which virt-2.0 cannot receive.
  const Run triggers = snapshot_tool({"check", "virt-2.1", "virt-2.0"});
  CHECK(triggers.code == 1);
  CHECK(triggers.out.find("cpu/debug") != std::string::npos);
  // explain against the machine `lockstep run` would build from these options: every problem.
  const Run ex = snapshot_tool({"explain", a, "--", "-M", "virt-1.1", "-m", "32M", "-bios", "none", "-kernel",
                                guest("timer")});
  CHECK(ex.code == 1);
  CHECK(ex.out.find("Machine type received is 'virt-2.1' and local is 'virt-1.1'") != std::string::npos);
  CHECK(ex.out.find("virt.ram") != std::string::npos);
  const Run fine = snapshot_tool({"explain", a, "--", "-M", "virt", "-m", "64M", "-bios", "none", "-kernel",
                                  guest("timer")});
  CHECK(fine.code == 0);
  for (const auto& f : {a, a2, b}) std::remove(f.c_str());
}

TEST_CASE("deterministic-streams") {
  // The same cut in two processes writes the same bytes, plain and compressed: nothing host-side
  // (time, addresses, thread timing) reaches a stream.
  const auto base = bare("virt", "plic_uart");
  for (const char* suffix : {".mig", ".mig.zst"}) {
    const std::string x = work(std::string("det-x") + suffix), y = work(std::string("det-y") + suffix);
    REQUIRE(run(with(base, {"--save-at", "6000=" + x, "--max-insns", "6000"})).code == 3);
    REQUIRE(run(with(base, {"--save-at", "6000=" + y, "--max-insns", "6000"})).code == 3);
    const auto bx = slurp(x);
    CHECK(!bx.empty());
    CHECK(bx == slurp(y));
    std::remove(x.c_str());
    std::remove(y.c_str());
  }
}

TEST_CASE("bad-options") {
  // Hostile migration options: one clear line, exit 1, no run.
  const auto base = bare("virt", "hello");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--save-at", "abc"}, "expected ICOUNT=FILE"},
      {{"--save-at", "12x=f.mig"}, "--save-at"},
      {{"--save-at", "100="}, "expected ICOUNT=FILE"},
      {{"--save-at", "100=unix:/tmp/s"}, "expected ICOUNT=FILE"},
      {{"--migrate-at", "100=file.mig"}, "expected unix:PATH or tcp:HOST:PORT"},
      {{"--migrate-at", "100=tcp:host"}, "expected tcp:HOST:PORT"},
      {{"--migrate-at", "100=tcp:127.0.0.1:0"}, "the port must be 1 to 65535"},
      {{"--migrate-at", "100=tcp:example.org:4444"}, "must be an IPv4 address"},
      {{"--migrate-at", "100=unix:" + std::string(200, 'x')}, "longer than"},
      {{"--incoming", "exec:cat f"}, "the exec transport is not supported"},
      {{"--incoming", "/nonexistent/f.mig"}, "cannot open"},
      {{"--incoming", "/tmp"}, "load of migration failed"},
  };
  for (const auto& c : cases) {
    // Not a structured binding: clang-14 does not let CAPTURE's lambda capture one.
    const auto& args = c.first;
    const auto& text = c.second;
    CAPTURE(text);
    const Run r = run(with(base, args));
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.find(text) != std::string::npos);
  }
  const Run m = run(bare("virt-0.9", "hello"));
  CHECK(m.code == 1);
  CHECK(m.err.find("unsupported machine type 'virt-0.9'") != std::string::npos);
  // Nobody listening: the source says so and exits 1.
  const Run r = run(with(base, {"--migrate-at", "100=unix:" + work("nobody.sock")}));
  CHECK(r.code == 1);
  CHECK(r.err.find("Failed to connect") != std::string::npos);
}

TEST_CASE("dump-vmstate") {
  // QEMU's -dump-vmstate layout; the versions differ where their compat properties say.
  std::string text[2];
  const char* machines[2] = {"virt-1.0", "virt-2.0"};
  for (int i = 0; i < 2; ++i) {
    const std::string f = work(fmt::format("schema-{}.json", i));
    const Run r = run({"-M", machines[i], "--dump-vmstate", f});
    REQUIRE(r.code == 0);
    std::ifstream in(f);
    text[i] = std::string(std::istreambuf_iterator<char>(in), {});
    std::remove(f.c_str());
  }
  for (int i = 0; i < 2; ++i) {
    CHECK(text[i].find(fmt::format("\"vmschkmachine\": {{\n        \"Name\": \"{}\"", machines[i])) != std::string::npos);
    CHECK(text[i].find("\"serial-mm\": {") != std::string::npos);
    CHECK(text[i].find("\"name\": \"serial\"") != std::string::npos);
    CHECK(text[i].find("\"field\": \"char_transmit_time\"") != std::string::npos);
    CHECK(text[i].find("\"riscv-cpu\": {") != std::string::npos);
  }
}
