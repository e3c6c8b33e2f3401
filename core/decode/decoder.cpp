#include <algorithm>
#include <bit>
#include <vector>

#include "core/decode/table.h"

namespace lockstep::core::decode {
namespace {

constexpr u32 bits(u32 v, unsigned hi, unsigned lo) { return (v >> lo) & ((1u << (hi - lo + 1)) - 1); }
constexpr i64 sext(u64 v, unsigned width) {
  const unsigned shift = 64 - width;
  return static_cast<i64>(v << shift) >> shift;
}
constexpr u8 creg(u32 field) { return static_cast<u8>(field + 8); }  // rd', rs1', rs2'

Flow illegal_insn(Hart& h, const Insn& i) { return illegal_encoding(h, i); }

// The table in one order, and per-opcode candidate lists sorted most-specific first,
// so that overlapping rows (c.jr before c.mv, c.ebreak before c.jalr) resolve as the spec intends.
struct Index {
  std::vector<InsnRow> rows;
  std::vector<u16> by_opcode[32];  // 32-bit rows by bits 6:2
  std::vector<u16> compressed[3];  // 16-bit rows by quadrant

  Index() {
    for (auto part : {rows_i(), rows_m(), rows_a(), rows_fd(), rows_system(), rows_c()}) {
      rows.insert(rows.end(), part.begin(), part.end());
    }
    for (u16 k = 0; k < rows.size(); ++k) {
      const InsnRow& r = rows[k];
      if (r.ext == Ext::C) {
        compressed[r.match & 3].push_back(k);
      } else {
        by_opcode[(r.match >> 2) & 31].push_back(k);
      }
    }
    auto specific_first = [this](u16 a, u16 b) { return std::popcount(rows[a].mask) > std::popcount(rows[b].mask); };
    for (auto& v : by_opcode) std::stable_sort(v.begin(), v.end(), specific_first);
    for (auto& v : compressed) std::stable_sort(v.begin(), v.end(), specific_first);
  }
};

const Index& index() {
  static const Index kIndex;
  return kIndex;
}

void extract32(const InsnRow& r, u32 raw, Insn& i) {
  i.rd = static_cast<u8>(bits(raw, 11, 7));
  i.rs1 = static_cast<u8>(bits(raw, 19, 15));
  i.rs2 = static_cast<u8>(bits(raw, 24, 20));
  i.rs3 = static_cast<u8>(bits(raw, 31, 27));
  i.rm = static_cast<u8>(bits(raw, 14, 12));
  switch (r.format) {
    case Format::I: i.imm = sext(raw >> 20, 12); break;
    case Format::IShift: i.imm = bits(raw, 25, 20); break;
    case Format::IShiftW: i.imm = bits(raw, 24, 20); break;
    case Format::S: i.imm = sext((bits(raw, 31, 25) << 5) | bits(raw, 11, 7), 12); break;
    case Format::B:
      i.imm = sext((bits(raw, 31, 31) << 12) | (bits(raw, 7, 7) << 11) | (bits(raw, 30, 25) << 5) |
                       (bits(raw, 11, 8) << 1), 13);
      break;
    case Format::U: i.imm = sext(raw & 0xfffff000u, 32); break;
    case Format::J:
      i.imm = sext((bits(raw, 31, 31) << 20) | (bits(raw, 19, 12) << 12) | (bits(raw, 20, 20) << 11) |
                       (bits(raw, 30, 21) << 1), 21);
      break;
    case Format::Csr:
    case Format::CsrI:
    case Format::Fence: i.imm = raw >> 20; break;
    case Format::Amo:
    case Format::Lr: i.rm = static_cast<u8>(bits(raw, 26, 25)); break;
    default: break;
  }
}

// Returns false when the encoding is reserved.
bool extract16(const InsnRow& r, u32 raw, Insn& i) {
  const u8 r_full = static_cast<u8>(bits(raw, 11, 7));
  const u8 rs2_full = static_cast<u8>(bits(raw, 6, 2));
  const u8 r_low = creg(bits(raw, 4, 2));
  const u8 r_high = creg(bits(raw, 9, 7));
  i.rs2 = 0;
  switch (r.format) {
    case Format::CR: i.rd = r_full; i.rs1 = r_full; i.rs2 = rs2_full; break;
    case Format::CI:
      i.rd = i.rs1 = r_full;
      i.imm = sext((bits(raw, 12, 12) << 5) | bits(raw, 6, 2), 6);
      break;
    case Format::CIShift:
      i.rd = i.rs1 = r_full;
      i.imm = (bits(raw, 12, 12) << 5) | bits(raw, 6, 2);
      break;
    case Format::CILui:
      i.rd = r_full;
      i.imm = sext((bits(raw, 12, 12) << 17) | (bits(raw, 6, 2) << 12), 18);
      break;
    case Format::CIAddi16sp:
      i.imm = sext((bits(raw, 12, 12) << 9) | (bits(raw, 4, 3) << 7) | (bits(raw, 5, 5) << 6) |
                       (bits(raw, 2, 2) << 5) | (bits(raw, 6, 6) << 4), 10);
      break;
    case Format::CILwsp:
      i.rd = r_full;
      i.imm = (bits(raw, 3, 2) << 6) | (bits(raw, 12, 12) << 5) | (bits(raw, 6, 4) << 2);
      break;
    case Format::CILdsp:
      i.rd = r_full;
      i.imm = (bits(raw, 4, 2) << 6) | (bits(raw, 12, 12) << 5) | (bits(raw, 6, 5) << 3);
      break;
    case Format::CSSSwsp:
      i.rs2 = rs2_full;
      i.imm = (bits(raw, 8, 7) << 6) | (bits(raw, 12, 9) << 2);
      break;
    case Format::CSSSdsp:
      i.rs2 = rs2_full;
      i.imm = (bits(raw, 9, 7) << 6) | (bits(raw, 12, 10) << 3);
      break;
    case Format::CIWAddi4spn:
      i.rd = r_low;
      i.imm = (bits(raw, 10, 7) << 6) | (bits(raw, 12, 11) << 4) | (bits(raw, 5, 5) << 3) |
              (bits(raw, 6, 6) << 2);
      break;
    case Format::CLw:
    case Format::CSw:
      i.rd = r_low;
      i.rs2 = r_low;
      i.rs1 = r_high;
      i.imm = (bits(raw, 5, 5) << 6) | (bits(raw, 12, 10) << 3) | (bits(raw, 6, 6) << 2);
      break;
    case Format::CLd:
    case Format::CSd:
      i.rd = r_low;
      i.rs2 = r_low;
      i.rs1 = r_high;
      i.imm = (bits(raw, 6, 5) << 6) | (bits(raw, 12, 10) << 3);
      break;
    case Format::CA: i.rd = i.rs1 = r_high; i.rs2 = r_low; break;
    case Format::CBShift:
      i.rd = i.rs1 = r_high;
      i.imm = (bits(raw, 12, 12) << 5) | bits(raw, 6, 2);
      break;
    case Format::CBAndi:
      i.rd = i.rs1 = r_high;
      i.imm = sext((bits(raw, 12, 12) << 5) | bits(raw, 6, 2), 6);
      break;
    case Format::CBBranch:
      i.rs1 = r_high;
      i.imm = sext((bits(raw, 12, 12) << 8) | (bits(raw, 6, 5) << 6) | (bits(raw, 2, 2) << 5) |
                       (bits(raw, 11, 10) << 3) | (bits(raw, 4, 3) << 1), 9);
      break;
    case Format::CJ:
      i.imm = sext((bits(raw, 12, 12) << 11) | (bits(raw, 8, 8) << 10) | (bits(raw, 10, 9) << 8) |
                       (bits(raw, 6, 6) << 7) | (bits(raw, 7, 7) << 6) | (bits(raw, 2, 2) << 5) |
                       (bits(raw, 11, 11) << 4) | (bits(raw, 5, 3) << 1), 12);
      break;
    default: break;
  }
  if (r.fixed_rd != 0xff) i.rd = r.fixed_rd;
  if (r.fixed_rs1 != 0xff) i.rs1 = r.fixed_rs1;
  if ((r.constraints & kRdNonZero) && i.rd == 0) return false;
  if ((r.constraints & kRs1NonZero) && i.rs1 == 0) return false;
  if ((r.constraints & kImmNonZero) && i.imm == 0) return false;
  return true;
}

bool set_illegal(u32 raw, u8 len, Insn& out) {
  out = Insn{};
  out.fn = illegal_insn;
  out.raw = raw;
  out.len = len;
  out.row = 0xffff;
  return false;
}

}  // namespace

std::span<const InsnRow> all_rows() { return index().rows; }
const InsnRow& row(u16 k) { return index().rows[k]; }

bool decode32(u32 raw, Insn& out) {
  const Index& ix = index();
  for (u16 k : ix.by_opcode[(raw >> 2) & 31]) {
    const InsnRow& r = ix.rows[k];
    if ((raw & r.mask) != r.match) continue;
    out = Insn{};
    out.fn = r.fn;
    out.raw = raw;
    out.len = 4;
    out.row = k;
    extract32(r, raw, out);
    return true;
  }
  return set_illegal(raw, 4, out);
}

bool decode16(u16 raw, Insn& out) {
  const Index& ix = index();
  if ((raw & 3) == 3) return set_illegal(raw, 2, out);
  for (u16 k : ix.compressed[raw & 3]) {
    const InsnRow& r = ix.rows[k];
    if ((raw & r.mask) != r.match) continue;
    out = Insn{};
    out.fn = r.fn;
    out.raw = raw;
    out.len = 2;
    out.row = k;
    if (!extract16(r, raw, out)) return set_illegal(raw, 2, out);
    return true;
  }
  return set_illegal(raw, 2, out);
}

}  // namespace lockstep::core::decode

#include "core/semantics/rv_i.h"
#include "core/semantics/rv_system.h"

namespace lockstep::core::decode {

bool ends_block(const InsnRow& r) {
  switch (r.format) {
    case Format::B:
    case Format::J:
    case Format::CJ:
    case Format::CBBranch:
    case Format::None:
    case Format::Csr:
    case Format::CsrI:
    case Format::SfenceVma:
      return true;
    default:
      return r.fn == sem::jalr || r.fn == sem::fence_i;
  }
}

}  // namespace lockstep::core::decode
