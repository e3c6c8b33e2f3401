// random_diff: runs random programs on QEMU (the reference) and on lockstep and compares the
// final architectural state they print. On a mismatch it shrinks the program to the instruction
// that causes it and prints that instruction with the differing state. See README.md.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "tests/random/generator.h"
#include "tools/host_process.h"

namespace lockstep::tests::random {
using lockstep::tools::ProcessResult;
using lockstep::tools::run_process;

namespace {

namespace fs = std::filesystem;

struct Config {
  u64 seed = 1;
  u64 count = 10;
  Options gen;
  unsigned jobs = 1;
  std::string cc = "riscv64-unknown-elf-gcc";
  std::string objdump = "riscv64-unknown-elf-objdump";
  std::string qemu = "qemu-system-riscv64";
  std::string lockstep;
  std::vector<std::string> lockstep_args;  // appended to `lockstep run ...` (e.g. --jit on)
  std::string ld_script;
  std::string workdir;
  int timeout = 20;
  bool keep_going = false;
  bool minimise = true;
  bool reference_only = false;  // QEMU against QEMU: validates the generator and the parser
  bool keep_files = false;
  unsigned max_minimise_runs = 400;
};

// ---------------------------------------------------------------------------------------------
// What a guest printed: index -> word, and whether the final "end" line arrived.

struct Dump {
  std::map<unsigned, u64> words;
  bool complete = false;
  std::vector<std::string> junk;  // lines that are not dump lines (diagnostics only)
};

Dump parse_dump(const std::string& text) {
  Dump d;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "end") {
      d.complete = true;
      continue;
    }
    unsigned idx = 0;
    unsigned long long value = 0;
    char a[4] = {}, b[17] = {};
    if (line.size() == 20 && line[3] == ' ' && std::sscanf(line.c_str(), "%3[0-9a-f] %16[0-9a-f]", a, b) == 2 &&
        std::strlen(b) == 16) {
      idx = static_cast<unsigned>(std::stoul(a, nullptr, 16));
      value = std::stoull(b, nullptr, 16);
      d.words[idx] = value;
    } else if (d.junk.size() < 20) {
      d.junk.push_back(line);
    }
  }
  return d;
}

struct Difference {
  unsigned index = 0;
  std::optional<u64> expected, got;
};

