// The frozen goldens of released machine versions (tests/golden/README.md), against this build:
// - schemas: `lockstep snapshot check` of each released version as this build plays it against the
//   -dump-vmstate schema frozen at its release, both directions (a stream of either build must load
//   on the other). Catches what no single build can see: fields reordered or renamed without a
//   version bump, a size change, a new subsection a released version could send.
// - streams: each frozen stream loads (--incoming) and runs on to the frozen result, which a
//   straight run of this build must also reach: exit code, console output and --digest.
//
// The binary under test is LOCKSTEP_BIN, or $LOCKSTEP_UNDER_TEST when set (tests/planted runs these
// against a lockstep with two hart fields swapped: they must fail).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tests/test_files.h"
#include "tools/host_process.h"

using namespace lockstep;
namespace fs = std::filesystem;

namespace {

std::string lockstep_bin() { return lockstep::testing::binary_under_test(LOCKSTEP_BIN); }

std::string text_of(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "cannot read " << p.string());
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Files in dir ending in `suffix`, sorted; at least one (a golden set that vanished is a failure).
std::vector<fs::path> files(const fs::path& dir, const std::string& suffix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().string().ends_with(suffix)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  REQUIRE_MESSAGE(!out.empty(), "no *" << suffix << " in " << dir.string());
  return out;
}

tools::ProcessResult run_lockstep(std::vector<std::string> args) {
  args.insert(args.begin(), lockstep_bin());
  tools::ProcessResult r = tools::run_process(args, 120);
  INFO("command: " << fmt::format("{}", fmt::join(args, " ")));
  INFO("stderr: " << r.err);
  REQUIRE_MESSAGE(!r.spawn_failed, "spawn failed");
  REQUIRE_MESSAGE(!r.timed_out, "timed out");
  REQUIRE_MESSAGE(r.signal == 0, "killed by a signal");
  return r;
}

// "key: value" lines of a .expected file ('#' lines are comments).
std::map<std::string, std::string> expected_of(const fs::path& p) {
  std::map<std::string, std::string> kv;
  std::istringstream in(text_of(p));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto colon = line.find(": ");
    REQUIRE_MESSAGE(colon != std::string::npos, p.string() << ": not a 'key: value' line: " << line);
    kv[line.substr(0, colon)] = line.substr(colon + 2);
  }
  for (const char* key : {"args", "cut", "exit", "digest"}) REQUIRE_MESSAGE(kv.count(key), p.string() << ": no " << key);
  return kv;
}

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  return {std::istream_iterator<std::string>(in), {}};
}

// The last "digest <icount> <hex>" line of stderr, without "digest ".
std::string digest_of(const std::string& err) {
  const std::size_t at = err.rfind("digest ");
  if (at == std::string::npos) return {};
  return err.substr(at + 7, err.find('\n', at) - at - 7);
}

}  // namespace

TEST_CASE("schemas: each released machine version checks compatible with its frozen schema, both ways") {
  for (const fs::path& frozen : files(fs::path(GOLDEN_DIR) / "schemas", ".json")) {
    const std::string version = frozen.stem().string();  // virt-1.0.json -> virt-1.0
    CAPTURE(version);
    const auto forward = run_lockstep({"snapshot", "check", version, frozen.string()});
    CHECK_MESSAGE(forward.exit_code == 0, "this build's ", version, " -> frozen ", version, ":\n", forward.out);
    const auto backward = run_lockstep({"snapshot", "check", frozen.string(), version});
    CHECK_MESSAGE(backward.exit_code == 0, "frozen ", version, " -> this build's ", version, ":\n", backward.out);
  }
}

TEST_CASE("streams: each frozen stream loads and runs on to the frozen result, as a straight run does") {
  const fs::path dir = fs::path(GOLDEN_DIR) / "streams";
  for (const fs::path& exp : files(dir, ".expected")) {
    const std::string name = exp.stem().string();  // plic_uart-virt-1.0
    CAPTURE(name);
    const auto kv = expected_of(exp);
    std::vector<std::string> base = words(kv.at("args"));
    base.insert(base.begin(), "run");
    base.insert(base.end(), {"-kernel", (dir / (name + ".elf")).string(), "--digest"});
    const std::string console = text_of(dir / (name + ".console"));
    const std::string after_cut = text_of(dir / (name + ".console-after-cut"));
    REQUIRE(console.ends_with(after_cut));

    const auto straight = run_lockstep(base);
    base.insert(base.end(), {"--incoming", (dir / (name + ".mig.zst")).string()});
    const auto migrated = run_lockstep(base);
    INFO("stderr of the load: " << migrated.err);
    // This build, straight and migrated: the same end.
    CHECK(migrated.exit_code == straight.exit_code);
    CHECK(straight.out.ends_with(migrated.out));
    CHECK(digest_of(migrated.err) == digest_of(straight.err));
    // ... and the end the release recorded.
    CHECK(straight.exit_code == std::stoi(kv.at("exit")));
    CHECK(straight.out == console);
    CHECK(migrated.out == after_cut);
    CHECK(digest_of(straight.err) == kv.at("digest"));
    CHECK(digest_of(migrated.err) == kv.at("digest"));
  }
}
