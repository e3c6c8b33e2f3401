// lockstep record / replay from the outside: each case runs the binary as a user would and checks
// exit codes, the one-line reasons, and that replay repeats the recording exactly.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "replay/trace_format.h"
#include "replay/trace_reader.h"
#include "tools/host_process.h"

extern char** environ;

namespace {

using lockstep::tools::ProcessOptions;
using lockstep::tools::ProcessResult;
using lockstep::tools::run_process;
using namespace lockstep::replay;

const std::string kGuests = GUESTS_DIR;

std::string workdir(const std::string& name) {
  const std::string dir = std::string(REPLAY_WORKDIR) + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

ProcessResult run_lockstep(std::vector<std::string> args, const std::string& stdin_file = "/dev/null") {
  args.insert(args.begin(), LOCKSTEP_BIN);
  ProcessOptions o;
  o.timeout_seconds = 300;
  o.stdin_file = stdin_file;
  ProcessResult r = run_process(args, o);
  REQUIRE_FALSE(r.timed_out);
  REQUIRE(r.signal == 0);
  return r;
}

std::string digest_of(const std::string& err) {
  static const std::regex kDigest("digest \\d+ [0-9a-f]{16}");
  std::string last;
  for (auto it = std::sregex_iterator(err.begin(), err.end(), kDigest); it != std::sregex_iterator(); ++it) last = it->str();
  return last;
}

std::vector<std::uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& b) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Rewrites a trace chunk by chunk, re-framed with valid checksums: damage a checksum cannot see,
// as another build or a hand edit would produce it.
void rewrite_trace(const std::string& path, const std::function<void(Chunk&)>& edit) {
  const auto in = file_bytes(path);
  std::vector<std::uint8_t> out(in.begin(), in.begin() + 8);
  for (std::size_t at = 8; at + kChunkHeaderSize <= in.size();) {
    auto frame = decode_chunk_header({in.data() + at, kChunkHeaderSize});
    REQUIRE(frame);
    auto payload = decode_chunk_payload(frame.value(), {in.data() + at, 24}, {in.data() + at + kChunkHeaderSize, frame->stored_len});
    REQUIRE(payload);
    Chunk c{frame->type, frame->sequence, std::move(payload.value())};
    edit(c);
    auto bytes = encode_chunk(c);
    REQUIRE(bytes);
    out.insert(out.end(), bytes->begin(), bytes->end());
    at += kChunkHeaderSize + frame->stored_len;
  }
  write_bytes(path, out);
}

void edit_header(const std::string& path, const std::function<void(nlohmann::ordered_json&)>& edit) {
  rewrite_trace(path, [&](Chunk& c) {
    if (c.type != ChunkType::Header) return;
    auto j = nlohmann::ordered_json::parse(c.payload.begin(), c.payload.end());
    edit(j);
    const std::string text = j.dump();
    c.payload.assign(text.begin(), text.end());
  });
}

// A short recording of the integer workload (~10 M instructions) with a digest every 1 M.
std::string record_workload(const std::string& dir, std::vector<std::string> extra = {}, int exit_code = 0) {
  const std::string trace = dir + "/w.trace";
  std::vector<std::string> args = {"record", "-o", trace, "--digest-interval", "1000000", "--",
                                   "-bios", "none", "-kernel", kGuests + "/int_workload_short.elf", "--jit", "off"};
  args.insert(args.end(), extra.begin(), extra.end());
  const ProcessResult r = run_lockstep(args);
  INFO(r.err);
  REQUIRE(r.exit_code == exit_code);
  return trace;
}

}  // namespace

