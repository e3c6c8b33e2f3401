/* Trap entry/exit for M and S mode, and the run_in_mode() helper.
 * Generated layout: struct trap_frame in guest.h (x0..x31, cause, epc, tval, status). */
#include "guest_asm.h"

  .section .text

/* One trap vector per mode, from one body: \p is the CSR prefix (m or s). */
.macro trap_vector p
  .balign 4
  .globl trap_vector_\p
trap_vector_\p:
  csrrw sp, \p\()scratch, sp
  addi sp, sp, -TF_SIZE
  .irp r, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
  sd x\r, (8 * \r)(sp)
  .endr
  csrr t0, \p\()scratch
  sd t0, 16(sp)
  csrr t0, \p\()cause
  sd t0, TF_CAUSE(sp)
  csrr t0, \p\()epc
  sd t0, TF_EPC(sp)
  csrr t0, \p\()tval
  sd t0, TF_TVAL(sp)
  csrr t0, \p\()status
  sd t0, TF_STATUS(sp)
  mv a0, sp
  call \p\()_trap_dispatch
  ld t0, TF_EPC(sp)
  csrw \p\()epc, t0
  ld t0, TF_STATUS(sp)
  csrw \p\()status, t0
  addi t0, sp, TF_SIZE
  csrw \p\()scratch, t0
  .irp r, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
  ld x\r, (8 * \r)(sp)
  .endr
  ld sp, 16(sp)
  \p\()ret
.endm

  trap_vector m
  trap_vector s

/* long run_in_mode(int mode, long (*fn)(long), long arg)
 * Runs fn(arg) in U (mode 0) or S (mode 1) on the lower stack, with mstatus.MPP = mode.
 * fn returns to a trampoline that does `ecall` with a7 = GUEST_ECALL_RETURN; the M
 * (or S, which forwards it) trap dispatcher then resumes here and returns fn's value. */
  .globl run_in_mode
run_in_mode:
  addi sp, sp, -112
  sd ra, 0(sp)
  sd s0, 8(sp)
  sd s1, 16(sp)
  sd s2, 24(sp)
  sd s3, 32(sp)
  sd s4, 40(sp)
  sd s5, 48(sp)
  sd s6, 56(sp)
  sd s7, 64(sp)
  sd s8, 72(sp)
  sd s9, 80(sp)
  sd s10, 88(sp)
  sd s11, 96(sp)
  la t0, run_in_mode_saved_sp
  sd sp, 0(t0)
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  andi a0, a0, 3
  slli t1, a0, MSTATUS_MPP_SHIFT
  csrs mstatus, t1
  csrw mepc, a1
  /* U returns through the copy on a .utext page, S through the one in .text (S-mode
   * cannot execute user pages under translation). */
  la ra, run_in_mode_trampoline
  bnez a0, 1f
  la ra, run_in_mode_trampoline_u
1:
  mv a0, a2
  la sp, __lower_stack_top
  mret

  .globl run_in_mode_trampoline
run_in_mode_trampoline:
  li a7, GUEST_ECALL_RETURN
  ecall
1: j 1b

  /* In .utext so that U-mode code on user pages can return through it. */
  .pushsection .utext, "ax"
  .globl run_in_mode_trampoline_u
run_in_mode_trampoline_u:
  li a7, GUEST_ECALL_RETURN
  ecall
1: j 1b
  .popsection

/* void run_in_mode_resume(long value): called from the M trap dispatcher (M-mode). */
  .globl run_in_mode_resume
run_in_mode_resume:
  la t0, __trap_stack_m_top
  csrw mscratch, t0
  la t0, run_in_mode_saved_sp
  ld sp, 0(t0)
  ld ra, 0(sp)
  ld s0, 8(sp)
  ld s1, 16(sp)
  ld s2, 24(sp)
  ld s3, 32(sp)
  ld s4, 40(sp)
  ld s5, 48(sp)
  ld s6, 56(sp)
  ld s7, 64(sp)
  ld s8, 72(sp)
  ld s9, 80(sp)
  ld s10, 88(sp)
  ld s11, 96(sp)
  addi sp, sp, 112
  ret

/* void s_forward_return(long value): from the S trap dispatcher, hand a
 * GUEST_ECALL_RETURN on to M-mode (ecall from S). */
  .globl s_forward_return
s_forward_return:
  la t0, __trap_stack_s_top
  csrw sscratch, t0
  li a7, GUEST_ECALL_RETURN
  ecall
1: j 1b

  .section .bss
  .balign 8
run_in_mode_saved_sp: .dword 0
