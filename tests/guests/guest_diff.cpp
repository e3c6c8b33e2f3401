// guest_diff: runs test guests on QEMU and on lockstep and compares what they print.
//
//   guest_diff qemu-vs-lockstep LOCKSTEP QEMU ELF [-- extra lockstep args]
//       stdout byte for byte and the exit codes must match.
//   guest_diff determinism LOCKSTEP ELF [-- extra lockstep args]
//       two lockstep runs with --digest: identical stdout, exit code and `digest` lines.
//   guest_diff jit-vs-interpreter LOCKSTEP ELF [-- extra lockstep args]
//       the same comparison between --jit=off and --jit=on; extra args spelled --jit* go to the
//       JIT run only, the others to both.
//   guest_diff qemu-only QEMU ELF
//       the guest must exit 0 on QEMU and print `minstret=<n>` as its last line.
// `--qemu-arg X` (before `--`, repeatable) appends X to the QEMU command line.
//
// Every run has a timeout (GUEST_DIFF_TIMEOUT seconds, default 60); a run that exceeds
// it is killed and counts as a failure. Exit status: 0 = same, 1 = different/failed,
// 2 = usage error.

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include "tools/host_process.h"


namespace {

using RunResult = lockstep::tools::ProcessResult;

int timeout_seconds() {
  if (const char* t = std::getenv("GUEST_DIFF_TIMEOUT")) {
    int v = std::atoi(t);
    if (v > 0) return v;
  }
  return 60;
}

std::string join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += a;
  }
  return s;
}

std::vector<std::string> qemu_extra;  // --qemu-arg values

// Runs argv with stdin from /dev/null, capturing stdout and stderr, killing it after the timeout.
RunResult run(const std::vector<std::string>& argv) { return lockstep::tools::run_process(argv, timeout_seconds()); }

std::vector<std::string> qemu_argv(const std::string& qemu, const std::string& elf) {
  std::vector<std::string> v = {qemu,    "-M",        "virt", "-m", "256M",
                                "-cpu",  "rv64,h=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false",
                                "-bios", "none",      "-kernel", elf, "-display", "none", "-serial", "stdio",
                                "-monitor", "none", "-icount", "shift=0,sleep=off"};
  v.insert(v.end(), qemu_extra.begin(), qemu_extra.end());
  return v;
}

std::vector<std::string> lockstep_argv(const std::string& lockstep, const std::string& elf,
                                       const std::vector<std::string>& extra, bool digest) {
  std::vector<std::string> v = {lockstep, "run", "-M", "virt", "-m", "256M", "-bios", "none", "-kernel", elf};
  if (digest) v.push_back("--digest");
  v.insert(v.end(), extra.begin(), extra.end());
  return v;
}

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string_view::npos) {
      lines.push_back(s.substr(pos));
      break;
    }
    lines.push_back(s.substr(pos, nl - pos + 1));
    pos = nl + 1;
  }
  return lines;
}

// Shows a line with its newline (or its absence) made visible, and control bytes escaped.
std::string show(std::string_view line) {
  std::string s;
  bool has_nl = !line.empty() && line.back() == '\n';
  if (has_nl) line.remove_suffix(1);
  for (unsigned char c : line) {
    if (c == '\\') {
      s += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      s += fmt::format("\\x{:02x}", c);
    } else {
      s += static_cast<char>(c);
    }
  }
  if (!has_nl) s += "\\ No newline";
  return s;
}

// Unified-style report of the first difference between two outputs.
void report_diff(std::string_view a_name, std::string_view a, std::string_view b_name, std::string_view b) {
  auto al = split_lines(a), bl = split_lines(b);
  size_t i = 0;
  while (i < al.size() && i < bl.size() && al[i] == bl[i]) i++;
  fmt::print("--- {} ({} lines)\n+++ {} ({} lines)\n", a_name, al.size(), b_name, bl.size());
  const size_t ctx = 3, after = 6;
  size_t from = i >= ctx ? i - ctx : 0;
  size_t a_to = std::min(al.size(), i + after), b_to = std::min(bl.size(), i + after);
  fmt::print("@@ -{},{} +{},{} @@ first difference at line {}\n", from + 1, a_to - from, from + 1, b_to - from, i + 1);
  for (size_t k = from; k < i; k++) fmt::print(" {}\n", show(al[k]));
  for (size_t k = i; k < a_to; k++) fmt::print("-{}\n", show(al[k]));
  for (size_t k = i; k < b_to; k++) fmt::print("+{}\n", show(bl[k]));
  if (al.size() > a_to || bl.size() > b_to) fmt::print("... ({} / {} more lines)\n", al.size() - a_to, bl.size() - b_to);
}

