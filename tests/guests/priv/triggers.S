/* Helpers for the triggers guest: each access or execute target is the first instruction of its
 * function, so a trap's epc names it (a0 = address, a1 = value; a load returns what it loaded,
 * or its address when the handler skipped it). */
#include "guest_asm.h"
  .option norvc
  .text
  ONE t_lb, lb a0, 0(a0)
  ONE t_lh, lh a0, 0(a0)
  ONE t_lw, lw a0, 0(a0)
  ONE t_sh, sh a1, 0(a0)
  ONE t_sw, sw a1, 0(a0)
  ONE t_amoadd_w, amoadd.w a0, a1, (a0)
  ONE t_lr_w, lr.w a0, (a0)
  ONE t_sc_w, sc.w a0, a1, (a0)

/* Execute targets: return 1 when t_exec_insn / t_exec2_insn ran, 0 when a trap skipped it. */
  .globl t_exec, t_exec_insn
t_exec:
  li a0, 0
t_exec_insn:
  li a0, 1
  ret
  .globl t_exec2, t_exec2_insn
t_exec2:
  li a0, 0
t_exec2_insn:
  li a0, 1
  ret

/* u64 t_spin(u64 n): n iterations of nothing the triggers watch (the migration test cuts here
 * while triggers are set). */
  .globl t_spin
t_spin:
  addi a0, a0, -1
  bnez a0, t_spin
  ret
