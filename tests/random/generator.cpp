#include "tests/random/generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <optional>

#include "core/decode/table.h"

namespace lockstep::tests::random {
namespace {

namespace dec = lockstep::core::decode;

// ---------------------------------------------------------------------------------------------
// Bit fields. Only bits outside a row's mask are ever changed, so the result still matches it.

constexpr u32 field(u32 raw, unsigned lo, unsigned n) { return (raw >> lo) & ((1u << n) - 1); }
constexpr u32 with(u32 raw, unsigned lo, unsigned n, u32 v) {
  const u32 m = ((1u << n) - 1) << lo;
  return (raw & ~m) | ((v << lo) & m);
}
constexpr bool is_free(u32 mask, unsigned lo, unsigned n) { return field(mask, lo, n) == 0; }

u32 set_i_imm(u32 raw, i64 imm) { return with(raw, 20, 12, static_cast<u32>(imm)); }
u32 set_s_imm(u32 raw, i64 imm) {
  const u32 u = static_cast<u32>(imm);
  return with(with(raw, 7, 5, u), 25, 7, u >> 5);
}
u32 set_b_imm(u32 raw, i64 imm) {
  const u32 u = static_cast<u32>(imm);
  raw = with(raw, 31, 1, u >> 12);
  raw = with(raw, 25, 6, u >> 5);
  raw = with(raw, 8, 4, u >> 1);
  return with(raw, 7, 1, u >> 11);
}
u32 set_j_imm(u32 raw, i64 imm) {
  const u32 u = static_cast<u32>(imm);
  raw = with(raw, 31, 1, u >> 20);
  raw = with(raw, 21, 10, u >> 1);
  raw = with(raw, 20, 1, u >> 11);
  return with(raw, 12, 8, u >> 12);
}
u32 set_cb_off(u32 raw, i64 off) {  // c.beqz / c.bnez
  const u32 u = static_cast<u32>(off);
  raw = with(raw, 12, 1, u >> 8);
  raw = with(raw, 10, 2, u >> 3);
  raw = with(raw, 5, 2, u >> 6);
  raw = with(raw, 3, 2, u >> 1);
  return with(raw, 2, 1, u >> 5);
}
u32 set_cj_off(u32 raw, i64 off) {  // c.j
  const u32 u = static_cast<u32>(off);
  raw = with(raw, 12, 1, u >> 11);
  raw = with(raw, 11, 1, u >> 4);
  raw = with(raw, 9, 2, u >> 8);
  raw = with(raw, 8, 1, u >> 10);
  raw = with(raw, 7, 1, u >> 6);
  raw = with(raw, 6, 1, u >> 7);
  raw = with(raw, 3, 3, u >> 1);
  return with(raw, 2, 1, u >> 5);
}

// ---------------------------------------------------------------------------------------------
// Row classification: the row's Format gives the operand layout; the major opcode (an ISA fact
// of the encoding) says which register file rd belongs to and whether rs1 addresses memory.

enum class Kind : u8 {
  Excluded,
  Alu,       // integer rd
  FpArith,   // FMA family: f rd, rm
  OpFp,      // OP-FP: rd is an x register for compares, fcvt to integer, fmv.x, fclass
  Load, FpLoad, Store, FpStore,
  Amo, Lr, Sc,
  Branch, Jal, Jalr,
  Csr,       // only fflags / frm / fcsr
  Fence,
  Compressed,  // constrained per quadrant and funct3 on the generated bits
};

constexpr std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::Excluded: return "excluded";
    case Kind::Alu: return "alu";
    case Kind::FpArith: return "fp-fma";
    case Kind::OpFp: return "op-fp";
    case Kind::Load: return "load";
    case Kind::FpLoad: return "fp-load";
    case Kind::Store: return "store";
    case Kind::FpStore: return "fp-store";
    case Kind::Amo: return "amo";
    case Kind::Lr: return "lr";
    case Kind::Sc: return "sc";
    case Kind::Branch: return "branch";
    case Kind::Jal: return "jal";
    case Kind::Jalr: return "jalr";
    case Kind::Csr: return "csr(fflags/frm/fcsr)";
    case Kind::Fence: return "fence";
    case Kind::Compressed: return "compressed";
  }
  return "?";
}

struct RowInfo {
  unsigned index = 0;
  Kind kind = Kind::Excluded;
  std::string_view why;  // for excluded rows
};

bool is_compressed_row(const dec::InsnRow& r) { return r.ext == dec::Ext::C || (r.match & 3) != 3; }

