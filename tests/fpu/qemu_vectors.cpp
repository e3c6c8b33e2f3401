// Checks lockstep's F/D semantics against QEMU (qemu-system-riscv64, the reference) bit for bit.
//
// Runs the guest tests/fpu/guest (built to fpu_vectors.elf) on QEMU (-icount), which executes
// every F/D instruction over ~4000 generated operand sets per rounding mode and prints one hash of
// results+fflags per (instruction, mode) group, then every reserved-rounding-mode case and every
// mstatus.FS case in full, with whether QEMU counted each trapping instruction (Trap::counted).
// This program recomputes the same vectors with the semantics functions (decoding each
// instruction word with rows_fd()) and compares. On a group mismatch it reruns QEMU
// for that group alone with per-vector output and prints the first differing vectors.
//
// usage: fpu_qemu_vectors <fpu_vectors.elf> [qemu-system-riscv64]
// exit: 0 all equal, 1 mismatch, 77 QEMU not runnable (skipped)
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/decode/table.h"
#include "core/semantics/rv_fd.h"
#include "tests/fpu/vectors.h"

using namespace lockstep::core;

namespace {

constexpr u64 kBufVa = 0x80200000;  // where x10 points for loads and stores (any mapped address)

struct Outcome {
  u64 result = 0, flags = 0, cause = 0, tval = 0, fs_after = 0;
  int counted = -1;  // for traps: whether the trapping instruction counts as executed (icount)
};

// One hart reused for every vector, with one page of memory behind the software TLB.
struct Machine {
  alignas(4096) u8 page[4096] = {};
  Hart h;
  Machine() {
    for (Tlb* t : {&h.load_tlb, &h.store_tlb}) {
      TlbEntry& e = t->slot(kBufVa);
      e.tag = (kBufVa >> kPageBits) | h.data_key;
      e.addend = reinterpret_cast<uintptr_t>(page) - kBufVa;
    }
  }
  u64 membuf() const {
    u64 v;
    std::memcpy(&v, page, 8);
    return v;
  }

  // Mirrors run()/fv_call() in guest/main.c.
  Outcome exec(const fv_op& op, u32 word, u64 a, u64 b, u64 c, u32 frm, u32 flags_in, int fs) {
    const decode::InsnRow* row = nullptr;
    for (const decode::InsnRow& r : decode::rows_fd()) {
      if ((word & r.mask) == r.match) row = &r;
    }
    if (row == nullptr) {
      std::fprintf(stderr, "no F/D row decodes %08x (%s)\n", word, op.name);
      std::exit(1);
    }
    const bool mem = op.src == FV_MEM32 || op.src == FV_MEM64 || op.dst == FV_MEM32 || op.dst == FV_MEM64;
    u64 x10 = a;
    if (mem) {
      const u64 init = op.src == FV_MEM32 ? (a & 0xffffffffull) | 0x5a5a5a5a00000000ull
                       : op.src == FV_MEM64 ? a
                                            : FV_POISON;
      std::memcpy(page, &init, 8);
      x10 = kBufVa;
    }
    h.csr.mstatus = (fs < 0 ? csr::kFsDirty : static_cast<u64>(fs)) << csr::kFSShift;
    h.csr.frm = frm;
    h.csr.fflags = flags_in;
    h.f[10] = mem ? x10 : a;
    h.f[11] = b;
    h.f[12] = c;
    h.x[10] = x10;
    h.x[11] = b;
    h.f[7] = FV_POISON;
    h.x[7] = FV_POISON;
    h.trap = Trap{};
    Insn i;
    i.fn = row->fn;
    i.raw = word;
    i.rd = (word >> 7) & 31;
    i.rs1 = (word >> 15) & 31;
    i.rs2 = (word >> 20) & 31;
    i.rs3 = (word >> 27) & 31;
    i.rm = (word >> 12) & 7;
    i.imm = 0;
    Outcome o;
    if (i.fn(h, i) == Flow::Trap) {
      o.cause = h.trap.cause;
      o.tval = h.trap.tval;
      o.counted = h.trap.counted ? 1 : 0;
    }
    o.result = (op.dst == FV_MEM32 || op.dst == FV_MEM64) ? membuf() : op.dst == FV_X ? h.x[7] : h.f[7];
    o.flags = h.csr.fflags;
    o.fs_after = (h.csr.mstatus & csr::kFS) >> csr::kFSShift;
    return o;
  }
};

std::vector<std::string> run_qemu(const std::string& qemu, const std::string& elf, long config) {
  std::string cmd = "timeout 900 " + qemu +
                    " -M virt -m 256M -bios none -display none -serial stdio -monitor none"
                    " -icount shift=0,sleep=off -kernel '" + elf + "'";
  if (config != 0) {
    char dev[128];
    std::snprintf(dev, sizeof dev, " -device loader,addr=0x%llx,data=%ld,data-len=8",
                  static_cast<unsigned long long>(FV_CONFIG_ADDR), config);
    cmd += dev;
  }
  cmd += " </dev/null";
  std::vector<std::string> lines;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return lines;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) {
    std::string s(buf);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    lines.push_back(s);
  }
  pclose(p);
  return lines;
}

