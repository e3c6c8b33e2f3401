#include "replay/gdb/guest_memory.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/address_space.h"
#include "core/csr_bits.h"
#include "core/mmu.h"

namespace lockstep::replay::gdb {
namespace {

namespace csr = core::csr;
using core::u64;

// PTE bits (privileged spec 4.3.1); the walk mirrors core/mmu.cpp's translate() without its
// permission checks and A/D writes.
constexpr u64 kPteV = 1, kPteR = 2, kPteW = 4, kPteX = 8;
constexpr u64 kPtePpnMask = ((u64{1} << 44) - 1) << 10;

// One contiguous piece of a guest access: host memory for [addr, addr + len), within one page.
struct Piece {
  std::uint8_t* host;
  std::size_t len;
};

std::optional<Piece> piece_at(core::Hart& h, u64 addr, std::size_t want, bool physical) {
  std::optional<u64> pa = physical ? std::optional<u64>(addr) : debug_translate(h, addr);
  if (!pa) return std::nullopt;
  const std::size_t in_page = core::kPageSize - (addr & (core::kPageSize - 1));
  std::size_t len = std::min(want, in_page);
  core::RamBlock* b = h.bus->find_ram(*pa, 1);
  if (!b) return std::nullopt;
  len = static_cast<std::size_t>(std::min<u64>(len, b->size - (*pa - b->base)));
  return Piece{b->host + (*pa - b->base), len};
}

}  // namespace

std::optional<u64> debug_translate(const core::Hart& h, u64 va, bool fetch) {
  const core::Priv priv = fetch ? h.priv : core::effective_data_priv(h);
  const u64 mode = h.csr.satp >> csr::kSatpModeShift;
  if (priv == core::Priv::M || mode == csr::kSatpModeBare) return va;
  if (mode != csr::kSatpModeSv39 && mode != csr::kSatpModeSv48) return std::nullopt;
  const unsigned levels = mode == csr::kSatpModeSv48 ? 4 : 3;
  const unsigned va_bits = 12 + 9 * levels;
  if (static_cast<u64>(static_cast<std::int64_t>(va << (64 - va_bits)) >> (64 - va_bits)) != va) return std::nullopt;
  u64 table = (h.csr.satp & csr::kSatpPpnMask) << core::kPageBits;
  for (int level = static_cast<int>(levels) - 1; level >= 0; --level) {
    const u64 pte_addr = table + ((va >> (core::kPageBits + 9 * level)) & 0x1ff) * 8;
    u64 pte = 0;
    if (!h.bus->dma_read(pte_addr, &pte, 8)) return std::nullopt;
    if (!(pte & kPteV) || (!(pte & kPteR) && (pte & kPteW))) return std::nullopt;
    const u64 ppn = (pte & kPtePpnMask) >> 10;
    if (!(pte & (kPteR | kPteX))) {
      table = ppn << core::kPageBits;
      continue;
    }
    if (ppn & ((u64{1} << (9 * level)) - 1)) return std::nullopt;  // misaligned superpage
    const u64 offset_mask = (u64{1} << (core::kPageBits + 9 * level)) - 1;
    return ((ppn << core::kPageBits) & ~offset_mask) | (va & offset_mask);
  }
  return std::nullopt;
}

Result<std::vector<std::uint8_t>> read_guest(core::Hart& h, u64 addr, std::size_t len, bool physical) {
  std::vector<std::uint8_t> out;
  out.reserve(len);
  while (out.size() < len) {
    auto p = piece_at(h, addr + out.size(), len - out.size(), physical);
    if (!p) break;
    out.insert(out.end(), p->host, p->host + p->len);
  }
  if (out.empty() && len > 0)
    return Error{fmt::format("cannot read {} address 0x{:x} (not RAM or not mapped)", physical ? "physical" : "virtual", addr)};
  return out;
}

Status write_guest(core::Hart& h, u64 addr, std::span<const std::uint8_t> bytes, bool physical) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const u64 at = addr + done;
    std::optional<u64> pa = physical ? std::optional<u64>(at) : debug_translate(h, at);
    auto p = piece_at(h, at, bytes.size() - done, physical);
    // dma_write marks the page dirty and drops decoded code it overwrites (ROM refuses).
    if (!pa || !p || !h.bus->dma_write(*pa, bytes.data() + done, p->len))
      return Error{fmt::format("cannot write {} address 0x{:x} (not RAM, ROM or not mapped)",
                               physical ? "physical" : "virtual", at)};
    done += p->len;
  }
  return Ok{};
}

}  // namespace lockstep::replay::gdb
