// Replays every hostile input kept in fuzz/regressions/ through every lockstep mode that reads it,
// as child processes: `snapshot info|dump|diff|explain` (text and --json) and `run --incoming` for
// streams, `snapshot check` and `snapshot explain --dest-schema` for schemas. A mode may accept or
// refuse an input; it may not die by a signal or abort (exit >= 128), hang, leave a sanitizer report,
// or say more than a short error. --json output must stay JSON.
//
// `.zst` files are also replayed decompressed: a plain stream reaches code a compressed one does not
// (the VM description read from the file's tail, the loader's "the source wrote ...").
// LOCKSTEP_UNDER_TEST replaces the lockstep binary (the ASan build: regressions/replay_asan).
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "snapshot/stream/json_access.h"
#include "snapshot/stream/zstd_source.h"
#include "tests/test_files.h"
#include "tools/host_process.h"

namespace {

namespace fs = std::filesystem;
namespace st = lockstep::snapshot::stream;
using lockstep::testing::spit;

constexpr std::size_t kMaxErrLines = 8;           // the loader's refusals: message, offset, what was sent, cause
constexpr std::size_t kMaxErrBytes = 16 << 10;    // "the source wrote" lists a section's fields on one line
constexpr std::size_t kMaxDecompressed = 64 << 20;

std::string lockstep_bin() { return lockstep::testing::binary_under_test(LOCKSTEP_BIN); }

// The options the regression streams were saved with (README.md): `run --incoming` needs them.
std::vector<std::string> run_options() {
  return {"-M", "virt-2.0", "-bios", "none", "-kernel", REGRESSIONS_HELLO_ELF, "-m", "17M", "--jit=off"};
}
// `before`, the run options, then `after`.
std::vector<std::string> around_run_options(std::vector<std::string> before, const std::vector<std::string>& after) {
  const auto opts = run_options();
  before.insert(before.end(), opts.begin(), opts.end());
  before.insert(before.end(), after.begin(), after.end());
  return before;
}

std::string work(const std::string& name) { return (fs::path(REGRESSIONS_WORKDIR) / name).string(); }

lockstep::tools::ProcessResult run_lockstep(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {lockstep_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  lockstep::tools::ProcessOptions o;
  o.timeout_seconds = 60;          // ASan and a loaded 2-core host; a healthy mode takes well under a second
  o.output_limit = 16 << 20;       // a dump of these streams is ~150 KB
  return lockstep::tools::run_process(argv, o);
}

// One mode on one input: how it ended and what it printed must fit the bad-input contract.
void expect_survives(const std::vector<std::string>& args, bool json_output) {
  const auto r = run_lockstep(args);
  std::string cmd = "lockstep";
  for (const auto& a : args) cmd += " " + a;
  CAPTURE(cmd);
  CAPTURE(r.status());
  const std::string err_head = r.err.substr(0, 4000);
  CAPTURE(err_head);
  CHECK_MESSAGE(!r.spawn_failed, "could not start lockstep");
  CHECK_MESSAGE(!r.timed_out, "hangs");
  CHECK_MESSAGE(!r.output_limit, "prints without bound");
  CHECK_MESSAGE(r.signal == 0, "killed by a signal");
  CHECK_MESSAGE((r.exit_code >= 0 && r.exit_code < 128), "exit code of a crash");
  for (const char* report : {"Sanitizer", "runtime error:", "terminate called", "Assertion", "Aborted"})
    CHECK_MESSAGE(r.err.find(report) == std::string::npos, "stderr has '", report, "'");
  CHECK(static_cast<std::size_t>(std::count(r.err.begin(), r.err.end(), '\n')) <= kMaxErrLines);
  CHECK(r.err.size() <= kMaxErrBytes);
  if (!r.err.empty()) CHECK(r.err.rfind("lockstep", 0) == 0);
  if (json_output && !r.out.empty()) {
    const auto parsed = st::parse_json(r.out, "stdout");
    CHECK_MESSAGE(parsed.ok(), "--json printed something that is not JSON");
  }
}

// The decompressed bytes of a .zst file (lockstep's own zstd reader), written beside the work files.
std::string decompressed(const fs::path& zst) {
  auto opened = st::open_stream_file(zst.string());
  REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? std::string() : opened.error().message));
  REQUIRE(opened.value().compressed);
  auto& src = *opened.value().source;
  std::vector<std::uint8_t> bytes;
  for (;;) {
    auto end = src.at_end();
    REQUIRE(end.ok());
    if (end.value()) break;
    auto chunk = src.peek_n(st::ByteSource::kBufferSize);
    REQUIRE(chunk.ok());
    bytes.insert(bytes.end(), chunk.value().begin(), chunk.value().end());
    REQUIRE(src.skip(chunk.value().size()).ok());
    REQUIRE(bytes.size() <= kMaxDecompressed);
  }
  const std::string out = work(zst.stem().string());
  spit(out, bytes);
  return out;
}