std::vector<Difference> compare(const Dump& ref, const Dump& dut) {
  std::vector<Difference> diffs;
  for (const auto& [idx, v] : ref.words) {
    auto it = dut.words.find(idx);
    if (it == dut.words.end())
      diffs.push_back({idx, v, std::nullopt});
    else if (it->second != v)
      diffs.push_back({idx, v, it->second});
  }
  for (const auto& [idx, v] : dut.words)
    if (!ref.words.count(idx)) diffs.push_back({idx, std::nullopt, v});
  std::sort(diffs.begin(), diffs.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  return diffs;
}

std::string hex_or_missing(const std::optional<u64>& v) {
  return v ? fmt::format("0x{:016x}", *v) : std::string("(missing)");
}

// ---------------------------------------------------------------------------------------------

enum class Verdict { Match, Mismatch, BuildError, ReferenceError };

struct Outcome {
  Verdict verdict = Verdict::Match;
  std::string message;  // build or reference errors
  Dump ref, dut;
  ProcessResult dut_run;
  std::vector<Difference> diffs;
  Emitted emitted;
};

class Runner {
 public:
  explicit Runner(const Config& c) : c_(c) {}

  // Assembles, links and runs one (possibly reduced) program on both sides.
  Outcome check(const Program& p, const std::vector<bool>& keep, const fs::path& stem) {
    Outcome o;
    o.emitted = emit(p, keep);
    const fs::path src = stem.string() + ".S", elf = stem.string() + ".elf";
    {
      std::ofstream f(src);
      f << o.emitted.assembly;
      if (!f) return error(o, Verdict::BuildError, fmt::format("cannot write {}", src.string()));
    }
    const auto cc = run_process({c_.cc, "-march=rv64gc", "-mabi=lp64d", "-nostdlib", "-nostartfiles",
                                 "-static", "-T", c_.ld_script, "-o", elf.string(), src.string()},
                                60);
    if (!cc.ok())
      return error(o, Verdict::BuildError, fmt::format("{} failed ({}):\n{}", c_.cc, cc.status(), cc.err));

    const auto ref = run_qemu(elf);
    o.ref = parse_dump(ref.out);
    if (!ref.ok() || !o.ref.complete)
      return error(o, Verdict::ReferenceError,
                   fmt::format("QEMU run of {} failed ({}), {} words{}:\n{}", elf.string(), ref.status(),
                               o.ref.words.size(), o.ref.complete ? "" : ", no end line", ref.err));
    o.dut_run = c_.reference_only ? run_qemu(elf) : run_lockstep(elf);
    o.dut = parse_dump(o.dut_run.out);
    o.diffs = compare(o.ref, o.dut);
    if (!o.diffs.empty() || !o.dut.complete || !o.dut_run.ok()) o.verdict = Verdict::Mismatch;
    return o;
  }

  bool mismatches(const Program& p, const std::vector<bool>& keep, const fs::path& stem) {
    return check(p, keep, stem).verdict == Verdict::Mismatch;
  }

  std::string disassemble(const std::vector<Placed>& code, const fs::path& stem) {
    // objdump in binary mode over the bytes of the code, so .word directives show as instructions.
    std::map<u64, std::string> text;
    if (code.empty()) return {};
    const fs::path bin = stem.string() + ".bin";
    {
      std::ofstream f(bin, std::ios::binary);
      for (const auto& pc : code)  // contiguous: callers pass a run of consecutive groups
        for (unsigned i = 0; i < pc.len; ++i)
          f.put(pc.checkpoint ? '\0' : static_cast<char>((pc.raw >> (8 * i)) & 0xFF));
    }
    const auto r = run_process({c_.objdump, "-D", "-b", "binary", "-m", "riscv:rv64", "-M", "no-aliases",
                                fmt::format("--adjust-vma=0x{:x}", code.front().addr), bin.string()},
                               30);
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
      const auto colon = line.find(':');
      if (colon == std::string::npos || line.find('\t') == std::string::npos) continue;
      u64 addr = 0;
      try {
        addr = std::stoull(line.substr(0, colon), nullptr, 16);
      } catch (...) {
        continue;
      }
      // "addr:\tbytes \tmnemonic\toperands"
      const auto t1 = line.find('\t', colon);
      const auto t2 = line.find('\t', t1 + 1);
      if (t2 == std::string::npos) continue;
      std::string insn = line.substr(t2 + 1);
      for (auto& ch : insn)
        if (ch == '\t') ch = ' ';
      text[addr] = insn;
    }
    fs::remove(bin);
    std::string out;
    for (const auto& pc : code) {
      if (pc.checkpoint) {
        out += fmt::format("    {:x}: g{:<5} {:>8}  checkpoint ({} bytes: log fflags and a register hash)\n",
                           pc.addr, pc.group, "", pc.len);
        continue;
      }
      const auto it = text.find(pc.addr);
      out += fmt::format("    {:x}: g{:<5} {:>8}  {:<28} [{}]\n", pc.addr, pc.group,
                         pc.len == 4 ? fmt::format("{:08x}", pc.raw) : fmt::format("{:04x}", pc.raw),
                         it == text.end() ? "?" : it->second, pc.name);
    }
    return out;
  }

 private:
  const Config& c_;

  static Outcome error(Outcome& o, Verdict v, std::string msg) {
    o.verdict = v;
    o.message = std::move(msg);
    return o;
  }

  ProcessResult run_qemu(const fs::path& elf) {
    return run_process({c_.qemu, "-M", "virt", "-m", "256M", "-smp", "1", "-cpu",
                        "rv64,h=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false", "-bios", "none",
                        "-kernel", elf.string(), "-display", "none", "-serial", "stdio", "-monitor", "none",
                        "-icount", "shift=0,sleep=off"},
                       c_.timeout);
  }
  ProcessResult run_lockstep(const fs::path& elf) {
    std::vector<std::string> argv = {c_.lockstep, "run", "-M", "virt", "-m", "256M", "-bios", "none",
                                     "-kernel", elf.string()};
    argv.insert(argv.end(), c_.lockstep_args.begin(), c_.lockstep_args.end());
    return run_process(argv, c_.timeout);
  }
};

// ---------------------------------------------------------------------------------------------
// Minimisation: the shortest failing prefix names the culprit (the last group of the prefix);
// then groups before it are removed in halving chunks while the mismatch persists.

struct Minimised {
  unsigned runs = 0;
  bool runtime_only = false;  // the empty program already differs: start-up or dump code
  unsigned culprit = 0;
  std::vector<bool> keep;
  Outcome outcome;
};

