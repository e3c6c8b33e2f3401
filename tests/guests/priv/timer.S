#include "guest_asm.h"
  .text
/* u64 spin_until(volatile u64* flag): counts loop iterations until *flag != 0. */
  .globl spin_until
spin_until:
  li a1, 0
1:
  ld t0, 0(a0)
  addi a1, a1, 1
  beqz t0, 1b
  mv a0, a1
  ret

/* U-mode spin, on a user page; the flag is read from physical memory (no satp). */
  .pushsection .utext, "ax"
  .globl spin_until_u
spin_until_u:
  li a1, 0
1:
  ld t0, 0(a0)
  addi a1, a1, 1
  beqz t0, 1b
  mv a0, a1
  ret
  .popsection
