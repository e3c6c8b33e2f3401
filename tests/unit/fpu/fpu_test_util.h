#pragma once
#include <doctest/doctest.h>

#include "core/csr_bits.h"
#include "core/fpu/format.h"
#include "core/insn.h"

// Runs one F/D semantics function on a hand-built hart: operands in f2/f3/f4 (and x2 for the
// integer-source instructions), result in f1/x1 (both start as a poison value).
namespace lockstep::core::fputest {

inline constexpr u64 kPoison = 0xdeadbeefdeadbeefull;
inline constexpr u32 NX = csr::kNX, UF = csr::kUF, OF = csr::kOF, DZ = csr::kDZ, NV = csr::kNV;
inline constexpr unsigned RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4, DYN = 7;

struct Result {
  Flow flow;
  u64 f;       // f1 after the instruction
  u64 x;       // x1 after the instruction
  u32 flags;   // fflags after (started at 0 unless given)
  u64 fs;      // mstatus.FS after
  Trap trap;
};

struct Run {
  SemFn fn;
  u64 a = 0, b = 0, c = 0;  // f2, f3, f4 (x2 = a as well)
  unsigned rm = RNE;
  u32 frm = 0;
  u32 flags_before = 0;
  u64 fs = csr::kFsInitial;
  u32 raw = 0x12345678;
};

inline Result run(const Run& r) {
  Hart h;
  h.csr.mstatus = r.fs << csr::kFSShift;
  h.csr.frm = r.frm;
  h.csr.fflags = r.flags_before;
  h.f[1] = kPoison;
  h.x[1] = kPoison;
  h.f[2] = r.a;
  h.x[2] = r.a;
  h.f[3] = r.b;
  h.f[4] = r.c;
  Insn i;
  i.fn = r.fn;
  i.raw = r.raw;
  i.rd = 1;
  i.rs1 = 2;
  i.rs2 = 3;
  i.rs3 = 4;
  i.rm = static_cast<u8>(r.rm);
  const Flow flow = r.fn(h, i);
  return {flow, h.f[1], h.x[1], h.csr.fflags, (h.csr.mstatus & csr::kFS) >> csr::kFSShift, h.trap};
}

// Single-precision operand/result helpers (NaN-boxed register values).
inline constexpr u64 S(u32 v) { return fpu::box_s(v); }

}  // namespace lockstep::core::fputest
