/* Misaligned accesses of every width (plain encodings, no compressed). */
  .option norvc
  .text
/* void mis_loads(u64* out, u8* p): 7 loads at p */
  .globl mis_loads
mis_loads:
  lh t0, 0(a1)
  sd t0, 0(a0)
  lhu t0, 0(a1)
  sd t0, 8(a0)
  lw t0, 0(a1)
  sd t0, 16(a0)
  lwu t0, 0(a1)
  sd t0, 24(a0)
  ld t0, 0(a1)
  sd t0, 32(a0)
  flw ft0, 0(a1)
  fmv.x.d t0, ft0
  sd t0, 40(a0)
  fld ft0, 0(a1)
  fmv.x.d t0, ft0
  sd t0, 48(a0)
  ret
/* void mis_store(u8* p, u64 v, u64 kind): 0 sh, 1 sw, 2 sd, 3 fsw, 4 fsd */
  .globl mis_store
mis_store:
  li t0, 1
  beq a2, zero, 1f
  beq a2, t0, 2f
  li t0, 2
  beq a2, t0, 3f
  li t0, 3
  beq a2, t0, 4f
  fmv.d.x ft0, a1
  fsd ft0, 0(a0)
  ret
1: sh a1, 0(a0)
  ret
2: sw a1, 0(a0)
  ret
3: sd a1, 0(a0)
  ret
4: fmv.w.x ft0, a1
  fsw ft0, 0(a0)
  ret
/* misaligned atomics: each is a single instruction the C handler skips */
  .globl mis_lrw
mis_lrw:
  lr.w a0, (a0)
  ret
  .globl mis_lrd
mis_lrd:
  lr.d a0, (a0)
  ret
  .globl mis_scd
mis_scd:
  li t0, 5
  sc.d t0, t0, (a0)
  mv a0, t0
  ret
  .globl mis_lr_sc
mis_lr_sc:
  addi t1, a0, -1
  lr.d t0, (t1)
  sc.d t0, t0, (a0)
  mv a0, t0
  ret
  .globl mis_amoswapw
mis_amoswapw:
  amoswap.w a0, a1, (a0)
  ret
  .globl mis_amoaddd
mis_amoaddd:
  amoadd.d a0, a1, (a0)
  ret
  .globl mis_amomaxud
mis_amomaxud:
  amomaxu.d a0, a1, (a0)
  ret
