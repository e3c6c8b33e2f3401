#include "replay/gdb/memory_access.h"

#include "core/semantics/all.h"

namespace lockstep::replay::gdb {
namespace {

namespace sem = core::sem;

enum Dir : unsigned char { kRead = 1, kWrite = 2, kAmo = 3, kCond = 6 };

struct Row {
  core::SemFn fn;
  unsigned char size;
  Dir dir;
};

// Every semantics function that accesses memory as an instruction, its width and direction.
// Compressed loads and stores decode to the same functions (c.lwsp is sem::lw with rs1 = sp).
constexpr Row kRows[] = {
    {&sem::lb, 1, kRead},       {&sem::lbu, 1, kRead},      {&sem::lh, 2, kRead},       {&sem::lhu, 2, kRead},
    {&sem::lw, 4, kRead},       {&sem::lwu, 4, kRead},      {&sem::ld, 8, kRead},       {&sem::flw, 4, kRead},
    {&sem::fld, 8, kRead},      {&sem::sb, 1, kWrite},      {&sem::sh, 2, kWrite},      {&sem::sw, 4, kWrite},
    {&sem::sd, 8, kWrite},      {&sem::fsw, 4, kWrite},     {&sem::fsd, 8, kWrite},     {&sem::lr_w, 4, kRead},
    {&sem::lr_d, 8, kRead},     {&sem::sc_w, 4, kCond},     {&sem::sc_d, 8, kCond},     {&sem::amoswap_w, 4, kAmo},
    {&sem::amoswap_d, 8, kAmo}, {&sem::amoadd_w, 4, kAmo},  {&sem::amoadd_d, 8, kAmo},  {&sem::amoand_w, 4, kAmo},
    {&sem::amoand_d, 8, kAmo},  {&sem::amoor_w, 4, kAmo},   {&sem::amoor_d, 8, kAmo},   {&sem::amoxor_w, 4, kAmo},
    {&sem::amoxor_d, 8, kAmo},  {&sem::amomax_w, 4, kAmo},  {&sem::amomax_d, 8, kAmo},  {&sem::amomaxu_w, 4, kAmo},
    {&sem::amomaxu_d, 8, kAmo}, {&sem::amomin_w, 4, kAmo},  {&sem::amomin_d, 8, kAmo},  {&sem::amominu_w, 4, kAmo},
    {&sem::amominu_d, 8, kAmo},
};

const Row* find(core::SemFn fn) {
  for (const Row& r : kRows)
    if (r.fn == fn) return &r;
  return nullptr;
}

}  // namespace

std::optional<MemoryAccess> memory_access(const core::Hart& h, const core::Insn& i) {
  const Row* r = find(i.fn);
  if (!r) return std::nullopt;
  MemoryAccess a;
  a.address = h.x[i.rs1] + static_cast<std::uint64_t>(i.imm);  // AMOs have imm 0
  a.size = r->size;
  a.reads = (r->dir & kRead) != 0;
  a.writes = (r->dir & kWrite) != 0;
  a.conditional = r->dir == kCond;
  return a;
}

bool classifies(core::SemFn fn) { return find(fn) != nullptr; }

}  // namespace lockstep::replay::gdb