// "<result> <flags>[ <fs>][ T<cause> <tval>[ C<counted>]]"
Outcome parse_line(const std::string& s, bool with_fs) {
  Outcome o;
  const char* p = s.c_str();
  char* end;
  o.result = std::strtoull(p, &end, 16);
  o.flags = std::strtoull(end, &end, 16);
  if (with_fs) o.fs_after = std::strtoull(end, &end, 16);
  while (*end == ' ') ++end;
  if (*end == 'T') {
    o.cause = std::strtoull(end + 1, &end, 16);
    o.tval = std::strtoull(end, &end, 16);
    while (*end == ' ') ++end;
    if (*end == 'C') o.counted = static_cast<int>(std::strtol(end + 1, &end, 10));
  }
  return o;
}

std::string describe(const Outcome& o, bool with_fs) {
  char b[160];
  int n = std::snprintf(b, sizeof b, "%016" PRIx64 " fflags=%02" PRIx64, o.result, o.flags);
  if (with_fs) n += std::snprintf(b + n, sizeof b - n, " FS=%" PRIu64, o.fs_after);
  if (o.cause) {
    n += std::snprintf(b + n, sizeof b - n, " trap cause=%" PRIu64 " tval=%08" PRIx64, o.cause, o.tval);
    if (o.counted >= 0) std::snprintf(b + n, sizeof b - n, " %s", o.counted ? "counted" : "not counted");
  }
  return b;
}

