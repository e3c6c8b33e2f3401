#pragma once
// Random RV64GC program generator. Instructions are drawn from the project's decode table
// (core/decode/table.h all_rows()): raw bits = match | (random & ~mask), then constrained so
// the program is safe and deterministic on any correct implementation (see README.md).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/deterministic_rng.h"
#include "tests/random/layout.h"

namespace lockstep::tests::random {

using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;
using i64 = int64_t;

using Rng = core::DeterministicRng;

struct Options {
  u64 seed = 1;
  u32 length = 300;                 // random instruction groups
  u32 repeat = 2;                   // passes over the random code (>1: decoded/translated code is reused)
  unsigned misaligned_percent = 25; // of loads/stores (never AMO/LR/SC)
  unsigned bad_rm_percent = 3;      // FP rounding-mode fields 5/6 (illegal) on purpose
  unsigned bad_frm_percent = 3;     // programs whose initial frm is 5..7 (dynamic rm traps)
  unsigned illegal_percent = 2;     // groups that are near misses of a row that no row matches
  unsigned checkpoint_percent = 5;  // groups that log fflags (then clear them) and a register hash
  std::vector<std::string> exclude; // mnemonics left out (to look past a known bug)
};

// How a group's control transfer is patched once addresses are known.
enum class Fixup : u8 {
  None,
  Branch,       // pieces[0] is a B-type branch
  Jal,          // pieces[0] is jal
  AuipcJalr,    // auipc rS,0 ; jalr rd, delta(rS)
  CBranch,      // pieces[0] is c.beqz/c.bnez
  CJump,        // pieces[0] is c.j
  AuipcAddiCJr, // auipc rS,0 ; addi rS,rS,delta ; c.jr/c.jalr rS
};

struct Piece {
  u32 raw = 0;
  u8 len = 4;              // 2 or 4 bytes
  int row = -1;            // decode-table row, or -1 (a helper setting up an address, or an illegal word)
  std::string_view name;   // the row's mnemonic, or the helper's
};

// One logical random instruction with the helpers it needs. Branch targets are group starts,
// so no control transfer lands between a helper and the instruction it prepares.
struct Group {
  bool checkpoint = false;  // the fixed checkpoint snippet instead of pieces
  std::vector<Piece> pieces;
  Fixup fixup = Fixup::None;
  u32 target = 0;          // index of the target group (== groups.size() for the end)
};

struct Program {
  Options options;
  unsigned base_reg = 8;    // x8..x15 (so compressed loads/stores can use it); never written
  std::array<u64, 32> x{};  // initial integer registers (x0, base and sp are fixed)
  std::array<u64, 32> f{};  // initial FP registers (raw 64-bit, NaN-boxed or not)
  u32 fcsr = 0;
  u32 fs = 3;               // mstatus.FS while the random code runs (3 = dirty; 0 = off: FP traps)
  std::array<u64, kDataWords> data{};
  std::vector<Group> groups;
};

// One placed instruction of an emitted program.
struct Placed {
  u64 addr = 0;
  u32 raw = 0;
  u32 len = 4;
  unsigned group = 0;
  std::string_view name;
  bool checkpoint = false;  // a checkpoint snippet of `len` bytes (raw unused)
};

// keep[i] says whether group i is emitted (the minimiser drops groups; branch targets move to
// the next kept group). An empty keep emits everything.
struct Emitted {
  std::string assembly;
  std::vector<Placed> code;
};

Program generate(const Options& options);
Emitted emit(const Program& program, const std::vector<bool>& keep = {});

// The table rows the generator can use, with the kind it classified them as (for --list-rows).
std::string describe_rows();

}  // namespace lockstep::tests::random
