/* Measurement kernels for the icount calibration guest. Every sequence is written
 * without compressed instructions so the counts are easy to read. */
#include "guest_asm.h"
  .option norvc

  /* Entry at 0x80000000: capture the counters before anything else runs. */
  .section .text.entry, "ax"
  .globl _start
_start:
  csrr s2, minstret
  csrr s3, mcycle
  csrr s4, time
  csrr s5, mip
  la t0, entry_vals
  sd s5, 48(t0)
  sd s2, 0(t0)
  sd s3, 8(t0)
  sd s4, 16(t0)
  sd a0, 24(t0)
  sd a1, 32(t0)
  sd a2, 40(t0)
  j _crt0_start

  .section .text
/* Minimal M-mode trap vector: t5 = minstret at handler entry, t4 = mcause,
 * t3 = mtval, t6 = mepc; resumes at mepc + 4 (or mepc for interrupts). */
  .balign 4
calib_vec:
  csrr t5, minstret
  csrr t4, mcause
  csrr t3, mtval
  csrr t6, mepc
  bltz t4, 1f
  addi t2, t6, 4
  csrw mepc, t2
  mret
1:
  li t2, 0x80   /* MTIE */
  csrc mie, t2
  mret

.macro ENTER
  addi sp, sp, -16
  sd ra, 0(sp)
  csrr t2, mtvec
  sd t2, 8(sp)
  la t2, calib_vec
  csrw mtvec, t2
  li t5, -1
  li t4, -1
  li t3, -1
  li t6, -1
.endm
.macro LEAVE
  sd t0, 0(a0)
  sd t1, 8(a0)
  sd t5, 16(a0)
  sd t4, 24(a0)
  sd t3, 32(a0)
  sd t6, 40(a0)
  ld t2, 8(sp)
  csrw mtvec, t2
  ld ra, 0(sp)
  addi sp, sp, 16
  ret
.endm

/* Each m_* writes {before, after, in_handler, mcause, mtval, mepc} to a0. */
  .globl m_b2b
m_b2b:
  ENTER
  csrr t0, minstret
  csrr t1, minstret
  LEAVE

  .globl m_nop10
m_nop10:
  ENTER
  csrr t0, minstret
  .rept 10
  nop
  .endr
  csrr t1, minstret
  LEAVE

  .globl m_cycle_b2b
m_cycle_b2b:
  ENTER
  csrr t0, mcycle
  csrr t1, mcycle
  LEAVE

  .globl m_ecall
m_ecall:
  ENTER
  csrr t0, minstret
  ecall
  csrr t1, minstret
  LEAVE

  .globl m_ebreak
m_ebreak:
  ENTER
  csrr t0, minstret
  ebreak
  csrr t1, minstret
  LEAVE

  .globl m_illegal
m_illegal:
  ENTER
  csrr t0, minstret
  .word 0xffffffff
  csrr t1, minstret
  LEAVE

  .globl m_illegal_zero
m_illegal_zero:
  ENTER
  csrr t0, minstret
  .word 0x00000000
  csrr t1, minstret
  LEAVE

  /* a1 = address */
  .globl m_load
m_load:
  ENTER
  csrr t0, minstret
  ld a2, 0(a1)
  csrr t1, minstret
  LEAVE

  .globl m_store
m_store:
  ENTER
  csrr t0, minstret
  sd zero, 0(a1)
  csrr t1, minstret
  LEAVE

  .globl m_lw
m_lw:
  ENTER
  csrr t0, minstret
  lw a2, 0(a1)
  csrr t1, minstret
  mv a3, a2
  LEAVE

  .globl m_lrw
m_lrw:
  ENTER
  csrr t0, minstret
  lr.w a2, (a1)
  csrr t1, minstret
  LEAVE

  .globl m_lrd
m_lrd:
  ENTER
  csrr t0, minstret
  lr.d a2, (a1)
  csrr t1, minstret
  LEAVE

  .globl m_scd
m_scd:
  ENTER
  csrr t0, minstret
  sc.d a2, zero, (a1)
  csrr t1, minstret
  LEAVE

  .globl m_amoaddw
