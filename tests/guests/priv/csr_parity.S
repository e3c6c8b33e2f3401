/* Stubs for the csr_parity guest: one read and one write stub per PMP CSR number
 * 0x3a0..0x3ef (pmpcfg0..15, pmpaddr0..63), 8 bytes each, so C indexes them. */
#include "guest_asm.h"
  .option norvc
  .text

  /* u64 stub(u64 a0): csrr a0, N (a trap leaves a0 as passed) */
  .globl csr_read_stubs
  .balign 8
csr_read_stubs:
  .set n, 0x3a0
  .rept 80
  csrr a0, n
  ret
  .set n, n + 1
  .endr

  /* void stub(u64 a0): csrw N, a0 */
  .globl csr_write_stubs
  .balign 8
csr_write_stubs:
  .set n, 0x3a0
  .rept 80
  csrw n, a0
  ret
  .set n, n + 1
  .endr

  /* u64 name(void): minstret delta over `csrr a0, N` (a trap: its handler included) */
.macro MINSTRET_AROUND name, n
  .globl \name
\name:
  csrr t0, minstret
  csrr a0, \n
  csrr t1, minstret
  sub a0, t1, t0
  ret
.endm
  MINSTRET_AROUND minstret_around_pmpaddr15, 0x3bf  /* exists: no trap */
  MINSTRET_AROUND minstret_around_pmpaddr16, 0x3c0
  MINSTRET_AROUND minstret_around_pmpcfg4, 0x3a4
