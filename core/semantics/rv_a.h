#pragma once
#include "core/semantics/rv_i.h"
#include "core/triggers.h"

// RV64A. The reservation follows QEMU: LR remembers the virtual address and the loaded value;
// SC succeeds when its address matches and memory still holds that value (compare-and-swap).
// Misaligned LR/SC/AMO raise load-address-misaligned and AMOs outside RAM a load access
// fault: that is what QEMU 7.2 does (measured, docs/qemu-icount.md), not the spec's store/AMO causes.
namespace lockstep::core {
// Reads for a read-modify-write: translated as a store (write permission, D bit).
bool amo_load(Hart& h, u64 va, unsigned size, u64& out);
}  // namespace lockstep::core

namespace lockstep::core::sem {

template <typename T>
inline Flow lr(Hart& h, const Insn& i) {
  const u64 va = h.x[i.rs1];
  if (va & (sizeof(T) - 1)) return raise(h, Exc::LoadMisaligned, va);
  T v;
  if (!load<T>(h, va, v)) return Flow::Trap;
  const u64 value = static_cast<u64>(static_cast<i64>(v));
  h.reservation = Reservation{va, value, true};
  h.set_x(i.rd, value);
  return after_access(h, i);
}

template <typename T>
inline Flow sc(Hart& h, const Insn& i) {
  const u64 va = h.x[i.rs1];
  const Reservation r = h.reservation;
  h.reservation.valid = false;
  if (!r.valid || r.vaddr != va) {
    h.set_x(i.rd, 1);
    return Flow::Next;
  }
  if (va & (sizeof(T) - 1)) return raise(h, Exc::LoadMisaligned, va);
  // QEMU's SC is a compare-and-swap of the access width against LR's value, and rd is whether
  // the old memory value, sign-extended, differs from LR's full value: an lr.d/sc.w pair can
  // store and still report failure (measured on QEMU 7.2).
  u64 current;
  if (!amo_load(h, va, sizeof(T), current)) return Flow::Trap;
  const T old = static_cast<T>(current);
  if (old == static_cast<T>(r.value)) {
    if (!store<T>(h, va, static_cast<T>(h.x[i.rs2]))) return Flow::Trap;
  } else if (__builtin_expect(h.triggers_armed & kArmedWatch, 0) && store_trigger_fires(h, va, sizeof(T))) {
    return Flow::Trap;  // QEMU's compare-and-swap stores the old value back: its store is checked
  }
  h.set_x(i.rd, static_cast<u64>(static_cast<i64>(static_cast<std::make_signed_t<T>>(old))) != r.value ? 1 : 0);
  return after_access(h, i);
}

template <typename T, typename Op>
inline Flow amo(Hart& h, const Insn& i, Op op) {
  using S = std::make_signed_t<T>;
  const u64 va = h.x[i.rs1];
  if (va & (sizeof(T) - 1)) return raise(h, Exc::LoadMisaligned, va);
  u64 raw;
  if (!amo_load(h, va, sizeof(T), raw)) return Flow::Trap;
  const T old = static_cast<T>(raw);
  const T src = static_cast<T>(h.x[i.rs2]);
  if (!store<T>(h, va, op(old, src))) return Flow::Trap;
  h.set_x(i.rd, static_cast<u64>(static_cast<i64>(static_cast<S>(old))));
  return after_access(h, i);
}

#define LOCKSTEP_AMO(name, Type, expr)                                                   \
  inline Flow name(Hart& h, const Insn& i) {                                              \
    using T = Type;                                                                       \
    using S = std::make_signed_t<T>;                                                      \
    return amo<T>(h, i, []([[maybe_unused]] T a, T b) -> T { (void)sizeof(S); return expr; }); \
  }
#define LOCKSTEP_AMO_BOTH(base, expr) \
  LOCKSTEP_AMO(base##_w, u32, expr)   \
  LOCKSTEP_AMO(base##_d, u64, expr)

LOCKSTEP_AMO_BOTH(amoswap, b)
LOCKSTEP_AMO_BOTH(amoadd, T(a + b))
LOCKSTEP_AMO_BOTH(amoxor, T(a ^ b))
LOCKSTEP_AMO_BOTH(amoand, T(a & b))
LOCKSTEP_AMO_BOTH(amoor, T(a | b))
LOCKSTEP_AMO_BOTH(amomin, S(a) < S(b) ? a : b)
LOCKSTEP_AMO_BOTH(amomax, S(a) > S(b) ? a : b)
LOCKSTEP_AMO_BOTH(amominu, a < b ? a : b)
LOCKSTEP_AMO_BOTH(amomaxu, a > b ? a : b)

inline Flow lr_w(Hart& h, const Insn& i) { return lr<i32>(h, i); }
inline Flow lr_d(Hart& h, const Insn& i) { return lr<i64>(h, i); }
inline Flow sc_w(Hart& h, const Insn& i) { return sc<u32>(h, i); }
inline Flow sc_d(Hart& h, const Insn& i) { return sc<u64>(h, i); }

}  // namespace lockstep::core::sem
