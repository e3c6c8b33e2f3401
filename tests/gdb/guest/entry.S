/* Hart 0 runs the C runtime (crt0) and main; hart 1 loops in hart1_main on its own stack. */
  .section .text.entry, "ax"
  .globl _start
_start:
  bnez a0, 1f
  j _crt0_start
1:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, hart1_stack_top
  call hart1_main
2:
  wfi
  j 2b

  .section .bss
  .balign 16
hart1_stack:
  .space 4096
hart1_stack_top:
