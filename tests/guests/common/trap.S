/* Trap entry/exit for M and S mode, and the run_in_mode() helper.
 * Generated layout: struct trap_frame in guest.h (x0..x31, cause, epc, tval, status). */
#include "guest_asm.h"

  .section .text

  .balign 4
  .globl trap_vector_m
trap_vector_m:
  csrrw sp, mscratch, sp
  addi sp, sp, -TF_SIZE
  sd x1, 8(sp)
  sd x3, 24(sp)
  sd x4, 32(sp)
  sd x5, 40(sp)
  sd x6, 48(sp)
  sd x7, 56(sp)
  sd x8, 64(sp)
  sd x9, 72(sp)
  sd x10, 80(sp)
  sd x11, 88(sp)
  sd x12, 96(sp)
  sd x13, 104(sp)
  sd x14, 112(sp)
  sd x15, 120(sp)
  sd x16, 128(sp)
  sd x17, 136(sp)
  sd x18, 144(sp)
  sd x19, 152(sp)
  sd x20, 160(sp)
  sd x21, 168(sp)
  sd x22, 176(sp)
  sd x23, 184(sp)
  sd x24, 192(sp)
  sd x25, 200(sp)
  sd x26, 208(sp)
  sd x27, 216(sp)
  sd x28, 224(sp)
  sd x29, 232(sp)
  sd x30, 240(sp)
  sd x31, 248(sp)
  csrr t0, mscratch
  sd t0, 16(sp)
  csrr t0, mcause
  sd t0, TF_CAUSE(sp)
  csrr t0, mepc
  sd t0, TF_EPC(sp)
  csrr t0, mtval
  sd t0, TF_TVAL(sp)
  csrr t0, mstatus
  sd t0, TF_STATUS(sp)
  mv a0, sp
  call m_trap_dispatch
  ld t0, TF_EPC(sp)
  csrw mepc, t0
  ld t0, TF_STATUS(sp)
  csrw mstatus, t0
  addi t0, sp, TF_SIZE
  csrw mscratch, t0
  ld x1, 8(sp)
  ld x3, 24(sp)
  ld x4, 32(sp)
  ld x5, 40(sp)
  ld x6, 48(sp)
  ld x7, 56(sp)
  ld x8, 64(sp)
  ld x9, 72(sp)
  ld x10, 80(sp)
  ld x11, 88(sp)
  ld x12, 96(sp)
  ld x13, 104(sp)
  ld x14, 112(sp)
  ld x15, 120(sp)
  ld x16, 128(sp)
  ld x17, 136(sp)
  ld x18, 144(sp)
  ld x19, 152(sp)
  ld x20, 160(sp)
  ld x21, 168(sp)
  ld x22, 176(sp)
  ld x23, 184(sp)
  ld x24, 192(sp)
  ld x25, 200(sp)
  ld x26, 208(sp)
  ld x27, 216(sp)
  ld x28, 224(sp)
  ld x29, 232(sp)
  ld x30, 240(sp)
  ld x31, 248(sp)
  ld sp, 16(sp)
  mret

  .balign 4
  .globl trap_vector_s
trap_vector_s:
  csrrw sp, sscratch, sp
  addi sp, sp, -TF_SIZE
  sd x1, 8(sp)
  sd x3, 24(sp)
  sd x4, 32(sp)
  sd x5, 40(sp)
  sd x6, 48(sp)
  sd x7, 56(sp)
  sd x8, 64(sp)
  sd x9, 72(sp)
  sd x10, 80(sp)
  sd x11, 88(sp)
  sd x12, 96(sp)
  sd x13, 104(sp)
  sd x14, 112(sp)
  sd x15, 120(sp)
  sd x16, 128(sp)
  sd x17, 136(sp)
  sd x18, 144(sp)
  sd x19, 152(sp)
  sd x20, 160(sp)
  sd x21, 168(sp)
  sd x22, 176(sp)
  sd x23, 184(sp)
  sd x24, 192(sp)
  sd x25, 200(sp)
  sd x26, 208(sp)
  sd x27, 216(sp)
  sd x28, 224(sp)
  sd x29, 232(sp)
  sd x30, 240(sp)
  sd x31, 248(sp)
  csrr t0, sscratch
  sd t0, 16(sp)
  csrr t0, scause
  sd t0, TF_CAUSE(sp)
  csrr t0, sepc
  sd t0, TF_EPC(sp)
  csrr t0, stval
  sd t0, TF_TVAL(sp)
  csrr t0, sstatus
  sd t0, TF_STATUS(sp)
  mv a0, sp
  call s_trap_dispatch
  ld t0, TF_EPC(sp)
  csrw sepc, t0
  ld t0, TF_STATUS(sp)
  csrw sstatus, t0
  addi t0, sp, TF_SIZE
  csrw sscratch, t0
  ld x1, 8(sp)
  ld x3, 24(sp)
  ld x4, 32(sp)
  ld x5, 40(sp)
  ld x6, 48(sp)
  ld x7, 56(sp)
  ld x8, 64(sp)
  ld x9, 72(sp)
  ld x10, 80(sp)
  ld x11, 88(sp)
  ld x12, 96(sp)
  ld x13, 104(sp)
  ld x14, 112(sp)
  ld x15, 120(sp)
  ld x16, 128(sp)
  ld x17, 136(sp)
  ld x18, 144(sp)
  ld x19, 152(sp)
  ld x20, 160(sp)
  ld x21, 168(sp)
  ld x22, 176(sp)
  ld x23, 184(sp)
  ld x24, 192(sp)
  ld x25, 200(sp)
  ld x26, 208(sp)
  ld x27, 216(sp)
  ld x28, 224(sp)
  ld x29, 232(sp)
  ld x30, 240(sp)
  ld x31, 248(sp)
  ld sp, 16(sp)
  sret

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