m_amoaddw:
  ENTER
  csrr t0, minstret
  amoadd.w a2, zero, (a1)
  csrr t1, minstret
  LEAVE

  .globl m_amoswapd
m_amoswapd:
  ENTER
  csrr t0, minstret
  amoswap.d a2, zero, (a1)
  csrr t1, minstret
  LEAVE

  /* Load through MPRV with MPP=S and satp = a2 (Sv39, empty root): load page fault. */
  .globl m_mprv_load
m_mprv_load:
  ENTER
  csrw satp, a2
  sfence.vma
  li t2, MSTATUS_MPP
  csrc mstatus, t2
  li t2, (1 << MSTATUS_MPP_SHIFT) | MSTATUS_MPRV
  csrs mstatus, t2
  csrr t0, minstret
  ld a2, 0(a1)
  csrr t1, minstret
  li t2, MSTATUS_MPRV
  csrc mstatus, t2
  csrw satp, zero
  sfence.vma
  LEAVE

  .globl m_mret
m_mret:
  ENTER
  li t2, MSTATUS_MPP
  csrs mstatus, t2
  li t2, MSTATUS_MPIE
  csrc mstatus, t2
  la t2, 1f
  csrw mepc, t2
  csrr t0, minstret
  mret
1:
  csrr t1, minstret
  LEAVE

  /* Fetch access fault: jump to a1; the handler returns to ra (set by jalr). */
  .balign 4
calib_fetch_vec:
  csrr t5, minstret
  csrr t4, mcause
  csrr t3, mtval
  csrr t6, mepc
  csrw mepc, ra
  mret

  .globl m_fetch
m_fetch:
  ENTER
  la t2, calib_fetch_vec
  csrw mtvec, t2
  mv a3, ra
  csrr t0, minstret
  jalr ra, 0(a1)
  csrr t1, minstret
  mv ra, a3
  LEAVE

  /* Write to a read-only CSR (cycle): illegal instruction raised by the CSR helper. */
  .globl m_csr_ro
m_csr_ro:
  ENTER
  csrr t0, minstret
  csrw cycle, zero
  csrr t1, minstret
  LEAVE

  /* Access to a nonexistent CSR (0x7ff is not implemented). */
  .globl m_csr_none
m_csr_none:
  ENTER
  csrr t0, minstret
  csrr a2, 0x7ff
  csrr t1, minstret
  LEAVE

  /* FP instruction with mstatus.FS = Off. */
  .globl m_fp_off
m_fp_off:
  ENTER
  li t2, MSTATUS_FS
  csrc mstatus, t2
  csrr t0, minstret
  fadd.d f0, f0, f0
  csrr t1, minstret
  li t2, MSTATUS_FS_INITIAL
  csrs mstatus, t2
  LEAVE

  /* A non-faulting instruction sequence of every kind that might end a TB. */
  .globl m_misc
m_misc:
  ENTER
  csrr t0, minstret
  fence
  fence.i
  sfence.vma
  csrw mscratch, zero
  csrr t1, minstret
  LEAVE

  /* minstret writes: a1 = value.  out = {read after write, delta of 2 reads} */
  .globl m_write_minstret
m_write_minstret:
  ENTER
  csrw minstret, a1
  csrr t0, minstret
  csrr t1, minstret
  LEAVE

  .globl m_write_minstret_rw
m_write_minstret_rw:
  ENTER
  csrrw t0, minstret, a1
  csrr t1, minstret
  LEAVE

  .globl m_write_mcycle
m_write_mcycle:
  ENTER
  csrw mcycle, a1
  csrr t0, mcycle
  csrr t1, minstret
  LEAVE

  /* mtime phase: a1 = mtime address. Spins until mtime changes.
   * out = {minstret at the last csrr, new mtime, old mtime} */
.macro MTIME_PHASE name, pad
  .globl \name
\name:
  ENTER
  ld t3, 0(a1)
  .rept \pad
  nop
  .endr
1:
  csrr t0, minstret
  ld t1, 0(a1)
  beq t1, t3, 1b
  mv t5, t3
  LEAVE
.endm
  MTIME_PHASE m_mtime_phase0, 0
  MTIME_PHASE m_mtime_phase1, 1
  MTIME_PHASE m_mtime_phase2, 2

