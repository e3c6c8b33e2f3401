/* Jumps, loads/stores of every width, lui/auipc, x0 (no compressed encodings). */
  .option norvc
  .text

/* int_jumps(u64* out) */
  .globl int_jumps
int_jumps:
  mv t6, ra
  /* out[0] = jal link - address of the jal */
1:
  jal t0, 2f
2:
  la t1, 1b
  sub t0, t0, t1
  sd t0, 0(a0)
  /* out[1]: jalr with an odd target (bit 0 cleared), link = pc + 4 */
  la t1, 3f
  addi t1, t1, 1
4:
  jalr t2, 0(t1)
  li t3, 0xbad
  sd t3, 8(a0)
3:
  la t1, 4b
  sub t2, t2, t1
  sd t2, 8(a0)
  /* out[2]: jalr rd == rs1 */
  la t1, 5f
6:
  jalr t1, 0(t1)
5:
  la t3, 6b
  sub t1, t1, t3
  sd t1, 16(a0)
  /* out[3]: jalr with negative offset */
  la t1, 7f + 16
  jalr zero, -16(t1)
  li t3, 0xbad
  sd t3, 24(a0)
7:
  li t3, 0x900d
  sd t3, 24(a0)
  /* out[4]: jal backwards count: a loop that runs 5 times */
  li t3, 0
  li t4, 5
8:
  addi t3, t3, 1
  blt t3, t4, 8b
  sd t3, 32(a0)
  /* out[5]: jal x0 (j) skips */
  li t3, 1
  j 9f
  li t3, 2
9:
  sd t3, 40(a0)
  /* out[6]: branch to far label (> 4 KiB would need relaxation: use 2 KiB) */
  li t3, 0
  beqz t3, 10f
  .fill 512, 4, 0x00000013
10:
  li t3, 0x1234
  sd t3, 48(a0)
  /* out[7]: call/ret via jalr ra */
  call jumps_leaf
  sd a1, 56(a0)
  mv ra, t6
  ret

jumps_leaf:
  li a1, 0x1eaf
  ret

/* int_loads(u64* out, const void* src) */
  .globl int_loads
int_loads:
  lb t0, 0(a1)
  sd t0, 0(a0)
  lb t0, 7(a1)
  sd t0, 8(a0)
  lbu t0, 0(a1)
  sd t0, 16(a0)
  lbu t0, 7(a1)
  sd t0, 24(a0)
  lh t0, 0(a1)
  sd t0, 32(a0)
  lh t0, 6(a1)
  sd t0, 40(a0)
  lhu t0, 0(a1)
  sd t0, 48(a0)
  lhu t0, 6(a1)
  sd t0, 56(a0)
  lw t0, 0(a1)
  sd t0, 64(a0)
  lw t0, 4(a1)
  sd t0, 72(a0)
  lwu t0, 0(a1)
  sd t0, 80(a0)
  lwu t0, 4(a1)
  sd t0, 88(a0)
  ld t0, 0(a1)
  sd t0, 96(a0)
  ld t0, 8(a1)
  sd t0, 104(a0)
  addi t1, a1, 16
  ld t0, -8(t1)
  sd t0, 112(a0)
  lw t0, -4(t1)
  sd t0, 120(a0)
  lb t0, 15(a1)
  sd t0, 128(a0)
  lh t0, 12(a1)
  sd t0, 136(a0)
  lw t0, 16(a1)
  sd t0, 144(a0)
  /* load into x0 has no effect (but still loads) */
  li zero, 5
  lw zero, 0(a1)
  sd zero, 152(a0)
  ret

/* int_stores(void* dst): stores of every width and offset over 0x5a filler */
  .globl int_stores
int_stores:
  li t0, 0x0123456789abcdef
  sb t0, 0(a0)
  sb t0, 9(a0)
  sh t0, 18(a0)
  sh t0, 30(a0)
  sw t0, 36(a0)
  sw t0, 40(a0)
  sd t0, 48(a0)
  addi t1, a0, 64
  sd t0, -8(t1)
  sw zero, 0(t1)
  sb t0, 7(t1)
  ret

/* int_misc(u64* out): lui, auipc, x0 writes */
  .globl int_misc
int_misc:
  lui t0, 0x80000
  sd t0, 0(a0)
  lui t0, 0x7ffff
  sd t0, 8(a0)
  lui t0, 0xfffff
  sd t0, 16(a0)
  lui t0, 0
  sd t0, 24(a0)
1:
  auipc t0, 0
  la t1, 1b
  sub t0, t0, t1
  sd t0, 32(a0)
2:
  auipc t0, 0x80000
  la t1, 2b
  sub t0, t0, t1
  sd t0, 40(a0)
3:
  auipc t0, 1
  la t1, 3b
  sub t0, t0, t1
  sd t0, 48(a0)
  addi zero, zero, 1
  add zero, t0, t0
  sd zero, 56(a0)
  li t0, -1
  addiw t0, t0, 0
  sd t0, 64(a0)
  li t0, 0x7fffffff
  addiw t0, t0, 1
  sd t0, 72(a0)
  li t0, 0xffffffff
  sext.w t1, t0
  sd t1, 80(a0)
  /* slt/sltu with x0 */
  li t0, -5
  sltu t1, zero, t0
  slt t2, t0, zero
  slli t2, t2, 1
  or t1, t1, t2
  sd t1, 88(a0)
  ret