TEST_CASE("killed-recorder") {
  const std::string dir = workdir("killed");
  const std::string trace = dir + "/k.trace";
  // The full integer workload (over 10^9 instructions), interpreted: killed long before its end.
  std::vector<std::string> args = {LOCKSTEP_BIN, "record", "-o", trace, "--digest-interval", "2000000", "--",
                                   "-bios", "none", "-kernel", kGuests + "/int_workload.elf", "--jit", "off"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  // Until a few chunks are on disk, then SIGKILL mid-run.
  for (int k = 0; k < 3000; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto t = read_trace(trace);
    if (t && t->chunks >= 6) break;
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  auto t = read_trace(trace);
  REQUIRE(t);
  REQUIRE_FALSE(t->end);
  REQUIRE(t->complete_until >= 2000000);
  const ProcessResult r = run_lockstep({"replay", trace, "--digest"});
  INFO(r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("the trace was cut after chunk") != std::string::npos);
  CHECK(r.err.find("up to its last complete chunk") != std::string::npos);
  // Every digest before the cut was checked and matched, and the replay stopped where the trace does.
  CHECK(r.err.find(fmt::format("icount 0 to {}", t->complete_until)) != std::string::npos);
  CHECK(digest_of(r.err).rfind(fmt::format("digest {} ", t->complete_until), 0) == 0);
}

TEST_CASE("damaged-chunk") {
  const std::string dir = workdir("damaged");
  const std::string trace = record_workload(dir);
  const ProcessResult good = run_lockstep({"replay", trace});
  INFO(good.err);
  REQUIRE(good.exit_code == 0);
  auto bytes = file_bytes(trace);
  bytes[bytes.size() / 2] ^= 0x01;
  write_bytes(trace, bytes);
  const ProcessResult r = run_lockstep({"replay", trace});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(std::regex_search(r.err, std::regex("chunk \\d+ at offset \\d+ is damaged \\((chunk header )?checksum mismatch\\); nothing replayed")));
  CHECK(r.out.empty());  // nothing ran
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("changed-image") {
  const std::string dir = workdir("changed");
  const std::string disk = dir + "/disk.img";
  write_bytes(disk, std::vector<std::uint8_t>(65536, 0x11));
  const std::string trace =
      record_workload(dir, {"-drive", "file=" + disk + ",format=raw,if=none,id=d0,snapshot=on", "-device", "virtio-blk-device,drive=d0"});
  REQUIRE(run_lockstep({"replay", trace}).exit_code == 0);
  auto bytes = file_bytes(disk);
  bytes[4096] = 0x22;
  write_bytes(disk, bytes);
  const ProcessResult r = run_lockstep({"replay", trace});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("disk0 '" + disk + "' changed since the recording (recorded 65536 bytes, XXH3 ") != std::string::npos);
  CHECK(r.out.empty());
}

TEST_CASE("other-config") {
  const std::string dir = workdir("config");
  const std::string trace = record_workload(dir);
  nlohmann::ordered_json recorded_version;
  edit_header(trace, [&](nlohmann::ordered_json& h) {
    recorded_version = h["machine"]["version"];
    h["machine"]["version"] = "virt-1.0";
  });
  const ProcessResult r = run_lockstep({"replay", trace});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("another machine configuration: version: recorded \"virt-1.0\", here \"virt-") != std::string::npos);
  edit_header(trace, [&](nlohmann::ordered_json& h) {
    h["machine"]["version"] = recorded_version;
    h["command_line"] = {"-bios", "none", "-kernel", "/nonexistent.elf"};
  });
  const ProcessResult gone = run_lockstep({"replay", trace});
  INFO(gone.err);
  CHECK(gone.exit_code == 1);
  CHECK(gone.err.find("/nonexistent.elf") != std::string::npos);
}

TEST_CASE("other-version") {
  const std::string dir = workdir("version");
  const std::string trace = record_workload(dir);
  edit_header(trace, [](nlohmann::ordered_json& h) { h["lockstep"] = "0.0.1"; });
  const ProcessResult r = run_lockstep({"replay", trace});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("recorded by lockstep 0.0.1, this is lockstep ") != std::string::npos);
  edit_header(trace, [](nlohmann::ordered_json& h) { h["format"] = 99; });
  CHECK(run_lockstep({"replay", trace}).err.find("trace format 99") != std::string::npos);
}

