/* Helpers for the traps guest: single trapping instructions to run in any mode, and
 * vectored trap tables with their own minimal handlers. */
#include "guest_asm.h"
  .option norvc
  .text
  ONE t_ecall, ecall
  ONE t_ebreak, ebreak
  ONE t_illegal, .word 0xffffffff
  .globl t_illegal_zero
t_illegal_zero:
  .2byte 0x0000        /* 16-bit all-zero: illegal */
  .2byte 0x0001        /* c.nop */
  ret
  /* sret that is legal in S: returns to the next instruction in S */
  .globl t_sret_ok
t_sret_ok:
  la t0, 1f
  csrw sepc, t0
  li t0, MSTATUS_SPP
  csrs sstatus, t0
  sret
1:
  ret
  ONE t_mret, mret
  ONE t_sret, sret
  ONE t_wfi, wfi
  ONE t_sfence, sfence.vma
  ONE t_csr_mstatus, csrr a0, mstatus
  ONE t_csr_sstatus, csrr a0, sstatus
  ONE t_csr_satp, csrr a0, satp
  ONE t_csr_write_ro, csrw mhartid, zero
  ONE t_csr_cycle, csrr a0, cycle
  ONE t_nop, nop
  .option push
  .option rvc
  ONE t_c_ebreak, c.ebreak
  .option pop

/* ---- M-mode vectored table ---------------------------------------------------------
 * Entry i: t6 = i, t5 = mcause; clears msip and mtimecmp; exceptions resume at mepc+4. */
  .balign 256
  .globl vec_table_m
vec_table_m:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
  j vec_m_\n
.endr
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
vec_m_\n:
  li t6, \n
  j vec_m_common
.endr
vec_m_common:
  csrr t5, mcause
  li t4, CLINT_MSIP
  sw zero, 0(t4)
  li t4, CLINT_MTIMECMP
  li t3, -1
  sd t3, 0(t4)
  bltz t5, 1f
  csrr t4, mepc
  addi t4, t4, 4
  csrw mepc, t4
1:
  mret

/* u64 vec_test_m(u64 kind): kind 0 = ecall, 1 = msip, 2 = mtimer (mtimecmp = 0).
 * Returns (entry << 32) | mcause-low-bits | interrupt-bit<<16 */
  .globl vec_test_m
vec_test_m:
  csrr a2, mtvec
  la t0, vec_table_m
  ori t0, t0, 1
  csrw mtvec, t0
  li t6, -1
  li t5, -1
  li t0, 0x88            /* MSIE | MTIE */
  csrs mie, t0
  beqz a0, 10f
  li t0, 1
  beq a0, t0, 11f
  li t0, CLINT_MTIMECMP
  sd zero, 0(t0)
  csrsi mstatus, MSTATUS_MIE
  nop
  j 20f
10:
  ecall
  j 20f
11:
  li t0, CLINT_MSIP
  li t1, 1
  sw t1, 0(t0)
  csrsi mstatus, MSTATUS_MIE
  nop
20:
  csrci mstatus, MSTATUS_MIE
  li t0, 0x88
  csrc mie, t0
  csrw mtvec, a2
  slli a0, t6, 32
  srli t4, t5, 63
  slli t4, t4, 16
  or a0, a0, t4
  andi t5, t5, 0xff
  or a0, a0, t5
  ret

/* ---- S-mode vectored table --------------------------------------------------------- */
  .balign 256
  .globl vec_table_s
vec_table_s:
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
  j vec_s_\n
.endr
.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
vec_s_\n:
  li t6, \n
  j vec_s_common
.endr
vec_s_common:
  csrr t5, scause
  csrci sip, 2
  bltz t5, 1f
  csrr t4, sepc
  addi t4, t4, 4
  csrw sepc, t4
1:
  sret

/* long vec_test_s(long kind): runs in S-mode. kind 0 = ebreak (delegated), 1 = SSIP
 * (delegated, raised by writing sip). Same return encoding as vec_test_m. */
  .globl vec_test_s
vec_test_s:
  csrr a2, stvec
  la t0, vec_table_s
  ori t0, t0, 1
  csrw stvec, t0
  li t6, -1
  li t5, -1
  csrsi sie, 2
  bnez a0, 11f
  ebreak
  j 20f
11:
  csrsi sstatus, MSTATUS_SIE
  csrsi sip, 2
  nop
20:
  csrci sstatus, MSTATUS_SIE
  csrci sie, 2
  csrw stvec, a2
  slli a0, t6, 32
  srli t4, t5, 63
  slli t4, t4, 16
  or a0, a0, t4
  andi t5, t5, 0xff
  or a0, a0, t5
  ret

/* u64 wfi_pending(void): M-mode, MIE = 0, MSIP pending and enabled in mie: WFI must not
 * stall. Returns mip. The csrr right after wfi keeps QEMU's count rule simple. */
  .globl wfi_pending
wfi_pending:
  li t0, CLINT_MSIP
  li t1, 1
  sw t1, 0(t0)
  li t1, 0x8
  csrs mie, t1
  wfi
  csrr a0, mip
  sw zero, 0(t0)
  csrc mie, t1
  ret

/* void wfi_then_timer(void): arms mtimecmp 20 ticks ahead, MIE = MTIE = 1, sleeps in
 * WFI: the timer interrupt is taken with mepc = the instruction after wfi. */
  .globl wfi_then_timer
wfi_then_timer:
  li t0, CLINT_MTIME
  ld t1, 0(t0)
  addi t1, t1, 20
  li t0, CLINT_MTIMECMP
  sd t1, 0(t0)
  li t2, 0x80
  csrs mie, t2
  csrsi mstatus, MSTATUS_MIE
  .globl wfi_then_timer_wfi
wfi_then_timer_wfi:
  wfi
  csrci mstatus, MSTATUS_MIE
  csrc mie, t2
  ret