Minimised minimise(Runner& runner, const Config& c, const Program& p, const fs::path& dir) {
  Minimised m;
  const unsigned n = static_cast<unsigned>(p.groups.size());
  const fs::path stem = dir / "candidate";
  auto mismatches = [&](const std::vector<bool>& keep) {
    ++m.runs;
    return runner.mismatches(p, keep, stem);
  };
  auto prefix = [&](unsigned len) {
    std::vector<bool> k(n, false);
    std::fill(k.begin(), k.begin() + len, true);
    return k;
  };
  if (mismatches(prefix(0))) {
    m.runtime_only = true;
    m.keep = prefix(0);
    m.outcome = runner.check(p, m.keep, dir / "minimal");
    return m;
  }
  unsigned lo = 0, hi = n;  // prefix(lo) matches, prefix(hi) differs
  while (hi - lo > 1) {
    const unsigned mid = lo + (hi - lo) / 2;
    if (mismatches(prefix(mid)))
      hi = mid;
    else
      lo = mid;
  }
  m.culprit = hi - 1;
  m.keep = prefix(hi);
  unsigned budget = c.max_minimise_runs;
  for (unsigned chunk = std::max(1u, m.culprit / 2);; chunk /= 2) {
    std::vector<unsigned> live;
    for (unsigned i = 0; i < m.culprit; ++i)
      if (m.keep[i]) live.push_back(i);
    for (size_t s = 0; s < live.size() && budget > 0; s += chunk) {
      std::vector<bool> k = m.keep;
      for (size_t j = s; j < std::min(live.size(), s + chunk); ++j) k[live[j]] = false;
      --budget;
      if (mismatches(k)) m.keep = k;
    }
    if (chunk <= 1 || budget == 0) break;
  }
  m.outcome = runner.check(p, m.keep, dir / "minimal");
  return m;
}

// ---------------------------------------------------------------------------------------------

std::string describe_diffs(const Outcome& o, const std::vector<Placed>& code, size_t limit) {
  // (limit 0: only the status lines)
  std::string s;
  size_t shown = 0;
  if (o.dut.words.empty()) {
    s += fmt::format("    lockstep printed no dump at all ({})\n", o.dut_run.status());
    limit = 0;
  }
  for (const auto& d : o.diffs) {
    if (limit == 0) break;
    if (shown++ == limit) {
      s += fmt::format("    ... {} more\n", o.diffs.size() - limit);
      break;
    }
    s += fmt::format("    {:<34} qemu {}  lockstep {}", dump_name(d.index), hex_or_missing(d.expected),
                     hex_or_missing(d.got));
    if (d.index >= kIdxTraps && d.index < kIdxTraps + 3 * kMaxTrapRecords && (d.index - kIdxTraps) % 3 == 2) {
      for (const auto& pc : code)
        if (d.expected && pc.addr == *d.expected) s += fmt::format("  (qemu: g{} {})", pc.group, pc.name);
    }
    s += "\n";
  }
  if (!o.dut.complete) s += fmt::format("    lockstep output incomplete (no end line), {}\n", o.dut_run.status());
  else if (!o.dut_run.ok()) s += fmt::format("    lockstep ended with {}\n", o.dut_run.status());
  if (!o.dut.junk.empty()) {
    s += "    lockstep printed other lines:\n";
    for (const auto& l : o.dut.junk) s += fmt::format("      | {}\n", l);
  }
  if (!o.dut_run.err.empty()) {
    std::string e = o.dut_run.err.substr(0, 1500);
    s += "    lockstep stderr:\n";
    std::istringstream in(e);
    std::string l;
    while (std::getline(in, l)) s += fmt::format("      | {}\n", l);
  }
  return s;
}

std::vector<Placed> around(const std::vector<Placed>& code, unsigned group, unsigned before, unsigned after) {
  std::vector<Placed> out;
  for (const auto& pc : code)
    if (pc.group + before >= group && pc.group <= group + after) out.push_back(pc);
  return out;
}

const Placed& last_of(const std::vector<Placed>& code, unsigned group) {
  const Placed* last = &code.front();
  for (const auto& pc : code)
    if (pc.group == group) last = &pc;
  return *last;
}