// Console input from a piped stdin (-serial stdio), recorded; one recorded byte changed afterwards
// (checksums made valid again): the guest sees other input, and the next digest says so.
TEST_CASE("diverged-input") {
  const std::string dir = workdir("diverged");
  const std::string trace = dir + "/u.trace";
  const std::string typed = dir + "/typed.txt";
  std::ofstream(typed) << "\r\r\recho one two three\r";
  const ProcessResult rec = run_lockstep({"record", "-o", trace, "--digest-interval", "5000000", "--", "-bios", OPENSBI_FW_JUMP,
                                      "-kernel", UBOOT_SMODE, "-serial", "stdio", "--max-insns", "90000000"},
                                     typed);
  INFO(rec.err);
  REQUIRE(rec.exit_code == 3);
  REQUIRE(rec.out.find("one two three") != std::string::npos);
  const ProcessResult same = run_lockstep({"replay", trace});
  INFO(same.err);
  REQUIRE(same.exit_code == 0);
  CHECK(same.out == rec.out);
  bool edited = false;
  rewrite_trace(trace, [&](Chunk& c) {
    if (c.type != ChunkType::Events || edited) return;
    auto batch = decode_events(c.payload);
    REQUIRE(batch);
    for (auto& e : batch->events) {
      const auto at = e.bytes.find('w');
      if (e.kind == TraceEvent::Kind::ConsoleInput && at != std::string::npos && !edited) {
        e.bytes[at] = 'W';
        edited = true;
      }
    }
    c.payload = encode_events(batch.value());
  });
  REQUIRE(edited);
  const ProcessResult r = run_lockstep({"replay", trace});
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(std::regex_search(r.err, std::regex("diverged from the recording between icount \\d+ \\(last matching digest\\) and \\d+")));
  CHECK(r.err.find("section 'serial' instance 0") != std::string::npos);
  CHECK(std::regex_search(r.err, std::regex("RAM block '[a-z_.]+'")));
  CHECK(r.out.find("one tWo three") != std::string::npos);
}

// A recorded source migrated to a recorded destination: each trace replays alone, the destination's
// from the stream it loaded, and the input positions tie the two together.
TEST_CASE("migrated") {
  const std::string dir = workdir("migrated");
  const std::string sock = dir + "/m.sock";
  const std::vector<std::string> machine = {"-bios", "none", "-kernel", kGuests + "/int_workload_short.elf", "--jit", "off", "--digest"};
  std::vector<std::string> dest = {LOCKSTEP_BIN, "record", "-o", dir + "/dest.trace", "--digest-interval", "1000000", "--",
                                   "--incoming", "unix:" + sock, "--incoming-timeout", "60"};
  dest.insert(dest.end(), machine.begin(), machine.end());
  ProcessResult dest_result;
  std::thread destination([&] { dest_result = run_process(dest, 300); });
  std::vector<std::string> src = {"record", "-o", dir + "/src.trace", "--digest-interval", "1000000", "--",
                                  "--migrate-at", "3500000=unix:" + sock};
  src.insert(src.end(), machine.begin(), machine.end());
  for (int k = 0; k < 500 && !std::filesystem::exists(sock); ++k) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const ProcessResult s = run_lockstep(src);
  destination.join();
  INFO(s.err << dest_result.err);
  REQUIRE(s.exit_code == 0);
  REQUIRE(dest_result.exit_code == 0);
  std::vector<std::string> straight = {"run"};
  straight.insert(straight.end(), machine.begin(), machine.end());
  const ProcessResult plain = run_lockstep(straight);
  REQUIRE(plain.exit_code == 0);
  CHECK(digest_of(dest_result.err) == digest_of(plain.err));

  const ProcessResult rs = run_lockstep({"replay", dir + "/src.trace", "--digest"});
  INFO(rs.err);
  CHECK(rs.exit_code == 0);
  CHECK(rs.err.find("ended as recorded: migrated to unix:" + sock) != std::string::npos);
  CHECK(digest_of(rs.err) == digest_of(s.err));
  const ProcessResult rd = run_lockstep({"replay", dir + "/dest.trace", "--digest"});
  INFO(rd.err);
  CHECK(rd.exit_code == 0);
  CHECK(rd.err.find("icount 3500000 to") != std::string::npos);
  CHECK(digest_of(rd.err) == digest_of(plain.err));
  CHECK(rs.out + rd.out == plain.out);
  auto a = read_trace(dir + "/src.trace");
  auto b = read_trace(dir + "/dest.trace");
  REQUIRE((a && b && a->end));
  CHECK((*a->end)["icount"] == 3500000);
  CHECK(b->header["start"]["icount"] == 3500000);
  CHECK(b->header["start"]["input_position"] == (*a->end)["input_position"]);
}