.macro RDTIME_PHASE name, pad
  .globl \name
\name:
  ENTER
  csrr t3, time
  .rept \pad
  nop
  .endr
1:
  csrr t0, minstret
  csrr t1, time
  beq t1, t3, 1b
  mv t5, t3
  LEAVE
.endm
  RDTIME_PHASE m_rdtime_phase0, 0
  RDTIME_PHASE m_rdtime_phase1, 1
  RDTIME_PHASE m_rdtime_phase2, 2

  /* Timer interrupt landing: a1 = CLINT mtime address, a2 = delta (mtime ticks).
   * Writes mtimecmp = mtime + delta, enables MTIE+MIE, runs a 3000-addi chain.
   * out = {minstret right after the mtimecmp store, chain start address, minstret in
   *        handler, mcause, a3 = mtime read, mepc} */
  .globl m_timer
m_timer:
  ENTER
  li t2, 0x80
  csrs mie, t2
  li t2, CLINT_MTIMECMP
  ld a3, 0(a1)
  add a4, a3, a2
  sd a4, 0(t2)
  csrr t0, minstret
  csrsi mstatus, MSTATUS_MIE
  la t1, 2f
  .balign 4
2:
  .rept 3000
  addi a5, a5, 1
  .endr
  csrci mstatus, MSTATUS_MIE
  mv t3, a3
  LEAVE

  /* mtimecmp written in the past: when is the interrupt taken?  out = {minstret
   * before the store, address of the store, handler minstret, mcause, -, mepc} */
  .globl m_timer_past
m_timer_past:
  ENTER
  li t2, -1
  li t3, CLINT_MTIMECMP
  sd t2, 0(t3)
  li t3, -1
  li t2, 0x80
  csrs mie, t2
  csrsi mstatus, MSTATUS_MIE
  li t2, CLINT_MTIMECMP
  csrr t0, minstret
  la t1, 3f
3:
  sd zero, 0(t2)
  .rept 20
  addi a5, a5, 1
  .endr
  csrci mstatus, MSTATUS_MIE
  li t2, -1
  li t3, CLINT_MTIMECMP
  sd t2, 0(t3)
  LEAVE

  /* Software interrupt via msip: out = {minstret before store, address of store, handler minstret, mcause, -, mepc} */
  .globl m_msip
m_msip:
  ENTER
  li t2, 0x8
  csrs mie, t2
  csrsi mstatus, MSTATUS_MIE
  li t2, CLINT_MSIP
  li a4, 1
  csrr t0, minstret
  la t1, 4f
4:
  sw a4, 0(t2)
  .rept 20
  addi a5, a5, 1
  .endr
  csrci mstatus, MSTATUS_MIE
  li t2, 0x8
  csrc mie, t2
  LEAVE

  /* A trap handler that clears msip (software interrupt is level-triggered). */
  .balign 4
  .globl calib_msip_vec
calib_msip_vec:
  csrr t5, minstret
  csrr t4, mcause
  csrr t6, mepc
  li t3, CLINT_MSIP
  sw zero, 0(t3)
  li t3, 0x8
  csrc mie, t3
  mret

  .globl m_msip2
m_msip2:
  ENTER
  la t2, calib_msip_vec
  csrw mtvec, t2
  li t2, 0x8
  csrs mie, t2
  csrsi mstatus, MSTATUS_MIE
  li t2, CLINT_MSIP
  li a4, 1
  csrr t0, minstret
  la t1, 5f
5:
  sw a4, 0(t2)
  .rept 20
  addi a5, a5, 1
  .endr
  csrci mstatus, MSTATUS_MIE
  LEAVE

  /* WFI with a pending, enabled (but globally masked, MIE=0) interrupt. */
  .globl m_wfi_pending
m_wfi_pending:
  ENTER
  li t2, CLINT_MSIP
  li a4, 1
  sw a4, 0(t2)
  li t2, 0x8
  csrs mie, t2
  csrr t0, minstret
  wfi
  csrr t1, minstret
  csrr t4, mip
  li t2, CLINT_MSIP
  sw zero, 0(t2)
  li t2, 0x8
  csrc mie, t2
  LEAVE

  /* LR/SC: a1 = address. out = {sc result after same-value store, sc result after
   * different-value store, sc result without lr, sc result after lr+ecall, sc result
   * to another address, plain success} */
  .globl m_lrsc