// counted is compared only where QEMU reported it (the R and F sections).
bool same(const Outcome& x, const Outcome& y, bool with_fs) {
  return x.result == y.result && x.flags == y.flags && x.cause == y.cause && x.tval == y.tval &&
         (!with_fs || x.fs_after == y.fs_after) && (x.counted < 0 || y.counted < 0 || x.counted == y.counted);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <fpu_vectors.elf> [qemu-system-riscv64]\n", argv[0]);
    return 2;
  }
  const std::string elf = argv[1];
  const std::string qemu = argc > 2 ? argv[2] : "qemu-system-riscv64";
  const std::vector<std::string> out = run_qemu(qemu, elf, 0);
  char header[96];
  std::snprintf(header, sizeof header, "LOCKSTEP-FPU-VECTORS %d %d %016" PRIx64, FV_VERSION, FV_PER_GROUP,
                fv_generator_digest());
  if (out.empty() || out.front().rfind("LOCKSTEP-FPU-VECTORS ", 0) != 0) {
    std::fprintf(stderr, "QEMU did not run the guest (%s); skipping\n", out.empty() ? "no output" : out.front().c_str());
    return 77;
  }
  if (out.front() != header) {
    std::fprintf(stderr, "the guest was built from another vectors.h: \"%s\", expected \"%s\"\n",
                 out.front().c_str(), header);
    return 1;
  }
  Machine m;
  size_t line = 1;
  auto next = [&]() -> const std::string& {
    static const std::string kEof = "<end of output>";
    return line < out.size() ? out[line++] : kEof;
  };
  int failures = 0;
  u64 vectors = 0, groups = 0;

  // 1. groups
  unsigned group = 0;
  for (int op = 0; op < FV_NOPS; ++op) {
    const fv_op& o = fv_ops[op];
    for (unsigned mode = 0; mode < fv_modes(&o); ++mode, ++group) {
      const u32 word = fv_word(&o, 7);
      std::vector<Outcome> mine(FV_PER_GROUP);
      u64 h = 0;
      for (unsigned k = 0; k < FV_PER_GROUP; ++k) {
        u64 a, b, c;
        fv_vector(op, mode, k, &a, &b, &c);
        mine[k] = m.exec(o, word, a, b, c, fv_mode_frm(mode), fv_mode_flags(mode), -1);
        h = fv_hash(fv_hash(fv_hash(fv_hash(h, mine[k].result), mine[k].flags), mine[k].cause), mine[k].tval);
      }
      const std::string& g = next();
      char want[80];
      std::snprintf(want, sizeof want, "G %d %u %016" PRIx64, op, mode, h);
      ++groups;
      vectors += FV_PER_GROUP;
      if (g == want) continue;
      ++failures;
      std::printf("MISMATCH %s mode %u: QEMU \"%s\", lockstep \"%s\"\n", o.name, mode, g.c_str(), want);
      if (g.rfind("G ", 0) != 0) return 1;  // out of step: nothing more to compare
      // Per-vector detail from QEMU for this group.
      const std::vector<std::string> detail = run_qemu(qemu, elf, static_cast<long>(group) + 1);
      int shown = 0;
      for (const std::string& s : detail) {
        if (s.size() < 5 || s[4] != ' ' || s[0] == 'G') continue;
        const unsigned k = static_cast<unsigned>(std::strtoul(s.substr(0, 4).c_str(), nullptr, 16));
        if (k >= FV_PER_GROUP) continue;
        const Outcome q = parse_line(s.substr(5), false);
        if (same(q, mine[k], false)) continue;
        u64 a, b, c;
        fv_vector(op, mode, k, &a, &b, &c);
        std::printf("  vector %u: a=%016" PRIx64 " b=%016" PRIx64 " c=%016" PRIx64 "\n    QEMU     %s\n    lockstep %s\n",
                    k, a, b, c, describe(q, false).c_str(), describe(mine[k], false).c_str());
        if (++shown == 10) break;
      }
    }
  }

  // 2. reserved rounding modes
  if (next() != "R") {
    std::printf("expected the reserved-rounding-mode section\n");
    return 1;
  }
  u64 reserved = 0;
  for (int op = 0; op < FV_NOPS; ++op) {
    const fv_op& o = fv_ops[op];
    if (!(o.fields & FV_RM)) continue;
    for (unsigned t = 0; t < 5; ++t) {
      const unsigned rm = t < 2 ? 5 + t : 7, frm = t < 2 ? 0 : 5 + (t - 2);
      u64 a, b, c;
      fv_vector(op, 0, t, &a, &b, &c);
      const Outcome mine = m.exec(o, fv_word(&o, rm), a, b, c, frm, 0, -1);
      const Outcome q = parse_line(next(), false);
      ++reserved;
      if (!same(q, mine, false)) {
        ++failures;
        std::printf("MISMATCH %s rm=%u frm=%u: QEMU %s, lockstep %s\n", o.name, rm, frm, describe(q, false).c_str(),
                    describe(mine, false).c_str());
      }
    }
  }

  // 3. mstatus.FS
  if (next() != "F") {
    std::printf("expected the mstatus.FS section\n");
    return 1;
  }
  u64 fs_cases = 0;
  for (int op = 0; op < FV_NOPS; ++op) {
    const fv_op& o = fv_ops[op];
    for (int fs = 0; fs < 4; ++fs) {
      u64 a, b, c;
      fv_vector(op, 0, 100 + static_cast<unsigned>(fs), &a, &b, &c);
      const Outcome mine = m.exec(o, fv_word(&o, 0), a, b, c, 0, 0, fs);
      const Outcome q = parse_line(next(), true);
      ++fs_cases;
      if (!same(q, mine, true)) {
        ++failures;
        std::printf("MISMATCH %s FS=%d: QEMU %s, lockstep %s\n", o.name, fs, describe(q, true).c_str(),
                    describe(mine, true).c_str());
      }
    }
  }
  if (next() != "END") {
    std::printf("expected END\n");
    return 1;
  }
  std::printf("F/D vs QEMU: %" PRIu64 " groups, %" PRIu64 " vectors; %" PRIu64 " reserved-rm cases; %" PRIu64
              " FS cases; %d mismatching\n",
              groups, vectors, reserved, fs_cases, failures);
  return failures == 0 ? 0 : 1;
}