// -rtc base=utc reads the host's clock once: the trace keeps the value, so a replay a second later
// sees the recorded time.
TEST_CASE("rtc-from-host") {
  const std::string dir = workdir("rtc");
  const std::string trace = dir + "/r.trace";
  const ProcessResult rec =
      run_lockstep({"record", "-o", trace, "--", "-bios", "none", "-kernel", kGuests + "/rtc.elf", "-rtc", "base=utc"});
  INFO(rec.err);
  REQUIRE(rec.out.find("time=") != std::string::npos);
  auto t = read_trace(trace);
  REQUIRE(t);
  CHECK(t->header["host_inputs"]["rtc_base_ns"].get<std::uint64_t>() > 1700000000ull * 1000000000ull);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const ProcessResult r = run_lockstep({"replay", trace});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == rec.out);
  const ProcessResult again = run_lockstep({"run", "-bios", "none", "-kernel", kGuests + "/rtc.elf", "-rtc", "base=utc"});
  CHECK(again.out != rec.out);  // the host's clock did move: the replay's time came from the trace
}

// Replaying to one icount from the start and from a checkpoint gives the digest a plain run has there.
TEST_CASE("checkpoints") {
  const std::string dir = workdir("checkpoints");
  const std::string trace = record_workload(dir, {"--max-insns", "9000000"}, 3);
  const std::string with_checkpoints = dir + "/c.trace";
  const ProcessResult rec = run_lockstep({"record", "-o", with_checkpoints, "--digest-interval", "1000000", "--checkpoint-interval",
                                      "2000000", "--", "-bios", "none", "-kernel", kGuests + "/int_workload_short.elf",
                                      "--jit", "off", "--max-insns", "9000000"});
  REQUIRE(rec.exit_code == 3);
  auto t = read_trace(with_checkpoints);
  REQUIRE(t);
  CHECK(t->checkpoints.size() == 4);
  const ProcessResult plain = run_lockstep({"run", "-bios", "none", "-kernel", kGuests + "/int_workload_short.elf", "--max-insns",
                                       "7654321", "--digest"});
  const ProcessResult from_start = run_lockstep({"replay", trace, "--to", "7654321", "--digest"});
  const ProcessResult from_checkpoint = run_lockstep({"replay", with_checkpoints, "--to", "7654321", "--digest"});
  INFO(from_start.err << from_checkpoint.err);
  CHECK(from_start.exit_code == 0);
  CHECK(from_checkpoint.exit_code == 0);
  CHECK(from_start.err.find("icount 0 to 7654321") != std::string::npos);
  CHECK(from_checkpoint.err.find("icount 6000000 to 7654321") != std::string::npos);
  CHECK(digest_of(from_start.err) == digest_of(plain.err));
  CHECK(digest_of(from_checkpoint.err) == digest_of(plain.err));
  CHECK(run_lockstep({"replay", trace, "--to", "9000001"}).exit_code == 1);
}