m_lrsc:
  ENTER
  mv a5, a2
  lr.d t0, (a1)
  sd t0, 0(a1)
  sc.d t0, t0, (a1)
  lr.d t1, (a1)
  addi a2, t1, 1
  sd a2, 0(a1)
  sc.d t1, t1, (a1)
  sc.d a6, zero, (a1)
  sd a6, 16(a5)
  lr.d a7, (a1)
  ecall
  sc.d a7, a7, (a1)
  lr.d t3, (a1)
  addi a2, a1, 8
  sc.d a3, t3, (a2)
  sc.d a4, t3, (a1)
  lr.d t6, (a1)
  sc.d t6, t6, (a1)
  /* lr; mret (to the next instruction, staying in M); sc */
  li t2, MSTATUS_MPP
  csrs mstatus, t2
  li t2, MSTATUS_MPIE
  csrc mstatus, t2
  la t2, 6f
  csrw mepc, t2
  lr.d a6, (a1)
  mret
6:
  sc.d a6, a6, (a1)
  sd a6, 8(a5)
  ld t5, 16(a5)
  mv t4, a7
  mv t3, a3
  sd a4, 0(a5)
  LEAVE


  /* sample_mtime(u64 out[25], u64 mtime_addr): 24 back-to-back samples; out[0] = minstret
   * read right before the first sample. Retries until the samples straddle a tick. */
  .globl sample_mtime
sample_mtime:
  addi sp, sp, -112
  sd s0, 0(sp)
  sd s1, 8(sp)
  sd s2, 16(sp)
  sd s3, 24(sp)
  sd s4, 32(sp)
  sd s5, 40(sp)
  sd s6, 48(sp)
  sd s7, 56(sp)
  sd s8, 64(sp)
  sd s9, 72(sp)
  sd s10, 80(sp)
  sd s11, 88(sp)
1:
  csrr t0, minstret
  ld s0, 0(a1)
  ld s1, 0(a1)
  ld s2, 0(a1)
  ld s3, 0(a1)
  ld s4, 0(a1)
  ld s5, 0(a1)
  ld s6, 0(a1)
  ld s7, 0(a1)
  ld s8, 0(a1)
  ld s9, 0(a1)
  ld s10, 0(a1)
  ld s11, 0(a1)
  ld a2, 0(a1)
  ld a3, 0(a1)
  ld a4, 0(a1)
  ld a5, 0(a1)
  ld a6, 0(a1)
  ld a7, 0(a1)
  ld t1, 0(a1)
  ld t2, 0(a1)
  ld t3, 0(a1)
  ld t4, 0(a1)
  ld t5, 0(a1)
  ld t6, 0(a1)
  beq s0, t6, 1b
  sd t0, 0(a0)
  sd s0, 8(a0)
  sd s1, 16(a0)
  sd s2, 24(a0)
  sd s3, 32(a0)
  sd s4, 40(a0)
  sd s5, 48(a0)
  sd s6, 56(a0)
  sd s7, 64(a0)
  sd s8, 72(a0)
  sd s9, 80(a0)
  sd s10, 88(a0)
  sd s11, 96(a0)
  sd a2, 104(a0)
  sd a3, 112(a0)
  sd a4, 120(a0)
  sd a5, 128(a0)
  sd a6, 136(a0)
  sd a7, 144(a0)
  sd t1, 152(a0)
  sd t2, 160(a0)
  sd t3, 168(a0)
  sd t4, 176(a0)
  sd t5, 184(a0)
  sd t6, 192(a0)
  ld s0, 0(sp)
  ld s1, 8(sp)
  ld s2, 16(sp)
  ld s3, 24(sp)
  ld s4, 32(sp)
  ld s5, 40(sp)
  ld s6, 48(sp)
  ld s7, 56(sp)
  ld s8, 64(sp)
  ld s9, 72(sp)
  ld s10, 80(sp)
  ld s11, 88(sp)
  addi sp, sp, 112
  ret

  /* sample_rdtime(u64 out[25], u64 mtime_addr): 24 back-to-back samples; out[0] = minstret
   * read right before the first sample. Retries until the samples straddle a tick. */
  .globl sample_rdtime
