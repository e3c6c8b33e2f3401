/* Bare-metal start for the F/D vector guest: M-mode at 0x80000000 on QEMU virt (-bios none). */
  .section .text.entry, "ax"
  .globl _start
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  bnez a0, park              /* hart 0 only */
  la sp, __stack_top
  la t0, trap_entry
  csrw mtvec, t0
  li t0, 0x6000              /* mstatus.FS = Dirty */
  csrs mstatus, t0
  csrw fcsr, zero
  call main
  li t0, 0x100000            /* sifive_test: pass */
  li t1, 0x5555
  sw t1, 0(t0)
park:
  wfi
  j park

/* Trap handler: records mcause and mtval, skips the trapping (32-bit) instruction. */
  .balign 4
trap_entry:
  addi sp, sp, -16
  sd t0, 0(sp)
  sd t1, 8(sp)
  csrr t0, mcause
  la t1, fv_trap_cause
  sd t0, 0(t1)
  csrr t0, mtval
  la t1, fv_trap_tval
  sd t0, 0(t1)
  csrr t0, mepc
  addi t0, t0, 4
  csrw mepc, t0
  ld t0, 0(sp)
  ld t1, 8(sp)
  addi sp, sp, 16
  mret

/* void fv_call(struct fv_io* io): runs the trampoline once.
 * io: 0 a, 8 b, 16 c, 24 fflags before, 32 trampoline, 40 f7 after, 48 x7 after,
 *     56 fflags after, 64 mstatus.FS for the call (or -1), 72 mstatus after,
 *     80 minstret difference across the call (meaningful with -icount). */
  .globl fv_call
fv_call:
  addi sp, sp, -16
  sd ra, 0(sp)
  sd s0, 8(sp)
  mv s0, a0
  ld t0, 0(s0)
  fmv.d.x f10, t0
  ld t0, 8(s0)
  fmv.d.x f11, t0
  ld t0, 16(s0)
  fmv.d.x f12, t0
  li t0, 0x5a5a5a5a5a5a5a5a
  fmv.d.x f7, t0
  mv t2, t0
  ld t0, 24(s0)
  csrw fflags, t0
  ld t1, 64(s0)
  bltz t1, 1f
  li t0, 0x6000
  csrc mstatus, t0
  slli t1, t1, 13
  csrs mstatus, t1
1:
  ld a0, 0(s0)
  ld a1, 8(s0)
  ld t0, 32(s0)
  csrr t3, minstret
  jalr ra, 0(t0)
  csrr t4, minstret
  sub t4, t4, t3
  sd t4, 80(s0)
  csrr t1, mstatus
  sd t1, 72(s0)
  li t0, 0x6000
  csrs mstatus, t0
  csrr t1, fflags
  sd t1, 56(s0)
  fmv.x.d t1, f7
  sd t1, 40(s0)
  sd t2, 48(s0)
  ld ra, 0(sp)
  ld s0, 8(sp)
  addi sp, sp, 16
  ret
