#include "devices/plic.h"

#include <type_traits>

#include "core/csr_bits.h"

namespace lockstep::devices {
namespace {

static_assert(std::has_unique_object_representations_v<Plic::State>, "State must have no padding");

bool in_range(u64 offset, u64 base, u64 len) { return offset >= base && offset - base < len; }

// QEMU: priorities/thresholds are WARL when num_priorities + 1 is a power of two (it is: 8).
static_assert(((Plic::kNumPriorities + 1) & Plic::kNumPriorities) == 0);
u32 warl_priority(u64 value) { return static_cast<u32>(value % (Plic::kNumPriorities + 1)); }

// Where an offset lands.
enum class Reg { None, Priority, Priority96, Pending, Enable, Threshold, Claim };
struct Decoded {
  Reg reg = Reg::None;
  unsigned index = 0;  // source, pending word, enable word index, or context
};

Decoded decode(u64 offset, unsigned num_addrs) {
  // QEMU's priority range is num_sources << 2 bytes from priority_base (4): sources 1..96.
  if (in_range(offset, Plic::kPriorityBase, Plic::kNumSources * 4)) {
    const unsigned source = static_cast<unsigned>((offset - Plic::kPriorityBase) / 4) + 1;
    return source < Plic::kNumSources ? Decoded{Reg::Priority, source} : Decoded{Reg::Priority96, source};
  }
  // QEMU's pending range is (num_sources + 31) >> 3 bytes: words 0..3 for 96 sources.
  if (in_range(offset, Plic::kPendingBase, (Plic::kNumSources + 31) >> 3)) {
    return Decoded{Reg::Pending, static_cast<unsigned>((offset - Plic::kPendingBase) / 4)};
  }
  if (in_range(offset, Plic::kEnableBase, num_addrs * Plic::kEnableStride)) {
    const unsigned context = static_cast<unsigned>((offset - Plic::kEnableBase) / Plic::kEnableStride);
    const unsigned word = static_cast<unsigned>((offset & (Plic::kEnableStride - 1)) / 4);
    if (word < Plic::kWords) return Decoded{Reg::Enable, context * Plic::kWords + word};
    return Decoded{};
  }
  if (in_range(offset, Plic::kContextBase, num_addrs * Plic::kContextStride)) {
    const unsigned context = static_cast<unsigned>((offset - Plic::kContextBase) / Plic::kContextStride);
    const u64 reg = offset & (Plic::kContextStride - 1);
    if (reg == 0) return Decoded{Reg::Threshold, context};
    if (reg == 4) return Decoded{Reg::Claim, context};
  }
  return Decoded{};
}

bool valid_access(u64 offset, unsigned size) {
  return size == 4 && (offset & 3) == 0 && offset < Plic::kApertureSize;
}

void set_mip(core::Hart& h, u64 bit, bool level) {
  if (level) {
    h.csr.mip |= bit;
  } else {
    h.csr.mip &= ~bit;
  }
}

}  // namespace

Plic::Plic(std::vector<core::Hart*> harts) : harts_(std::move(harts)) {
  if (harts_.size() > kMaxHarts) harts_.resize(kMaxHarts);
  state_.num_addrs = static_cast<u32>(2 * harts_.size());
  state_.num_enables = state_.num_addrs * kWords;
}

void Plic::reset() {
  const u32 num_addrs = state_.num_addrs;
  const u32 num_enables = state_.num_enables;
  state_ = State{};
  state_.num_addrs = num_addrs;
  state_.num_enables = num_enables;
  for (core::Hart* h : harts_) {
    set_mip(*h, core::csr::kMEIP, false);
    set_mip(*h, core::csr::kSEIP, false);
  }
}

u32 Plic::best_claim(unsigned context) const {
  u32 best = 0;
  u32 best_priority = state_.target_priority[context];
  for (unsigned w = 0; w < kWords; ++w) {
    const u32 eligible = state_.pending[w] & ~state_.claimed[w] & state_.enable[context * kWords + w];
    if (!eligible) continue;
    for (unsigned b = 0; b < 32; ++b) {
      const unsigned source = w * 32 + b;
      if ((eligible >> b) & 1 && state_.source_priority[source] > best_priority) {
        best = source;
        best_priority = state_.source_priority[source];
      }
    }
  }
  return best;
}

u32 Plic::peek_claim(unsigned context) const { return context < state_.num_addrs ? best_claim(context) : 0; }

void Plic::update_irq() {
  for (unsigned context = 0; context < state_.num_addrs; ++context) {
    core::Hart& h = *harts_[context / 2];
    set_mip(h, (context & 1) ? core::csr::kSEIP : core::csr::kMEIP, best_claim(context) != 0);
  }
}

void Plic::set_irq(unsigned irq, bool level) {
  if (irq >= kNumSources || !level) return;  // QEMU 7.2: a low level changes nothing
  state_.pending[irq / 32] |= u32{1} << (irq % 32);
  update_irq();
}

bool Plic::peek(u64 offset, unsigned size, u64& value) const {
  if (!valid_access(offset, size)) return false;
  const Decoded d = decode(offset, state_.num_addrs);
  switch (d.reg) {
    case Reg::Priority: value = state_.source_priority[d.index]; break;
    case Reg::Priority96: value = state_.source96_priority; break;
    case Reg::Pending: value = d.index < kWords ? state_.pending[d.index] : 0; break;
    case Reg::Enable: value = state_.enable[d.index]; break;
    case Reg::Threshold: value = state_.target_priority[d.index]; break;
    case Reg::Claim: value = best_claim(d.index); break;
    case Reg::None: value = 0; break;
  }
  return true;
}

bool Plic::read(u64 offset, unsigned size, u64& value) {
  if (!peek(offset, size, value)) return false;
  const Decoded d = decode(offset, state_.num_addrs);
  if (d.reg == Reg::Claim) {
    // QEMU's claim: the winner stops being pending and becomes claimed; outputs re-evaluated
    // whether or not anything was claimed.
    const u32 source = static_cast<u32>(value);
    if (source != 0) {
      state_.pending[source / 32] &= ~(u32{1} << (source % 32));
      state_.claimed[source / 32] |= u32{1} << (source % 32);
    }
    update_irq();
  }
  return true;
}

bool Plic::write(u64 offset, unsigned size, u64 value) {
  if (!valid_access(offset, size)) return false;
  const Decoded d = decode(offset, state_.num_addrs);
  const u32 v = static_cast<u32>(value);
  switch (d.reg) {
    case Reg::Priority:
      state_.source_priority[d.index] = warl_priority(v);
      update_irq();
      break;
    case Reg::Priority96:
      state_.source96_priority = warl_priority(v);
      update_irq();
      break;
    case Reg::Pending: break;  // read-only
    case Reg::Enable: state_.enable[d.index] = v; break;  // no update: QEMU's quirk, kept
    case Reg::Threshold:
      state_.target_priority[d.index] = warl_priority(v);
      update_irq();
      break;
    case Reg::Claim:  // complete
      if (v < kNumSources) {
        state_.claimed[v / 32] &= ~(u32{1} << (v % 32));
        update_irq();
      }
      break;
    case Reg::None: break;
  }
  return true;
}

}  // namespace lockstep::devices
