// The decode table as data: well-formed rows, and no overlap between rows except the ones listed
// here (after Spike's riscv/overlap_list.h and check-opcode-overlap.t.cc).
#include <array>
#include <bit>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include <doctest/doctest.h>

#include "core/decode/table.h"
#include "reference.h"

using namespace lockstep::core;
using namespace lockstep::core::decode;
using lockstep::tests::decode::hex;

namespace {

// Two rows share an encoding iff their fixed bits agree wherever both masks fix them.
bool overlap(const InsnRow& a, const InsnRow& b) { return (a.mask & b.mask & (a.match ^ b.match)) == 0; }

// Intended overlaps among the compressed rows: {more specific, more general}. The decoder tries
// rows with more mask bits first, so the specific row wins wherever both match. Its reserved
// sub-encodings (c.jr x0, c.addi16sp 0) are then illegal, not the general row.
constexpr std::pair<std::string_view, std::string_view> kCompressedOverlaps[] = {
    {"c.jr", "c.mv"},          // c.mv with rs2=x0 is c.jr
    {"c.jalr", "c.add"},       // c.add with rs2=x0 is c.jalr
    {"c.ebreak", "c.add"},     // c.add with rd=rs2=x0 is c.ebreak
    {"c.ebreak", "c.jalr"},    // c.jalr with rs1=x0 is c.ebreak
    {"c.addi16sp", "c.lui"},   // c.lui with rd=x2 is c.addi16sp
};
// Intended overlaps among the 32-bit rows: none in RV64GC (Spike lists some for other extensions).
constexpr std::array<std::pair<std::string_view, std::string_view>, 0> kOverlaps32 = {};

bool declared(std::string_view a, std::string_view b, bool compressed) {
  if (compressed) {
    for (auto [s, g] : kCompressedOverlaps) {
      if ((s == a && g == b) || (s == b && g == a)) return true;
    }
    return false;
  }
  for (auto [s, g] : kOverlaps32) {
    if ((s == a && g == b) || (s == b && g == a)) return true;
  }
  return false;
}

const InsnRow* find_row(std::string_view m) {
  for (const InsnRow& r : all_rows()) {
    if (r.mnemonic == m) return &r;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("decode table: every row is well formed") {
  const auto rows = all_rows();
  REQUIRE(rows.size() > 100);
  std::set<std::string_view> names;
  bool seen_compressed = false;
  for (size_t k = 0; k < rows.size(); ++k) {
    const InsnRow& r = rows[k];
    CAPTURE(r.mnemonic);
    CHECK(names.insert(r.mnemonic).second);  // mnemonics are unique
    CHECK(&row(static_cast<u16>(k)) == &r);
    CHECK((r.fn != nullptr));
    CHECK((r.match & ~r.mask) == 0);  // a match bit outside the mask could never match
    if (r.ext == Ext::C) {
      seen_compressed = true;
      CHECK(r.mask <= 0xffff);
      CHECK((r.mask & 0xe003) == 0xe003);  // quadrant and funct3 are always fixed
      CHECK((r.match & 3) != 3);
    } else {
      CHECK(!seen_compressed);  // 32-bit rows, then compressed
      CHECK((r.mask & 0x7f) == 0x7f);  // the opcode is always fixed
      CHECK((r.match & 3) == 3);
      CHECK(((r.match >> 2) & 7) != 7);  // bits 4:2 = 111 are longer encodings
      CHECK(r.fixed_rd == 0xff);
      CHECK(r.fixed_rs1 == 0xff);
      CHECK(r.constraints == kNone);
    }
  }
}

TEST_CASE("decode table: no undeclared overlap between 32-bit rows") {
  const auto rows = all_rows();
  std::set<std::pair<std::string_view, std::string_view>> found;
  for (size_t a = 0; a < rows.size(); ++a) {
    if (rows[a].ext == Ext::C) continue;
    for (size_t b = a + 1; b < rows.size(); ++b) {
      if (rows[b].ext == Ext::C || !overlap(rows[a], rows[b])) continue;
      found.emplace(rows[a].mnemonic, rows[b].mnemonic);
      CAPTURE(rows[a].mnemonic);
      CAPTURE(rows[b].mnemonic);
      CAPTURE(hex(rows[a].match | rows[b].match, 4));  // an encoding both rows match
      CHECK(declared(rows[a].mnemonic, rows[b].mnemonic, false));
    }
  }
  for (auto [s, g] : kOverlaps32) {
    CAPTURE(s);
    CHECK(found.count({s, g}) + found.count({g, s}) == 1);  // a declared overlap that no longer overlaps is stale
  }
}

TEST_CASE("decode table: compressed rows overlap only where declared, specific inside general") {
  const auto rows = all_rows();
  std::set<std::pair<std::string_view, std::string_view>> found;
  for (size_t a = 0; a < rows.size(); ++a) {
    if (rows[a].ext != Ext::C) continue;
    for (size_t b = a + 1; b < rows.size(); ++b) {
      if (rows[b].ext != Ext::C || !overlap(rows[a], rows[b])) continue;
      found.emplace(rows[a].mnemonic, rows[b].mnemonic);
      found.emplace(rows[b].mnemonic, rows[a].mnemonic);
      CAPTURE(rows[a].mnemonic);
      CAPTURE(rows[b].mnemonic);
      CAPTURE(hex(rows[a].match | rows[b].match, 2));
      CHECK(declared(rows[a].mnemonic, rows[b].mnemonic, true));
    }
  }
  for (auto [s, g] : kCompressedOverlaps) {
    CAPTURE(s);
    CAPTURE(g);
    CHECK(found.count({s, g}) == 1);  // still overlaps
    const InsnRow* specific = find_row(s);
    const InsnRow* general = find_row(g);
    REQUIRE(specific);
    REQUIRE(general);
    // Every encoding of the specific row is one of the general row's: most-specific-first is exact.
    CHECK((specific->mask & general->mask) == general->mask);
    CHECK((specific->match & general->mask) == general->match);
    CHECK(std::popcount(specific->mask) > std::popcount(general->mask));
  }
}

TEST_CASE("decode16: overlapping encodings resolve to the specific row or are reserved") {
  struct Case {
    u16 raw;
    const char* row;  // nullptr: illegal
    const char* text;
  };
  constexpr Case kCases[] = {
      {0x8082, "c.jr", "c.jr x1 (not c.mv x1,x0)"},
      {0x8002, nullptr, "c.jr x0 is reserved (not c.mv x0,x0)"},
      {0x8086, "c.mv", "c.mv x1,x1"},
      {0x9082, "c.jalr", "c.jalr x1 (not c.add x1,x0)"},
      {0x9086, "c.add", "c.add x1,x1"},
      {0x9002, "c.ebreak", "c.ebreak (not c.jalr x0 / c.add x0,x0)"},
      {0x6105, "c.addi16sp", "c.addi16sp x2,32 (not c.lui x2,1)"},
      {0x6101, nullptr, "c.addi16sp 0 is reserved (not c.lui x2,0)"},
      {0x6185, "c.lui", "c.lui x3,1"},
  };
  for (const Case& c : kCases) {
    CAPTURE(c.text);
    Insn i;
    const bool legal = decode16(c.raw, i);
    if (c.row) {
      REQUIRE(legal);
      CHECK(row(i.row).mnemonic == c.row);
    } else {
      CHECK(!legal);
    }
  }
}

TEST_CASE("decode table: ends_block marks control flow and system instructions") {
  // Must end a block: the instruction can redirect control or change state later instructions
  // depend on (table.h). Must not: straight-line computation and memory access.
  const std::set<std::string_view> kEnds = {
      "jal",    "jalr",   "beq",    "bne",    "blt",      "bge",     "bltu",    "bgeu",   "ecall",
      "ebreak", "sret",   "mret",   "wfi",    "sfence.vma", "csrrw", "csrrs",   "csrrc",  "csrrwi",
      "csrrsi", "csrrci", "fence.i", "c.j",   "c.jr",     "c.jalr",  "c.beqz",  "c.bnez", "c.ebreak"};
  for (const InsnRow& r : all_rows()) {
    CAPTURE(r.mnemonic);
    if (kEnds.count(r.mnemonic)) {
      CHECK(ends_block(r));
    } else if (r.mnemonic != "fence") {  // a plain fence may go either way
      CHECK(!ends_block(r));
    }
  }
}
