/* SBI HSM on -smp 2: the boot hart starts hart 1 through OpenSBI, hart 1 reports in and stops,
 * the boot hart reads its status and powers off. Console through the legacy SBI putchar.
 * (QEMU 7.2 with -icount never schedules hart 1 while hart 0 spins here, so this runs on
 * lockstep alone; lockstep's round-robin quanta keep both harts going.) */
  .section .text.start
  .globl _start
_start:
  la sp, boot_stack_top
  mv s0, a0                 /* boot hart id */
  la a0, msg_boot
  call puts
  mv a0, s0
  call putdigit
  call newline

  /* sbi_hart_start(hartid = 1 - boot, start = secondary, opaque = 0x5eed) */
  li a0, 1
  sub a0, a0, s0
  mv s1, a0
  la a1, secondary
  li a2, 0x5eed
  li a7, 0x48534D
  li a6, 0
  ecall
  mv s2, a0

1:  la t0, flag               /* wait for hart 1 before printing, so lines never interleave */
  lw t1, 0(t0)
  beqz t1, 1b
  la a0, msg_start
  call puts
  mv a0, s2
  call putdigit
  call newline

  /* sbi_hart_get_status until it reports STOPPED (1) */
2:  mv a0, s1
  li a7, 0x48534D
  li a6, 2
  ecall
  li t0, 1
  bne a1, t0, 2b
  la a0, msg_stopped
  call puts

  /* System reset: shutdown */
  li a0, 0
  li a1, 0
  li a7, 0x53525354
  li a6, 0
  ecall
3:  j 3b

secondary:                  /* a0 = hartid, a1 = opaque */
  la sp, second_stack_top
  mv s0, a0
  mv s1, a1
  la a0, msg_second
  call puts
  mv a0, s0
  call putdigit
  la a0, msg_opaque
  call puts
  mv a0, s1
  call puthex16
  call newline
  fence
  la t0, flag
  li t1, 1
  sw t1, 0(t0)
  li a7, 0x48534D           /* sbi_hart_stop */
  li a6, 1
  ecall
4:  j 4b

puts:                       /* a0 = NUL-terminated string */
  mv t2, a0
5:  lbu a0, 0(t2)
  beqz a0, 6f
  li a7, 1
  ecall
  addi t2, t2, 1
  j 5b
6:  ret

putdigit:
  addi a0, a0, '0'
  li a7, 1
  ecall
  ret

puthex16:                   /* a0: low 16 bits in hex */
  mv t2, a0
  li t3, 12
7:  srl a0, t2, t3
  andi a0, a0, 15
  li t4, 10
  blt a0, t4, 8f
  addi a0, a0, 'a' - 10 - '0'
8:  addi a0, a0, '0'
  li a7, 1
  ecall
  addi t3, t3, -4
  bgez t3, 7b
  ret

newline:
  li a0, '\n'
  li a7, 1
  ecall
  ret

  .section .rodata
msg_boot: .asciz "hsm: boot hart "
msg_start: .asciz "hsm: hart_start returned "
msg_second: .asciz "hsm: hart "
msg_opaque: .asciz " up, opaque 0x"
msg_stopped: .asciz "hsm: hart 1 stopped\n"

  .section .data
  .align 3
flag: .word 0