RowInfo classify(unsigned index, const dec::InsnRow& r) {
  RowInfo info{index, Kind::Excluded, {}};
  auto excluded = [&](std::string_view why) {
    info.why = why;
    return info;
  };
  if (r.ext == dec::Ext::Priv) return excluded("privileged");
  if (r.ext == dec::Ext::Zifencei) return excluded("fence.i");
  if (r.format == dec::Format::None) return excluded("no operands (ecall/ebreak/xret/wfi)");
  if (r.format == dec::Format::SfenceVma) return excluded("sfence.vma");
  if ((r.match & r.mask) != r.match) return excluded("match has bits outside mask");

  if (is_compressed_row(r)) {
    const u32 q = r.match & 3, f3 = field(r.match, 13, 3);
    if (r.mask > 0xFFFF) return excluded("16-bit row with a 32-bit mask");
    if (q == 2 && f3 == 4 && r.match == 0x9002 && r.mask == 0xFFFF) return excluded("c.ebreak");
    if (r.format == dec::Format::CIAddi16sp) return excluded("c.addi16sp writes sp");
    if (q == 1 && f3 == 3 && !is_free(r.mask, 7, 5) && field(r.match, 7, 5) == 2)
      return excluded("c.addi16sp writes sp");
    info.kind = Kind::Compressed;
    return info;
  }

  const u32 opcode = r.match & 0x7F;
  const u32 f3 = field(r.match, 12, 3);
  switch (opcode) {
    case 0x03: info.kind = Kind::Load; break;
    case 0x07: info.kind = Kind::FpLoad; break;
    case 0x0F:
      if (f3 != 0 || is_free(r.mask, 12, 3)) return excluded("fence.i / unknown misc-mem");
      info.kind = Kind::Fence;
      break;
    case 0x13: case 0x1B: case 0x33: case 0x3B: case 0x37: case 0x17: info.kind = Kind::Alu; break;
    case 0x23: info.kind = Kind::Store; break;
    case 0x27: info.kind = Kind::FpStore; break;
    case 0x2F:
      if (r.format == dec::Format::Lr) info.kind = Kind::Lr;
      else if (field(r.match, 27, 5) == 0x03 && !is_free(r.mask, 27, 5)) info.kind = Kind::Sc;
      else info.kind = Kind::Amo;
      break;
    case 0x43: case 0x47: case 0x4B: case 0x4F: info.kind = Kind::FpArith; break;
    case 0x53: info.kind = Kind::OpFp; break;
    case 0x63: info.kind = Kind::Branch; break;
    case 0x67: info.kind = Kind::Jalr; break;
    case 0x6F: info.kind = Kind::Jal; break;
    case 0x73:
      if (r.format != dec::Format::Csr && r.format != dec::Format::CsrI) return excluded("system");
      if (!is_free(r.mask, 20, 12)) return excluded("fixed CSR number");
      info.kind = Kind::Csr;
      break;
    default: return excluded("unknown major opcode");
  }
  return info;
}

const std::vector<RowInfo>& row_infos() {
  static const std::vector<RowInfo> infos = [] {
    std::vector<RowInfo> v;
    const auto rows = dec::all_rows();
    for (unsigned i = 0; i < rows.size(); ++i) v.push_back(classify(i, rows[i]));
    return v;
  }();
  return infos;
}

// True when a more specific row (the decoder tries rows most-specific mask first) also matches
// raw: the bits would not be the chosen row's instruction, so the generator draws again.
bool shadowed(u32 raw, unsigned self) {
  const auto rows = dec::all_rows();
  const dec::InsnRow& r = rows[self];
  const bool compressed = is_compressed_row(r);
  const int bits = std::popcount(r.mask);
  for (unsigned k = 0; k < rows.size(); ++k) {
    const dec::InsnRow& o = rows[k];
    if (k == self || is_compressed_row(o) != compressed || (raw & o.mask) != o.match) continue;
    const int ob = std::popcount(o.mask);
    if (ob > bits || (ob == bits && k < self)) return true;
  }
  return false;
}

std::vector<std::string> checkpoint_lines(const Program& p);  // below, with the runtime text

// How far (bytes, from the group's start) each fixup can reach forward.
constexpr i64 reach(Fixup f) {
  switch (f) {
    case Fixup::None: return 0;
    case Fixup::Branch: return 4094;
    case Fixup::Jal: return (1 << 20) - 2;
    case Fixup::AuipcJalr: return 2047;
    case Fixup::CBranch: return 254;
    case Fixup::CJump: return 2046;
    case Fixup::AuipcAddiCJr: return 2047;
  }
  return 0;
}

// Helpers (auipc, addi) come from the table as well; a missing one disables what needs it.
std::optional<u32> helper_match(std::string_view mnemonic) {
  for (const auto& r : dec::all_rows())
    if (r.mnemonic == mnemonic) return r.match;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Initial values.

constexpr std::array<u64, 26> kIntSpecials = {
    0, 1, 2, 3, ~u64{0}, ~u64{1}, u64{1} << 63, (u64{1} << 63) - 1, (u64{1} << 63) + 1,
    0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000, 0xFFFFFFFF80000000, 0xFFFFFFFF7FFFFFFF,
    0x7FF, 0x800, 0xFFF, 0xFFFFFFFFFFFFF800, 0x8000000000000001, 0x00000000FFFFFFFE,
    0x5555555555555555, 0xAAAAAAAAAAAAAAAA, 0x0123456789ABCDEF, 63, 64};

constexpr std::array<u64, 24> kDoubleSpecials = {
    0x0000000000000000, 0x8000000000000000,  // +-0
    0x7FF0000000000000, 0xFFF0000000000000,  // +-inf
    0x7FF8000000000000, 0xFFF8000000000000,  // qNaN
    0x7FF0000000000001, 0x7FF4000000000000,  // sNaN
    0x7FFC000000000123,                      // qNaN with payload
    0x0000000000000001, 0x800FFFFFFFFFFFFF,  // subnormals
    0x0010000000000000, 0x7FEFFFFFFFFFFFFF,  // min normal, max finite
    0x3FF0000000000000, 0xBFF0000000000000,  // +-1
    0x3FE0000000000000, 0x3FF8000000000000,  // 0.5, 1.5
    0x41E0000000000000, 0xC1E0000000000000,  // +-2^31
    0x41F0000000000000, 0x43E0000000000000,  // 2^32, 2^63
    0xC3E0000000000000, 0x43F0000000000000,  // -2^63, 2^64
    0x4330000000000001,                      // 2^52 + 1
};

constexpr std::array<u32, 24> kSingleSpecials = {
    0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00000,
    0x7FC00123, 0x00000001, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0x3F800000, 0xBF800000, 0x3F000000,
    0x3FC00000, 0x4F000000, 0xCF000000, 0x4F800000, 0x5F000000, 0xDF000000, 0x5F800000, 0x4B000001,
};

u64 random_int(Rng& rng) {
  switch (rng.below(8)) {
    case 0: case 1: return rng.pick(kIntSpecials);
    case 2: return static_cast<u64>(rng.range(-40, 40));
    case 3: {
      const unsigned k = static_cast<unsigned>(rng.below(64));
      const u64 p = u64{1} << k;
      switch (rng.below(4)) {
        case 0: return p;
        case 1: return p - 1;
        case 2: return ~p + 1;
        default: return ~p;
      }
    }
    case 4: return static_cast<u64>(static_cast<int64_t>(static_cast<int32_t>(rng.next())));
    case 5: return rng.next() & 0xFFFFFFFF;
    default: return rng.next();
  }
}

u64 moderate_double(Rng& rng) {  // exponent near 1.0, random mantissa: exercises rounding
  const u64 sign = rng.next() & (u64{1} << 63);
  const u64 exp = static_cast<u64>(1023 + rng.range(-70, 70));
  return sign | (exp << 52) | (rng.next() & ((u64{1} << 52) - 1));
}
u32 moderate_single(Rng& rng) {
  const u32 sign = static_cast<u32>(rng.next()) & 0x80000000u;
  const u32 exp = static_cast<u32>(127 + rng.range(-40, 40));
  return sign | (exp << 23) | (static_cast<u32>(rng.next()) & 0x7FFFFF);
}

u64 random_double(Rng& rng) {
  switch (rng.below(4)) {
    case 0: case 1: return rng.pick(kDoubleSpecials);
    case 2: return moderate_double(rng);
    default: return rng.next();
  }
}
u32 random_single(Rng& rng) {
  switch (rng.below(4)) {
    case 0: case 1: return rng.pick(kSingleSpecials);
    case 2: return moderate_single(rng);
    default: return static_cast<u32>(rng.next());
  }
}

u64 random_freg(Rng& rng) {
  const unsigned r = static_cast<unsigned>(rng.below(100));
  if (r < 40) return random_double(rng);
  const u64 s = random_single(rng);
  if (r < 85) return 0xFFFFFFFF00000000 | s;  // NaN-boxed single
  // Not NaN-boxed: single-precision operations must read it as the canonical NaN.
  static constexpr std::array<u64, 4> kUppers = {0, 0xFFFFFFFE, 0x7FFFFFFF, 0x00000001};
  const u64 upper = rng.percent(50) ? rng.pick(kUppers) : (rng.next() >> 32);
  return (upper == 0xFFFFFFFF ? 0 : upper) << 32 | s;
}

// ---------------------------------------------------------------------------------------------

class Generator {
 public:
  Generator(Program& p, Rng& rng) : p_(p), rng_(rng), opt_(p.options) {
    const auto rows = dec::all_rows();
    for (const auto& info : row_infos()) {
      const auto& ex = opt_.exclude;
      if (info.kind != Kind::Excluded &&
          std::find(ex.begin(), ex.end(), rows[info.index].mnemonic) == ex.end())
        usable_.push_back(info);
    }
    addi_ = helper_match("addi");
    auipc_ = helper_match("auipc");
  }

  bool has_rows() const { return !usable_.empty(); }

  Group make_group(u32 index) {
    if (rng_.percent(opt_.checkpoint_percent)) {
      Group g;
      g.checkpoint = true;
      return g;
    }
    if (rng_.percent(opt_.illegal_percent))
      if (auto g = try_illegal()) return *g;
    for (;;) {
      const RowInfo& info = usable_[rng_.below(usable_.size())];
      if (auto g = try_row(info, index)) return *g;
    }
  }

 private:
  Program& p_;
  Rng& rng_;
  const Options& opt_;
  std::vector<RowInfo> usable_;
  std::optional<u32> addi_, auipc_;
  std::optional<i64> last_lr_offset_;

  unsigned base() const { return p_.base_reg; }
  bool reserved(u32 reg) const { return reg == base() || reg == 2; }

  // A register the program may overwrite to hold an address: not x0, the base, or sp.
  u32 scratch_reg() {
    for (;;) {
      const u32 r = static_cast<u32>(rng_.range(1, 31));
      if (!reserved(r)) return r;
    }
  }

  // Re-draws a free destination field (5 bits at lo) until it names no reserved register.
  bool avoid_reserved(u32& raw, u32 mask, unsigned lo) {
    if (!is_free(mask, lo, 5)) return !reserved(field(raw, lo, 5));
    while (reserved(field(raw, lo, 5))) raw = with(raw, lo, 5, static_cast<u32>(rng_.below(32)));
    return true;
  }
  // Same for a 3-bit compressed register field (x8..x15).
  bool avoid_reserved_c(u32& raw, u32 mask, unsigned lo) {
    if (!is_free(mask, lo, 3)) return !reserved(8 + field(raw, lo, 3));
    while (reserved(8 + field(raw, lo, 3))) raw = with(raw, lo, 3, static_cast<u32>(rng_.below(8)));
    return true;
  }

  u32 target_after(u32 index) {
    return std::min<u32>(index + 1 + static_cast<u32>(rng_.below(6)), p_.options.length);
  }

  // Signed offset from the base register for an access of `width` bytes inside the data area.
  i64 mem_offset(unsigned width, bool allow_misaligned) {
    const i64 w = width;
    const bool hot = rng_.percent(60);  // a small window around the base: loads see stores
    const i64 lo = hot ? -64 : -static_cast<i64>(kBaseOffset);
    const i64 hi = (hot ? 64 : static_cast<i64>(kDataSize - kBaseOffset)) - w;
    if (allow_misaligned && rng_.percent(opt_.misaligned_percent)) {
      if (w > 1 && rng_.percent(40)) return -rng_.range(1, w - 1);  // crosses the page at the base
      return rng_.range(lo, hi);
    }
    return rng_.range(lo / w, hi / w) * w;
  }

  u32 pick_rm() {
    if (rng_.percent(opt_.bad_rm_percent)) return 5 + static_cast<u32>(rng_.below(2));
    if (rng_.percent(40)) return 7;  // dynamic: frm
    return static_cast<u32>(rng_.below(5));
  }

  static Piece piece(u32 raw, int row, std::string_view name) {
    return Piece{raw, static_cast<u8>((raw & 3) == 3 ? 4 : 2), row, name};
  }

  // A near miss: a usable row's encoding with one or two of its fixed bits flipped (never the
  // length bits), kept only if no row of the table matches it, so both sides must trap.
  std::optional<Group> try_illegal() {
    const auto rows = dec::all_rows();
    for (int tries = 0; tries < 20; ++tries) {
      const RowInfo& info = usable_[rng_.below(usable_.size())];
      const auto& r = rows[info.index];
      const bool compressed = info.kind == Kind::Compressed;
      const u32 width_mask = compressed ? 0xFFFF : 0xFFFFFFFF;
      u32 raw = (r.match | (static_cast<u32>(rng_.next()) & ~r.mask)) & width_mask;
      const u32 flippable = r.mask & width_mask & ~u32{3};
      if (flippable == 0) continue;
      const unsigned flips = 1 + static_cast<unsigned>(rng_.below(2));
      for (unsigned k = 0; k < flips; ++k) {
        unsigned bit;
        do bit = static_cast<unsigned>(rng_.below(compressed ? 16 : 32));
        while (!((flippable >> bit) & 1));
        raw ^= 1u << bit;
      }
      bool matched = false;
      for (const auto& o : rows)
        if (is_compressed_row(o) == compressed && (raw & o.mask) == o.match) matched = true;
      if (matched) continue;
      Group g;
      g.pieces.push_back(piece(raw, -1, "(no row: illegal)"));
      return g;
    }
    return std::nullopt;
  }

  std::optional<Group> try_row(const RowInfo& info, u32 index) {
    const auto& r = dec::all_rows()[info.index];
    if (info.kind == Kind::Compressed) return try_compressed(info, r, index);

    const u32 mask = r.mask;
    u32 raw = r.match | (static_cast<u32>(rng_.next()) & ~mask);
    Group g;
    const int row = static_cast<int>(info.index);
    const bool rm_free = is_free(mask, 12, 3);

    auto load_store_width = [&](bool fp) -> unsigned {
      const u32 f3 = field(raw, 12, 3);
      if (fp) return f3 == 1 ? 2 : f3 == 2 ? 4 : 8;
      return 1u << (f3 & 3);
    };

    switch (info.kind) {
      case Kind::Alu:
        if (!avoid_reserved(raw, mask, 7)) return std::nullopt;
        break;
      case Kind::FpArith:
        if (rm_free) raw = with(raw, 12, 3, pick_rm());
        break;
      case Kind::OpFp: {
        if (rm_free) raw = with(raw, 12, 3, pick_rm());
        const u32 funct5 = field(raw, 27, 5);
        if ((funct5 == 0x14 || funct5 == 0x18 || funct5 == 0x1C) && !avoid_reserved(raw, mask, 7))
          return std::nullopt;
        break;
      }
      case Kind::Load:
      case Kind::FpLoad: {
        if (!is_free(mask, 15, 5) || !is_free(mask, 20, 12)) return std::nullopt;
        if (info.kind == Kind::Load && !avoid_reserved(raw, mask, 7)) return std::nullopt;
        const unsigned w = load_store_width(info.kind == Kind::FpLoad);
        raw = set_i_imm(with(raw, 15, 5, base()), mem_offset(w, true));
        break;
      }
      case Kind::Store:
      case Kind::FpStore: {
        if (!is_free(mask, 15, 5) || !is_free(mask, 7, 5) || !is_free(mask, 25, 7)) return std::nullopt;
        const unsigned w = load_store_width(info.kind == Kind::FpStore);
        raw = set_s_imm(with(raw, 15, 5, base()), mem_offset(w, true));
        break;
      }
      case Kind::Amo:
      case Kind::Lr:
      case Kind::Sc: {
        if (!addi_ || !is_free(mask, 15, 5) || !avoid_reserved(raw, mask, 7)) return std::nullopt;
        const unsigned w = field(raw, 12, 3) == 2 ? 4 : 8;
        i64 off = mem_offset(w, false);
        // SCs usually pair with the last LR (any widths: lr.d/sc.w is a QEMU quirk that lockstep
        // mirrors, see README.md).
        if (info.kind == Kind::Sc && last_lr_offset_ && rng_.percent(70)) off = *last_lr_offset_;
        if (info.kind == Kind::Lr) last_lr_offset_ = off;
        const u32 s = scratch_reg();
        u32 addi = set_i_imm(with(with(*addi_, 7, 5, s), 15, 5, base()), off);
        g.pieces.push_back(piece(addi, -1, "addi"));
        raw = with(raw, 15, 5, s);
        break;
      }
      case Kind::Branch:
        g.fixup = Fixup::Branch;
        g.target = target_after(index);
        break;
      case Kind::Jal:
        if (!avoid_reserved(raw, mask, 7)) return std::nullopt;
        g.fixup = Fixup::Jal;
        g.target = target_after(index);
        break;
      case Kind::Jalr: {
        if (!auipc_ || !is_free(mask, 15, 5) || !avoid_reserved(raw, mask, 7)) return std::nullopt;
        const u32 s = scratch_reg();
        g.pieces.push_back(piece(with(*auipc_ & 0xFFF, 7, 5, s), -1, "auipc"));
        raw = with(raw, 15, 5, s);
        g.fixup = Fixup::AuipcJalr;
        g.target = target_after(index);
        break;
      }
      case Kind::Csr: {
        // fflags most often: a random write to frm makes later dynamic-rm operations trap.
        static constexpr std::array<u32, 4> kFpCsrs = {0x001, 0x001, 0x002, 0x003};
        const u32 csr = rng_.pick(kFpCsrs);
        raw = with(raw, 20, 12, csr);
        if (csr == 0x002 && r.format == dec::Format::CsrI && is_free(mask, 15, 5) && rng_.percent(80))
          raw = with(raw, 15, 5, static_cast<u32>(rng_.below(5)));  // usually a valid frm
        if (!avoid_reserved(raw, mask, 7)) return std::nullopt;
        break;
      }
      case Kind::Fence:
        break;
      case Kind::Excluded:
      case Kind::Compressed:
        return std::nullopt;
    }
    if ((raw & mask) != r.match || shadowed(raw, info.index)) return std::nullopt;
    g.pieces.push_back(piece(raw, row, r.mnemonic));
    return g;
  }

  // Compressed rows: the constraints follow from quadrant and funct3 of the generated bits.
  std::optional<Group> try_compressed(const RowInfo& info, const dec::InsnRow& r, u32 index) {
    const u32 mask = r.mask & 0xFFFF;
    u32 raw = (r.match | (static_cast<u32>(rng_.next()) & ~mask)) & 0xFFFF;
    const u32 q = raw & 3, f3 = field(raw, 13, 3);
    const u32 base_c = base() - 8;  // base() is x8..x15
    Group g;
    auto set_base_c = [&](unsigned lo) {
      if (!is_free(mask, lo, 3)) return field(raw, lo, 3) == base_c;
      raw = with(raw, lo, 3, base_c);
      return true;
    };
    bool ok = true;
    if (q == 0) {
      switch (f3) {
        case 0: ok = avoid_reserved_c(raw, mask, 2); break;                                // c.addi4spn
        case 2: case 3: ok = set_base_c(7) && avoid_reserved_c(raw, mask, 2); break;       // c.lw, c.ld
        case 1: case 5: case 6: case 7: ok = set_base_c(7); break;                         // c.fld, stores
        default: break;                                                                    // reserved
      }
    } else if (q == 1) {
      switch (f3) {
        case 0: case 1: case 2: ok = avoid_reserved(raw, mask, 7); break;  // c.addi, c.addiw, c.li
        case 3:                                                            // c.lui (rd=2 is c.addi16sp)
          ok = avoid_reserved(raw, mask, 7);
          break;
        case 4: ok = avoid_reserved_c(raw, mask, 7); break;  // c.srli .. c.addw
        case 5:
          g.fixup = Fixup::CJump;
          g.target = target_after(index);
          break;
        default:  // c.beqz, c.bnez
          g.fixup = Fixup::CBranch;
          g.target = target_after(index);
          break;
      }
    } else {
      switch (f3) {
        case 0: case 2: case 3: ok = avoid_reserved(raw, mask, 7); break;  // c.slli, c.lwsp, c.ldsp
        case 4: {
          const u32 rs1 = field(raw, 7, 5), rs2 = field(raw, 2, 5);
          const bool bit12 = field(raw, 12, 1) != 0;
          if (rs2 != 0) {  // c.mv, c.add
            ok = avoid_reserved(raw, mask, 7);
          } else if (bit12 && rs1 == 0) {  // c.ebreak
            ok = false;
          } else {  // c.jr / c.jalr: jump to a computed label
            if (!auipc_ || !addi_ || !is_free(mask, 7, 5)) return std::nullopt;
            const u32 s = scratch_reg();
            raw = with(raw, 7, 5, s);
            g.pieces.push_back(piece(with(*auipc_ & 0xFFF, 7, 5, s), -1, "auipc"));
            g.pieces.push_back(piece(with(with(*addi_, 7, 5, s), 15, 5, s), -1, "addi"));
            g.fixup = Fixup::AuipcAddiCJr;
            g.target = target_after(index);
          }
          break;
        }
        default: break;  // c.fldsp, c.fsdsp, c.swsp, c.sdsp: sp-relative, always inside the area
      }
    }
    // c.lui / c.addi16sp share an encoding: never produce a write to sp.
    if (q == 1 && f3 == 3 && field(raw, 7, 5) == 2) ok = false;
    if (!ok || (raw & mask) != (r.match & 0xFFFF) || shadowed(raw, info.index)) return std::nullopt;
    g.pieces.push_back(piece(raw, static_cast<int>(info.index), r.mnemonic));
    return g;
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string dump_name(unsigned index) {
  static constexpr const char* kAbi[32] = {"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
                                           "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
                                           "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
                                           "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
  if (index < kIdxF0) return fmt::format("x{} ({})", index + 1, kAbi[index + 1]);
  if (index < kIdxFcsr) return fmt::format("f{}", index - kIdxF0);
  if (index == kIdxFcsr) return "fcsr";
  if (index == kIdxMstatus) return "mstatus (masked)";
  if (index == kIdxTrapCount) return "trap count";
  if (index == kIdxMinstret) return "minstret";
  if (index == kIdxCheckpointCount) return "checkpoints taken";
  if (index >= kIdxCheckpoints && index < kIdxCheckpoints + 2 * kMaxCheckpoints)
    return fmt::format("checkpoint[{}].{}", (index - kIdxCheckpoints) / 2,
                       (index - kIdxCheckpoints) % 2 ? "hash(x,f)" : "fflags");
  if (index >= kIdxTraps && index < kIdxTraps + 3 * kMaxTrapRecords) {
    static constexpr const char* kWhat[3] = {"mcause", "mtval", "mepc"};
    return fmt::format("trap[{}].{}", (index - kIdxTraps) / 3, kWhat[(index - kIdxTraps) % 3]);
  }
  if (index >= kIdxData && index < kIdxData + kDataWords) {
    const i64 off = static_cast<i64>((index - kIdxData) * 8) - static_cast<i64>(kBaseOffset);
    return fmt::format("mem[base{}0x{:x}] (0x{:x})", off < 0 ? "-" : "+", off < 0 ? -off : off,
                       kBaseAddr + off);
  }
  return fmt::format("word 0x{:x}", index);
}

Program generate(const Options& options) {
  Program p;
  p.options = options;
  Rng rng(options.seed);
  p.base_reg = 8 + static_cast<unsigned>(rng.below(8));
  for (unsigned i = 1; i < 32; ++i) p.x[i] = random_int(rng);
  p.x[2] = kSpAddr;
  p.x[p.base_reg] = kBaseAddr;
  for (auto& f : p.f) f = random_freg(rng);
  const u32 frm = rng.percent(options.bad_frm_percent) ? static_cast<u32>(rng.range(5, 7))
                                                         : static_cast<u32>(rng.below(5));
  const u32 fflags = rng.percent(50) ? 0 : static_cast<u32>(rng.below(32));
  p.fcsr = frm << 5 | fflags;
  // Mostly dirty; clean/initial make every place that dirties FS visible in mstatus; off makes
  // every FP instruction trap.
  const unsigned fs_pick = static_cast<unsigned>(rng.below(100));
  p.fs = fs_pick < 76 ? 3 : fs_pick < 86 ? 2 : fs_pick < 96 ? 1 : 0;
  for (auto& w : p.data) {
    switch (rng.below(10)) {
      case 0: case 1: w = random_double(rng); break;
      case 2: case 3: w = u64{random_single(rng)} << 32 | random_single(rng); break;
      case 4: w = random_int(rng); break;
      default: w = rng.next(); break;
    }
  }
  Generator gen(p, rng);
  if (!gen.has_rows()) return p;  // an empty table: the program is just the runtime
  for (u32 i = 0; i < options.length; ++i) p.groups.push_back(gen.make_group(i));
  // Pull targets in until the offset fits (checkpoints are long). Dropping groups later (the
  // minimiser) only shortens distances, so this holds for every reduced program too.
  const i64 ckpt = static_cast<i64>(checkpoint_lines(p).size() * 4);
  std::vector<i64> off(p.groups.size() + 1, 0);
  for (size_t i = 0; i < p.groups.size(); ++i) {
    i64 len = p.groups[i].checkpoint ? ckpt : 0;
    for (const auto& pc : p.groups[i].pieces) len += pc.len;
    off[i + 1] = off[i] + len;
  }
  for (size_t i = 0; i < p.groups.size(); ++i) {
    Group& g = p.groups[i];
    while (g.fixup != Fixup::None && g.target > i + 1 && off[g.target] - off[i] > reach(g.fixup)) --g.target;
  }
  return p;
}

std::string describe_rows() {
  std::string out;
  const auto rows = dec::all_rows();
  for (const auto& info : row_infos()) {
    const auto& r = rows[info.index];
    out += fmt::format("{:4} {:16} mask {:08x} match {:08x}  {}{}{}\n", info.index, r.mnemonic, r.mask,
                       r.match, kind_name(info.kind), info.why.empty() ? "" : ": ", info.why);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Emission. The runtime (start-up, trap handler, dump) is fixed text; the random part is raw
// .word/.hword directives, so the assembler needs to know nothing about the instructions.

namespace {

constexpr std::string_view kRuntimeStart = R"(
    .option norvc
    .section .text.entry,"ax",@progbits
    .globl _start
_start:
    li t0, (3 << 13) | (3 << 11)    # mstatus.FS = dirty, MPP = M
    csrs mstatus, t0
    la t0, trap_handler
    csrw mtvec, t0
    la t0, trap_save
    csrw mscratch, t0
    la t0, init_f
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fld f\n, \n*8(t0)
    .endr
    la t0, init_fcsr
    lw t1, 0(t0)
    fscsr t1
    lw t1, 4(t0)                    # the program's mstatus.FS, already shifted
    li t0, 3 << 13
    csrc mstatus, t0
    csrs mstatus, t1
    la x1, init_x
    .irp n, 2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, \n*8(x1)
    .endr
    ld x1, 8(x1)
    j random_code

# A trap (an illegal encoding, a fault) is recorded and skipped: state[65] counts traps,
# state[66 + 3k ..] holds mcause, mtval, mepc of the first 32.
    .balign 4
trap_handler:
    csrrw sp, mscratch, sp
    sd t0, 0(sp)
    sd t1, 8(sp)
    sd t2, 16(sp)
    la t0, state
    ld t1, 65*8(t0)
    addi t2, t1, 1
    sd t2, 65*8(t0)
    li t2, 32
    bgeu t1, t2, 1f
    slli t2, t1, 1
    add t2, t2, t1
    slli t2, t2, 3
    add t0, t0, t2
    csrr t1, mcause
    sd t1, 66*8(t0)
    csrr t1, mtval
    sd t1, 67*8(t0)
    csrr t1, mepc
    sd t1, 68*8(t0)
1:  csrr t0, mepc
    lhu t1, 0(t0)
    andi t1, t1, 3
    li t2, 3
    addi t0, t0, 2
    bne t1, t2, 2f
    addi t0, t0, 2
2:  csrw mepc, t0
    ld t0, 0(sp)
    ld t1, 8(sp)
    ld t2, 16(sp)
    csrrw sp, mscratch, sp
    mret
)";

// Falls through from the random code (random_end). Runs the random code REPEAT times: the pass
// counter lives beside the trap handler's save area, reached by swapping x1 with mscratch, so
// no register changes between passes.
constexpr std::string_view kRuntimeFinish = R"(
    csrrw x1, mscratch, x1          # x1 = trap_save, mscratch = x1
    sd t0, 24(x1)
    ld t0, 32(x1)
    addi t0, t0, 1
    sd t0, 32(x1)
    addi t0, t0, -REPEAT
    beqz t0, 1f
    ld t0, 24(x1)
    csrrw x1, mscratch, x1
    j random_code
1:  ld t0, 24(x1)
    csrrw x1, mscratch, x1
finish:
    csrw mscratch, x1
    la x1, state
    .irp n, 2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, (\n-1)*8(x1)
    .endr
    csrr x2, mscratch
    sd x2, 0(x1)
    csrr x2, minstret               # retired instructions, traps and reset ROM included
    sd x2, 0xF0*8(x1)
    csrr x2, mstatus
    li x3, MSTATUS_DUMP_MASK
    and x2, x2, x3
    sd x2, 64*8(x1)
    li x3, 3 << 13                  # FS = dirty for the dump (the program may run with FS off)
    csrs mstatus, x3
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fsd f\n, (31+\n)*8(x1)
    .endr
    frcsr x2
    sd x2, 63*8(x1)
    la a0, state
    ld a1, 65*8(a0)
    li t0, 32
    bleu a1, t0, 1f
    mv a1, t0
1:  slli t0, a1, 1
    add a1, a1, t0
    addi a1, a1, 66
    li a2, 0
    jal s0, print_words
    la t0, trap_save
    ld t1, 48(t0)                   # checkpoints taken
    la a0, state
    sd t1, 0xF1*8(a0)
    la a0, state + 0xF0*8
    li a1, 2
    li a2, 0xF0
    jal s0, print_words
    la t0, trap_save
    ld a1, 48(t0)
    li t1, MAX_CHECKPOINTS
    bleu a1, t1, 4f
    mv a1, t1
4:  slli a1, a1, 1
    addi a0, t0, 64
    li a2, 0x300
    jal s0, print_words
    la a0, data_area
    li a1, 512
    li a2, 0x100
    jal s0, print_words
    li a5, 'e'
    jal ra, putc
    li a5, 'n'
    jal ra, putc
    li a5, 'd'
    jal ra, putc
    li a5, '\n'
    jal ra, putc
    li t0, 0x100000                 # sifive_test: pass
    li t1, 0x5555
    sw t1, 0(t0)
3:  j 3b

# print_words(a0 = pointer, a1 = count, a2 = first index), link s0:
# one line "<index, 3 hex digits> <word, 16 hex digits>" per word.
print_words:
1:  beqz a1, 2f
    mv a3, a2
    li a4, 3
    jal t6, put_hex
    li a5, ' '
    jal ra, putc
    ld a3, 0(a0)
    li a4, 16
    jal t6, put_hex
    li a5, '\n'
    jal ra, putc
    addi a0, a0, 8
    addi a1, a1, -1
    addi a2, a2, 1
    j 1b
2:  jr s0

# put_hex(a3 = value, a4 = digits), link t6
put_hex:
    addi a4, a4, -1
1:  slli t2, a4, 2
    srl t2, a3, t2
    andi t2, t2, 15
    li t0, 10
    blt t2, t0, 2f
    addi t2, t2, 'a' - '0' - 10
2:  addi a5, t2, '0'
    jal ra, putc
    addi a4, a4, -1
    bgez a4, 1b
    jr t6

# putc(a5), link ra: 16550 THR at 0x10000000 once LSR (offset 5) has THRE (0x20)
putc:
    li t0, 0x10000000
1:  lbu t1, 5(t0)
    andi t1, t1, 0x20
    beqz t1, 1b
    sb a5, 0(t0)
    ret
)";

// A checkpoint: logs fflags (reading and clearing them, so a missing flag is not hidden by
// one accrued earlier) and a rotate-xor hash of x1..x31 (and f0..f31 unless FS is off), so a
// wrong value that is later overwritten still shows. x1 is swapped with mscratch to reach the
// save area beside the trap handler's; t0/t1 are saved there. Only base instructions, so its
// size is 4 bytes a line (checked by the assembler).
std::vector<std::string> checkpoint_lines(const Program& p) {
  std::vector<std::string> l = {
      "csrrw x1, mscratch, x1", "sd t0, 24(x1)", "sd t1, 40(x1)", "ld t0, 48(x1)", "addi t1, t0, 1",
      "sd t1, 48(x1)", fmt::format("andi t0, t0, {}", kMaxCheckpoints - 1),  // a ring of slots
      "slli t0, t0, 4", "add t0, t0, x1",
  };
  l.push_back(p.fs != 0 ? "csrrw t1, fflags, zero" : "addi t1, zero, 0");
  l.push_back("sd t1, 64(t0)");
  l.push_back("csrr t1, mscratch");
  auto mix = [&](const std::string& reg) {
    l.push_back("xor t1, t1, " + reg);
    l.push_back("srli t0, t1, 57");
    l.push_back("slli t1, t1, 7");
    l.push_back("xor t1, t1, t0");
  };
  for (unsigned r = 2; r < 32; ++r) {
    if (r == 5 || r == 6) {
      l.push_back(fmt::format("ld t0, {}(x1)", r == 5 ? 24 : 40));
      mix("t0");
    } else {
      mix(fmt::format("x{}", r));
    }
  }
  if (p.fs != 0) {
    for (unsigned r = 0; r < 32; ++r) {
      l.push_back(fmt::format("fmv.x.d t0, f{}", r));
      mix("t0");
    }
  }
  l.push_back("ld t0, 48(x1)");
  l.push_back("addi t0, t0, -1");
  l.push_back(fmt::format("andi t0, t0, {}", kMaxCheckpoints - 1));
  l.push_back("slli t0, t0, 4");
  l.push_back("add t0, t0, x1");
  l.push_back("sd t1, 72(t0)");
  l.push_back("ld t0, 24(x1)");
  l.push_back("ld t1, 40(x1)");
  l.push_back("csrrw x1, mscratch, x1");
  return l;
}

}  // namespace

Emitted emit(const Program& p, const std::vector<bool>& keep_in) {
  const std::vector<std::string> ckpt = checkpoint_lines(p);
  const u32 ckpt_bytes = static_cast<u32>(ckpt.size() * 4);
  const size_t n = p.groups.size();
  std::vector<bool> keep = keep_in;
  if (keep.empty()) keep.assign(n, true);

  // Offsets of group starts; a removed group's target moves to the next kept group.
  std::vector<u64> start(n + 1, 0);
  u64 off = 0;
  for (size_t i = 0; i < n; ++i) {
    start[i] = off;
    if (keep[i]) {
      if (p.groups[i].checkpoint) off += ckpt_bytes;
      for (const auto& pc : p.groups[i].pieces) off += pc.len;
    }
  }
  start[n] = off;
  std::vector<u64> landing(n + 1);
  landing[n] = off;
  for (size_t i = n; i-- > 0;) landing[i] = keep[i] ? start[i] : landing[i + 1];

  Emitted e;
  std::string& s = e.assembly;
  size_t kept = 0;
  for (size_t i = 0; i < n; ++i) kept += keep[i];
  std::string excl;
  for (const auto& m : p.options.exclude) excl += (excl.empty() ? " --exclude " : ",") + m;
  s += fmt::format(
      "# lockstep random program: seed {}, {} groups ({} emitted), misaligned {}%, {} passes.\n"
      "# Regenerate: random_program --seed {} --length {} --misaligned {} --repeat {} --illegal {} --checkpoints {}{} --out FILE.S\n"
      "# Base register x{} = data area + 0x{:x} (0x{:x}); sp = data area (0x{:x}).\n",
      p.options.seed, n, kept, p.options.misaligned_percent, p.options.repeat, p.options.seed,
      p.options.length, p.options.misaligned_percent, p.options.repeat, p.options.illegal_percent,
      p.options.checkpoint_percent, excl,
      p.base_reg, kBaseOffset, kBaseAddr, kSpAddr);
  s += fmt::format("    .equ MSTATUS_DUMP_MASK, 0x{:x}\n    .equ REPEAT, {}\n    .equ MAX_CHECKPOINTS, {}\n",
                   kMstatusDumpMask, std::max<u32>(1, p.options.repeat), kMaxCheckpoints);
  s += "    .option norelax\n";
  s += kRuntimeStart;
  s += "\n    .section .text.random,\"ax\",@progbits\n    .globl random_code\nrandom_code:\n";

  for (size_t i = 0; i < n; ++i) {
    if (!keep[i]) continue;
    const Group& g = p.groups[i];
    if (g.checkpoint) {
      const u64 addr = kCodeAddr + start[i];
      s += fmt::format("ckpt_{}:  # {:x} g{} checkpoint\n", i, addr, i);
      for (const auto& line : ckpt) s += "    " + line + "\n";
      s += fmt::format("    .if . - ckpt_{} != {}\n    .error \"checkpoint size\"\n    .endif\n", i, ckpt_bytes);
      e.code.push_back(Placed{addr, 0, ckpt_bytes, static_cast<unsigned>(i), "checkpoint", true});
      continue;
    }
    std::vector<Piece> pieces = g.pieces;
    const u64 t = landing[g.target];
    u64 at = start[i];
    const i64 from_first = static_cast<i64>(t) - static_cast<i64>(start[i]);
    if (g.fixup != Fixup::None && (from_first <= 0 || from_first > reach(g.fixup))) {
      fmt::print(stderr, "random_program: internal error: g{} jumps {} bytes\n", i, from_first);
      std::abort();
    }
    switch (g.fixup) {
      case Fixup::None: break;
      case Fixup::Branch: pieces[0].raw = set_b_imm(pieces[0].raw, from_first); break;
      case Fixup::Jal: pieces[0].raw = set_j_imm(pieces[0].raw, from_first); break;
      case Fixup::AuipcJalr: pieces[1].raw = set_i_imm(pieces[1].raw, from_first); break;
      case Fixup::CBranch: pieces[0].raw = set_cb_off(pieces[0].raw, from_first); break;
      case Fixup::CJump: pieces[0].raw = set_cj_off(pieces[0].raw, from_first); break;
      case Fixup::AuipcAddiCJr: pieces[1].raw = set_i_imm(pieces[1].raw, from_first); break;
    }
    for (const auto& pc : pieces) {
      const u64 addr = kCodeAddr + at;
      if (pc.len == 4)
        s += fmt::format("    .word  0x{:08x}  # {:x} g{} {}\n", pc.raw, addr, i, pc.name);
      else
        s += fmt::format("    .hword 0x{:04x}      # {:x} g{} {}\n", pc.raw, addr, i, pc.name);
      e.code.push_back(Placed{addr, pc.raw, pc.len, static_cast<unsigned>(i), pc.name});
      at += pc.len;
    }
  }
  s += "random_end:\n";
  s += kRuntimeFinish;

  s += "\n    .section .data.state,\"aw\",@progbits\nstate:\n    .zero 2048\n";
  s += "\n    .section .data.area,\"aw\",@progbits\ndata_area:\n";
  for (unsigned w = 0; w < kDataWords; ++w) s += fmt::format("    .dword 0x{:016x}\n", p.data[w]);
  s += "\n    .section .data.init,\"aw\",@progbits\n    .balign 8\ninit_x:\n    .dword 0\n";
  for (unsigned i = 1; i < 32; ++i) {
    if (i == p.base_reg)
      s += fmt::format("    .dword data_area + 0x{:x}  # x{} (base)\n", kBaseOffset, i);
    else if (i == 2)
      s += "    .dword data_area  # x2 (sp)\n";
    else
      s += fmt::format("    .dword 0x{:016x}  # x{}\n", p.x[i], i);
  }
  s += "init_f:\n";
  for (unsigned i = 0; i < 32; ++i) s += fmt::format("    .dword 0x{:016x}  # f{}\n", p.f[i], i);
  s += fmt::format("init_fcsr:\n    .word 0x{:x}  # frm {} fflags 0x{:x}\n", p.fcsr, p.fcsr >> 5,
                   p.fcsr & 0x1F);
  static constexpr const char* kFs[4] = {"off", "initial", "clean", "dirty"};
  s += fmt::format("    .word 0x{:x}  # mstatus.FS = {}\n", p.fs << 13, kFs[p.fs & 3]);
  // trap_save: handler t0..t2 (0..23), saved t0 (24), pass counter (32), saved t1 (40),
  // checkpoints taken (48), then the checkpoint log (64..).
  s += fmt::format("    .balign 8\ntrap_save:\n    .zero {}\n", 64 + 16 * kMaxCheckpoints);
  return e;
}

}  // namespace lockstep::tests::random