// A good stream and the destination it fits, from this build (work/good.mig, work/dest.json):
// diff's other side, explain's destination.
void make_good_stream() {
  for (const auto& made : {around_run_options({"run"}, {"--save-at", "2000=" + work("good.mig")}),
                           around_run_options({"run"}, {"--describe-destination", work("dest.json")})}) {
    const auto r = run_lockstep(made);
    REQUIRE_MESSAGE(r.exit_code == 0, (r.status() + ": " + r.err));
  }
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

void replay_stream(const std::string& f, const std::string& good, const std::string& dest) {
  for (const char* mode : {"info", "dump"}) {
    expect_survives({"snapshot", mode, f}, false);
    expect_survives({"snapshot", mode, "--json", f}, true);
  }
  expect_survives({"snapshot", "diff", good, f}, false);
  expect_survives({"snapshot", "diff", "--json", f, good}, true);
  expect_survives(around_run_options({"snapshot", "explain", f, "--"}, {}), false);
  expect_survives({"snapshot", "explain", "--json", f, "--dest-schema", dest}, true);
  expect_survives(around_run_options({"run"}, {"--max-insns", "100000", "--incoming", f}), false);
}

void replay_schema(const std::string& f, const std::string& good) {
  expect_survives({"snapshot", "check", f, "virt-2.0"}, false);
  expect_survives({"snapshot", "check", "--json", "virt-2.0", f}, true);
  expect_survives({"snapshot", "check", f, f}, false);
  expect_survives({"snapshot", "explain", good, "--dest-schema", f}, false);
  expect_survives({"snapshot", "explain", "--json", good, "--dest-schema", f}, true);
}

}  // namespace

TEST_CASE("replay") {
  if (!std::getenv("LOCKSTEP_REGRESSIONS_NO_RLIMIT")) {
    // Inherited by every child: an allocation sized by the input fails instead of taking the host.
    // (ASan reserves terabytes of shadow memory: not under ASan.)
    rlimit as{};
    REQUIRE(getrlimit(RLIMIT_AS, &as) == 0);
    as.rlim_cur = std::min<rlim_t>(as.rlim_max, rlim_t{2} << 30);
    REQUIRE(setrlimit(RLIMIT_AS, &as) == 0);
  }
  make_good_stream();
  const std::string good = work("good.mig"), dest = work("dest.json");

  std::vector<fs::path> inputs;
  for (const auto& e : fs::directory_iterator(REGRESSIONS_DIR)) inputs.push_back(e.path());
  std::sort(inputs.begin(), inputs.end());
  std::size_t streams = 0, schemas = 0;
  for (const auto& p : inputs) {
    const std::string name = p.filename().string();
    // *.mmio, *.virtio: inputs of the device fuzz targets, replayed by tests/fuzz (no lockstep mode reads them).
    if (name == "README.md" || ends_with(name, ".py") || ends_with(name, ".mmio") || ends_with(name, ".virtio"))
      continue;
    CAPTURE(name);
    const bool zst = ends_with(name, ".zst");
    const std::string plain = zst ? name.substr(0, name.size() - 4) : name;
    if (ends_with(plain, ".mig")) {
      ++streams;
      replay_stream(p.string(), good, dest);
      if (zst) replay_stream(decompressed(p), good, dest);
    } else if (ends_with(plain, ".json")) {
      ++schemas;
      replay_schema(zst ? decompressed(p) : p.string(), good);
    } else {
      FAIL_CHECK("not a stream (.mig[.zst]) or a schema (.json[.zst]): say what it is in its name");
    }
  }
  // An empty or renamed folder must not pass by replaying nothing.
  CHECK(streams >= 8);
  CHECK(schemas >= 4);
}

// Output the reader does not take is a write error, not an uncaught exception from fmt::print:
// `| head` ends quietly with 128 + SIGPIPE (lockstep ignores the signal), a full disk is one line.
TEST_CASE("stdout closed or full") {
  make_good_stream();
  const std::string dump = fmt::format("{} snapshot dump --json {}", lockstep_bin(), work("good.mig"));
  lockstep::tools::ProcessOptions o;
  o.timeout_seconds = 60;
  // The dump (~150 KB) is more than a pipe holds: lockstep is still writing when head has gone.
  auto r = lockstep::tools::run_process({"bash", "-c", "set -o pipefail; " + dump + " | head -c 1 > /dev/null"}, o);
  CAPTURE(r.err);
  CHECK(r.exit_code == 128 + SIGPIPE);
  CHECK(r.err.empty());
  r = lockstep::tools::run_process({"bash", "-c", dump + " > /dev/full"}, o);
  CAPTURE(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err == "lockstep snapshot: cannot write to file: No space left on device\n");
}