void print_tail(std::string_view label, std::string_view text, size_t max_lines = 20) {
  auto lines = split_lines(text);
  if (lines.empty()) return;
  size_t from = lines.size() > max_lines ? lines.size() - max_lines : 0;
  fmt::print("{} (last {} of {} lines):\n", label, lines.size() - from, lines.size());
  for (size_t k = from; k < lines.size(); k++) fmt::print("  | {}\n", show(lines[k]));
}

std::vector<std::string> digest_lines(std::string_view err) {
  std::vector<std::string> v;
  for (auto line : split_lines(err)) {
    if (line.starts_with("digest ")) {
      if (line.back() == '\n') line.remove_suffix(1);
      v.emplace_back(line);
    }
  }
  return v;
}

bool ok_run(const RunResult& r) { return !r.spawn_failed && !r.timed_out && r.signal == 0; }

int qemu_vs_lockstep(const std::string& lockstep, const std::string& qemu, const std::string& elf,
                     const std::vector<std::string>& extra) {
  auto qa = qemu_argv(qemu, elf);
  auto la = lockstep_argv(lockstep, elf, extra, false);
  RunResult q = run(qa);
  RunResult l = run(la);
  fmt::print("qemu:     {}\n          {}, {} bytes of output, {:.2f} s\n", join(qa), q.status(), q.out.size(), q.seconds);
  fmt::print("lockstep: {}\n          {}, {} bytes of output, {:.2f} s\n", join(la), l.status(), l.out.size(), l.seconds);
  bool fail = false;
  if (!ok_run(q)) {
    fmt::print("FAIL: the reference run on QEMU did not finish: {}\n", q.status());
    print_tail("qemu stderr", q.err);
    fail = true;
  }
  if (!ok_run(l)) {
    fmt::print("FAIL: lockstep did not finish: {}\n", l.status());
    print_tail("lockstep stderr", l.err);
    fail = true;
  }
  if (q.out != l.out) {
    fmt::print("FAIL: console output differs\n");
    report_diff("qemu", q.out, "lockstep", l.out);
    fail = true;
  }
  if (ok_run(q) && ok_run(l) && q.exit_code != l.exit_code) {
    fmt::print("FAIL: exit codes differ: qemu {}, lockstep {}\n", q.exit_code, l.exit_code);
    fail = true;
  }
  if (fail) {
    if (!l.err.empty()) print_tail("lockstep stderr", l.err);
    return 1;
  }
  fmt::print("OK: identical console output ({} lines) and exit code {}\n", split_lines(q.out).size(), q.exit_code);
  return 0;
}

// Two lockstep runs, with extra args `extra` and `extra2`: same output, exit code and digests.
int determinism(const std::string& lockstep, const std::string& elf, const std::vector<std::string>& extra,
                const std::vector<std::string>& extra2) {
  auto la = lockstep_argv(lockstep, elf, extra, true);
  auto lb = lockstep_argv(lockstep, elf, extra2, true);
  RunResult a = run(la);
  RunResult b = run(lb);
  if (la == lb) {
    fmt::print("lockstep: {}\n  run 1: {}, {:.2f} s\n  run 2: {}, {:.2f} s\n", join(la), a.status(), a.seconds,
               b.status(), b.seconds);
  } else {
    fmt::print("run 1: {}\n       {}, {:.2f} s\nrun 2: {}\n       {}, {:.2f} s\n", join(la), a.status(), a.seconds,
               join(lb), b.status(), b.seconds);
  }
  bool fail = false;
  for (const RunResult* r : {&a, &b}) {
    if (!ok_run(*r)) {
      fmt::print("FAIL: lockstep did not finish: {}\n", r->status());
      print_tail("stderr", r->err);
      fail = true;
    }
  }
  if (a.out != b.out) {
    fmt::print("FAIL: console output differs between two runs\n");
    report_diff("run 1", a.out, "run 2", b.out);
    fail = true;
  }
  if (ok_run(a) && ok_run(b) && a.exit_code != b.exit_code) {
    fmt::print("FAIL: exit codes differ: {} vs {}\n", a.exit_code, b.exit_code);
    fail = true;
  }
  auto da = digest_lines(a.err), db = digest_lines(b.err);
  if (da.empty() || db.empty()) {
    fmt::print("FAIL: no `digest <icount> <hex>` line on stderr (run 1: {}, run 2: {})\n", da.size(), db.size());
    print_tail("run 1 stderr", a.err);
    fail = true;
  } else if (da != db) {
    fmt::print("FAIL: digests differ\n");
    std::string ja, jb;
    for (auto& d : da) ja += d + "\n";
    for (auto& d : db) jb += d + "\n";
    report_diff("run 1 digests", ja, "run 2 digests", jb);
    fail = true;
  }
  if (fail) return 1;
  fmt::print("OK: identical output, exit code {}, {} identical digest line(s); last: {}\n", a.exit_code, da.size(),
             da.back());
  return 0;
}

