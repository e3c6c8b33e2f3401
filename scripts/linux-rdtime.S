# /bin/rdtime of the Linux test guest: prints the time CSR (10 MHz) in decimal and exits. Under
# QEMU -icount shift=0,sleep=off and under lockstep, time is (instructions + the idle time WFI
# skips) / 100, so the two runs can be compared to 100 instructions from inside the guest. Not
# instret: Linux's PMU driver stops it through SBI, which lockstep honours and QEMU 7.2 does not
# (its mcountinhibit is broken, docs/qemu-icount.md). No libc: Linux syscalls only.
  .option norelax        # gp is not set up: no gp-relative addressing
  .section .text
  .globl _start
_start:
  csrr t0, time
  la a1, digits_end
  li t1, 10
  addi a1, a1, -1
  sb t1, 0(a1)           # the newline (10 is also the radix)
1:
  remu t2, t0, t1
  divu t0, t0, t1
  addi t2, t2, '0'
  addi a1, a1, -1
  sb t2, 0(a1)
  bnez t0, 1b
  la a2, digits_end
  sub a2, a2, a1         # length
  li a0, 1               # stdout
  li a7, 64              # write
  ecall
  li a0, 0
  li a7, 93              # exit
  ecall

  .section .bss
digits:
  .skip 24
digits_end:
