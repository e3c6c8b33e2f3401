/* Guest start-up: entered in M-mode at 0x80000000 with a0 = hartid, a1 = DTB. */
#include "guest_asm.h"

  .section .text.init, "ax"
  /* _start is weak so that a test can put its own entry in .text.entry (linked
   * first, at 0x80000000) and jump to _crt0_start afterwards. */
  .weak _start
  .globl _crt0_start
_start:
_crt0_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, __stack_top
  /* Only hart 0 runs the test; others park. */
  bnez a0, park
  mv s0, a0
  mv s1, a1
  /* Clear .bss. */
  la t0, __bss_start
  la t1, __bss_end
1:
  bgeu t0, t1, 2f
  sd zero, 0(t0)
  addi t0, t0, 8
  j 1b
2:
  la t0, boot_hartid
  sd s0, 0(t0)
  la t0, boot_dtb
  sd s1, 0(t0)
  /* Enable the FPU (mstatus.FS = Initial) and install the default M-mode trap vector. */
  li t0, MSTATUS_FS_INITIAL
  csrs mstatus, t0
  csrw fcsr, zero
  la t0, trap_vector_m
  csrw mtvec, t0
  la t0, __trap_stack_m_top
  csrw mscratch, t0
  la t0, __trap_stack_s_top
  csrw sscratch, t0
  /* QEMU implements 16 PMP entries, so S/U accesses (and S-mode page-table walks)
   * that match no entry fail. Open the whole address space to S/U with entry 0
   * (NAPOT, RWX); PMP tests reprogram this. */
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f
  csrw pmpcfg0, t0
  call main
  call exit
park:
  wfi
  j park

  .section .bss
  .balign 8
  .globl boot_hartid, boot_dtb
boot_hartid: .dword 0
boot_dtb: .dword 0