// Initial values of the registers the culprit names, so the report stands alone.
std::string operand_values(const Program& p, const std::vector<Placed>& code, unsigned group) {
  std::string s;
  for (const auto& pc : code) {
    if (pc.group != group || &pc != &last_of(code, group)) continue;
    std::vector<unsigned> regs;
    if (pc.len == 4) {
      regs = {(pc.raw >> 15) & 31, (pc.raw >> 20) & 31, (pc.raw >> 27) & 31};
    } else {
      regs = {(pc.raw >> 7) & 31, (pc.raw >> 2) & 31, 8 + ((pc.raw >> 7) & 7), 8 + ((pc.raw >> 2) & 7)};
    }
    std::sort(regs.begin(), regs.end());
    regs.erase(std::unique(regs.begin(), regs.end()), regs.end());
    for (unsigned r : regs) {
      const std::string xv = r == p.base_reg ? fmt::format("0x{:016x} (base)", kBaseAddr)
                             : r == 2        ? fmt::format("0x{:016x} (sp)", kSpAddr)
                                             : fmt::format("0x{:016x}", p.x[r]);
      s += fmt::format("    x{:<2} = {}   f{:<2} = 0x{:016x}\n", r, xv, r, p.f[r]);
    }
  }
  s += fmt::format("    fcsr = 0x{:02x} (frm {}, fflags 0x{:02x})\n", p.fcsr, p.fcsr >> 5, p.fcsr & 31);
  return s;
}

struct SeedResult {
  bool fatal = false;  // the runtime alone differs: every seed would, so the run stops
  bool failed = false;
  bool error = false;
  std::string report;
  std::string culprit;  // mnemonic, for the summary
};

SeedResult run_seed(Runner& runner, const Config& c, u64 seed) {
  SeedResult res;
  Options opt = c.gen;
  opt.seed = seed;
  const Program p = generate(opt);
  const fs::path dir = fs::path(c.workdir) / fmt::format("seed-{}", seed);
  fs::create_directories(dir);
  const Outcome o = runner.check(p, {}, dir / "program");
  if (o.verdict == Verdict::Match) {
    if (!c.keep_files) fs::remove_all(dir);
    return res;
  }
  if (o.verdict != Verdict::Mismatch) {
    res.error = true;
    res.report = fmt::format("ERROR seed {}: {}\n", seed, o.message);
    return res;
  }
  res.failed = true;
  std::string& r = res.report;
  r += fmt::format("MISMATCH seed {} (length {}): ", seed, opt.length);
  if (!o.diffs.empty())
    r += fmt::format("first difference {}: qemu {} lockstep {}\n", dump_name(o.diffs.front().index),
                     hex_or_missing(o.diffs.front().expected), hex_or_missing(o.diffs.front().got));
  else
    r += "lockstep did not finish\n";
  r += describe_diffs(o, o.emitted.code, 12);
  r += fmt::format("  program: {}\n", (dir / "program.S").string());
  if (!c.minimise) return res;

  const Minimised m = minimise(runner, c, p, dir);
  if (m.runtime_only) {
    r += "  the empty program (start-up, trap handler and dump code only) already differs:\n";
    r += describe_diffs(m.outcome, m.outcome.emitted.code, 12);
    r += fmt::format("  minimal program: {}\n", (dir / "minimal.S").string());
    res.culprit = "(runtime)";
    res.fatal = true;
    return res;
  }
  const auto& g = p.groups[m.culprit];
  res.culprit = std::string(g.pieces.back().name);
  r += fmt::format("  culprit: group g{} ({}), found by {} runs\n", m.culprit, res.culprit, m.runs);
  r += "  around it in the full program:\n";
  r += runner.disassemble(around(o.emitted.code, m.culprit, 6, 2), dir / "dis");
  size_t kept = 0;
  for (bool k : m.keep) kept += k;
  r += fmt::format("  minimised program ({} of {} groups): {}\n", kept, p.groups.size(),
                   (dir / "minimal.S").string());
  r += runner.disassemble(m.outcome.emitted.code, dir / "dis");
  if (m.outcome.verdict == Verdict::Mismatch) {
    r += "  differences after the minimised program:\n";
    r += describe_diffs(m.outcome, m.outcome.emitted.code, 12);
  } else {
    r += "  (the minimised program no longer differs: the mismatch is flaky)\n";
  }
  r += "  initial values of the culprit's register operands:\n";
  r += operand_values(p, m.outcome.emitted.code, m.culprit);
  std::string extra;
  for (const auto& a : c.lockstep_args) extra += " " + a;
  r += fmt::format("  reproduce: {} -march=rv64gc -mabi=lp64d -nostdlib -T {} -o m.elf {}; {} run -M virt -m 256M "
                   "-bios none -kernel m.elf{}\n",
                   c.cc, c.ld_script, (dir / "minimal.S").string(), c.lockstep, extra);
  return res;
}

}  // namespace
}  // namespace lockstep::tests::random