sample_rdtime:
  addi sp, sp, -112
  sd s0, 0(sp)
  sd s1, 8(sp)
  sd s2, 16(sp)
  sd s3, 24(sp)
  sd s4, 32(sp)
  sd s5, 40(sp)
  sd s6, 48(sp)
  sd s7, 56(sp)
  sd s8, 64(sp)
  sd s9, 72(sp)
  sd s10, 80(sp)
  sd s11, 88(sp)
1:
  csrr t0, minstret
  csrr s0, time
  csrr s1, time
  csrr s2, time
  csrr s3, time
  csrr s4, time
  csrr s5, time
  csrr s6, time
  csrr s7, time
  csrr s8, time
  csrr s9, time
  csrr s10, time
  csrr s11, time
  csrr a2, time
  csrr a3, time
  csrr a4, time
  csrr a5, time
  csrr a6, time
  csrr a7, time
  csrr t1, time
  csrr t2, time
  csrr t3, time
  csrr t4, time
  csrr t5, time
  csrr t6, time
  beq s0, t6, 1b
  sd t0, 0(a0)
  sd s0, 8(a0)
  sd s1, 16(a0)
  sd s2, 24(a0)
  sd s3, 32(a0)
  sd s4, 40(a0)
  sd s5, 48(a0)
  sd s6, 56(a0)
  sd s7, 64(a0)
  sd s8, 72(a0)
  sd s9, 80(a0)
  sd s10, 88(a0)
  sd s11, 96(a0)
  sd a2, 104(a0)
  sd a3, 112(a0)
  sd a4, 120(a0)
  sd a5, 128(a0)
  sd a6, 136(a0)
  sd a7, 144(a0)
  sd t1, 152(a0)
  sd t2, 160(a0)
  sd t3, 168(a0)
  sd t4, 176(a0)
  sd t5, 184(a0)
  sd t6, 192(a0)
  ld s0, 0(sp)
  ld s1, 8(sp)
  ld s2, 16(sp)
  ld s3, 24(sp)
  ld s4, 32(sp)
  ld s5, 40(sp)
  ld s6, 48(sp)
  ld s7, 56(sp)
  ld s8, 64(sp)
  ld s9, 72(sp)
  ld s10, 80(sp)
  ld s11, 88(sp)
  addi sp, sp, 112
  ret

  /* WFI that really sleeps until a timer interrupt (MIE = 0, MTIE = 1).
   * a1 = ticks ahead.  out = {minstret before wfi, minstret after, mtime before,
   * mtime after, mtimecmp, -} */
  .globl m_wfi_sleep
m_wfi_sleep:
  ENTER
  li t2, CLINT_MTIME
  ld t3, 0(t2)
  add t4, t3, a1
  li t2, CLINT_MTIMECMP
  sd t4, 0(t2)
  li t2, 0x80
  csrs mie, t2
  csrr t0, minstret
  wfi
  csrr t1, minstret
  li t2, CLINT_MTIME
  ld t5, 0(t2)
  li t2, 0x80
  csrc mie, t2
  li t2, -1
  li t6, CLINT_MTIMECMP
  sd t2, 0(t6)
  mv t6, t4
  mv t4, t3
  mv t3, t5
  LEAVE

  /* WFI followed by k instructions before the TB ends: a pending MSIP wakes it at once. */
.macro WFI_TAIL name, k
  .globl \name
\name:
  ENTER
  li t2, CLINT_MSIP
  li a4, 1
  sw a4, 0(t2)
  li t2, 0x8
  csrs mie, t2
  csrr t0, minstret
  wfi
  .rept \k
  addi a5, a5, 1
  .endr
  csrr t1, minstret
  li t2, CLINT_MSIP
  sw zero, 0(t2)
  li t2, 0x8
  csrc mie, t2
  LEAVE
.endm
  WFI_TAIL m_wfi_tail0, 0
  WFI_TAIL m_wfi_tail5, 5

  .section .data
  .balign 8
  .globl entry_vals
entry_vals: .dword 0, 0, 0, 0, 0, 0, 0
