#pragma once
#include "core/types.h"

namespace lockstep::core {

// Synchronous exception causes (mcause with the interrupt bit clear).
enum class Exc : u64 {
  InsnMisaligned = 0,
  InsnAccessFault = 1,
  IllegalInsn = 2,
  Breakpoint = 3,
  LoadMisaligned = 4,
  LoadAccessFault = 5,
  StoreMisaligned = 6,
  StoreAccessFault = 7,
  EcallU = 8,
  EcallS = 9,
  EcallM = 11,
  InsnPageFault = 12,
  LoadPageFault = 13,
  StorePageFault = 15,
};

// Interrupt numbers (mip/mie bit positions).
enum class Irq : unsigned {
  SSoft = 1,
  MSoft = 3,
  STimer = 5,
  MTimer = 7,
  SExt = 9,
  MExt = 11,
};

inline constexpr u64 kInterruptBit = u64{1} << 63;

// An architectural trap as a value: no C++ exceptions in core/.
struct Trap {
  u64 cause = 0;  // mcause encoding (interrupt bit included for interrupts)
  u64 tval = 0;
  // Whether the trapping instruction still counts as executed. QEMU counts instructions whose
  // exception is known when the instruction is decoded (ecall, ebreak, an undecodable opcode,
  // FP with mstatus.FS off) and not those that fault while executing (memory faults, CSR and
  // privilege checks). lockstep reproduces that so minstret matches (docs/qemu-icount.md).
  bool counted = false;
};

}  // namespace lockstep::core