int main(int argc, char** argv) {
  namespace rnd = lockstep::tests::random;
  namespace fs = std::filesystem;
  rnd::Config c;
  CLI::App app{"Differential tester: random RV64GC programs on QEMU and lockstep, compared."};
  app.add_option("--seed", c.seed, "first seed");
  app.add_option("--count", c.count, "number of seeds");
  app.add_option("--length", c.gen.length, "random instructions per program");
  app.add_option("--repeat", c.gen.repeat, "passes over the random code (reuses decoded code)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--illegal", c.gen.illegal_percent, "percent of groups that are encodings no row matches")
      ->check(CLI::Range(0, 100));
  app.add_option("--checkpoints", c.gen.checkpoint_percent,
                 "percent of groups that log fflags (clearing them) and a register hash")
      ->check(CLI::Range(0, 100));
  app.add_option("--misaligned", c.gen.misaligned_percent, "percent of loads/stores that may be misaligned")
      ->check(CLI::Range(0, 100));
  app.add_option("--exclude", c.gen.exclude, "mnemonics to leave out, e.g. to look past a known bug")
      ->delimiter(',');
  app.add_option("--jobs,-j", c.jobs, "seeds run in parallel");
  app.add_option("--lockstep", c.lockstep, "lockstep binary");
  app.add_option("--lockstep-arg", c.lockstep_args, "extra argument for lockstep run (repeatable), e.g. --lockstep-arg=--jit --lockstep-arg=on")
      ->allow_extra_args(false);
  app.add_option("--qemu", c.qemu, "qemu-system-riscv64");
  app.add_option("--cc", c.cc, "riscv64-unknown-elf-gcc");
  app.add_option("--objdump", c.objdump, "riscv64-unknown-elf-objdump (listings)");
  app.add_option("--ld-script", c.ld_script, "tests/random/link.ld")->required();
  app.add_option("--workdir", c.workdir, "where programs and failing cases go");
  app.add_option("--timeout", c.timeout, "seconds per emulator run");
  app.add_flag("--keep-going", c.keep_going, "continue after a mismatch");
  app.add_flag("!--no-minimise", c.minimise, "report the mismatch without shrinking the program");
  app.add_flag("--reference-only", c.reference_only, "run QEMU twice instead of QEMU and lockstep");
  app.add_flag("--keep", c.keep_files, "keep the files of matching seeds too");
  app.add_option("--max-minimise-runs", c.max_minimise_runs, "bound on chunk-removal runs");
  CLI11_PARSE(app, argc, argv);
  if (!c.reference_only && c.lockstep.empty()) {
    fmt::print(stderr, "random_diff: --lockstep is required (or --reference-only)\n");
    return 2;
  }
  if (c.workdir.empty()) c.workdir = (fs::temp_directory_path() / "lockstep-random").string();
  fs::create_directories(c.workdir);
  c.jobs = std::max(1u, c.jobs);

  rnd::Runner runner(c);
  std::atomic<lockstep::tests::random::u64> next{0};
  std::atomic<bool> stop{false};
  std::mutex mu;
  unsigned failed = 0, errors = 0, passed = 0;
  std::map<std::string, std::vector<lockstep::tests::random::u64>> by_culprit;
  auto worker = [&] {
    for (;;) {
      if (stop) return;
      const auto i = next++;
      if (i >= c.count) return;
      const auto seed = c.seed + i;
      const auto res = rnd::run_seed(runner, c, seed);
      std::lock_guard lock(mu);
      if (res.failed || res.error) {
        fmt::print("{}\n", res.report);
        std::fflush(stdout);
        (res.failed ? failed : errors)++;
        if (res.failed) by_culprit[res.culprit.empty() ? "?" : res.culprit].push_back(seed);
        if (!c.keep_going || res.fatal) stop = true;
      } else {
        ++passed;
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned j = 0; j < c.jobs; ++j) threads.emplace_back(worker);
  for (auto& t : threads) t.join();

  fmt::print("random_diff: seeds {}..{}, length {}: {} passed, {} mismatched, {} errors{}\n", c.seed,
             c.seed + c.count - 1, c.gen.length, passed, failed, errors, stop ? " (stopped early)" : "");
  for (const auto& [name, seeds] : by_culprit) {
    std::string list;
    for (size_t k = 0; k < seeds.size() && k < 10; ++k) list += fmt::format(" {}", seeds[k]);
    fmt::print("  {:<16} {} seeds:{}{}\n", name, seeds.size(), list, seeds.size() > 10 ? " ..." : "");
  }
  return errors ? 2 : failed ? 1 : 0;
}