int qemu_only(const std::string& qemu, const std::string& elf) {
  auto qa = qemu_argv(qemu, elf);
  RunResult q = run(qa);
  fmt::print("qemu: {}\n  {}, {} bytes of output, {:.2f} s\n", join(qa), q.status(), q.out.size(), q.seconds);
  print_tail("console", q.out, 10);
  bool fail = false;
  if (!ok_run(q) || q.exit_code != 0) {
    fmt::print("FAIL: expected exit code 0, got: {}\n", q.status());
    print_tail("stderr", q.err);
    fail = true;
  }
  auto lines = split_lines(q.out);
  if (lines.empty() || !lines.back().starts_with("minstret=") || lines.back().back() != '\n') {
    fmt::print("FAIL: the last console line is not `minstret=<n>`\n");
    fail = true;
  }
  if (q.out.find("FAIL") != std::string::npos) {
    fmt::print("FAIL: the guest reported a failed self-check\n");
    fail = true;
  }
  if (fail) return 1;
  fmt::print("OK\n");
  return 0;
}

int usage() {
  fmt::print(stderr,
             "usage: guest_diff qemu-vs-lockstep LOCKSTEP QEMU ELF [-- lockstep args]\n"
             "       guest_diff determinism LOCKSTEP ELF [-- lockstep args]\n"
             "       guest_diff jit-vs-interpreter LOCKSTEP ELF [-- lockstep args; --jit* ones for the JIT run only]\n"
             "       guest_diff qemu-only QEMU ELF\n"
             "       (--qemu-arg X before `--` appends X to the QEMU command)\n"
             "env: GUEST_DIFF_TIMEOUT=<seconds per run> (default 60)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> extra;
  if (auto it = std::find(args.begin(), args.end(), "--"); it != args.end()) {
    extra.assign(it + 1, args.end());
    args.erase(it, args.end());
  }
  for (size_t i = 0; i < args.size();) {
    if (args[i] != "--qemu-arg") {
      i++;
      continue;
    }
    if (i + 1 >= args.size()) return usage();
    qemu_extra.push_back(args[i + 1]);
    args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
  }
  if (args.empty()) return usage();
  const std::string& mode = args[0];
  if (mode == "qemu-vs-lockstep" && args.size() == 4) return qemu_vs_lockstep(args[1], args[2], args[3], extra);
  if (mode == "determinism" && args.size() == 3) return determinism(args[1], args[2], extra, extra);
  if (mode == "jit-vs-interpreter" && args.size() == 3) {
    // Options spelled --jit* (and their values) go to the JIT run only, the rest to both.
    std::vector<std::string> interpreter = {"--jit=off"}, jit = {"--jit=on"};
    for (size_t i = 0; i < extra.size(); ++i) {
      if (extra[i].starts_with("--jit")) {
        jit.push_back(extra[i]);
        if (extra[i].find('=') == std::string::npos && i + 1 < extra.size() && !extra[i + 1].starts_with("-")) {
          jit.push_back(extra[++i]);
        }
      } else {
        interpreter.push_back(extra[i]);
        jit.push_back(extra[i]);
      }
    }
    return determinism(args[1], args[2], interpreter, jit);
  }
  if (mode == "qemu-only" && args.size() == 3 && extra.empty()) return qemu_only(args[1], args[2]);
  return usage();
}
