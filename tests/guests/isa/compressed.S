/* Every RV64C instruction, written with explicit c.* mnemonics. */
  .option rvc
  .text

/* rvc_alu(u64* out, u64 a, u64 b): 28 results */
  .globl rvc_alu
rvc_alu:
  c.mv a3, a1
  c.add a3, a2
  c.sd a3, 0(a0)
  c.mv a3, a1
  c.sub a3, a2
  c.sd a3, 8(a0)
  c.mv a3, a1
  c.xor a3, a2
  c.sd a3, 16(a0)
  c.mv a3, a1
  c.or a3, a2
  c.sd a3, 24(a0)
  c.mv a3, a1
  c.and a3, a2
  c.sd a3, 32(a0)
  c.mv a3, a1
  c.subw a3, a2
  c.sd a3, 40(a0)
  c.mv a3, a1
  c.addw a3, a2
  c.sd a3, 48(a0)
  c.mv a3, a1
  c.addi a3, -32
  c.sd a3, 56(a0)
  c.mv a3, a1
  c.addi a3, 31
  c.sd a3, 64(a0)
  c.mv a3, a1
  c.addiw a3, -1
  c.sd a3, 72(a0)
  c.mv a3, a1
  c.addiw a3, 0
  c.sd a3, 80(a0)
  c.mv a3, a1
  c.slli a3, 1
  c.sd a3, 88(a0)
  c.mv a3, a1
  c.slli a3, 63
  c.sd a3, 96(a0)
  c.mv a3, a1
  c.srli a3, 1
  c.sd a3, 104(a0)
  c.mv a3, a1
  c.srli a3, 63
  c.sd a3, 112(a0)
  c.mv a3, a1
  c.srai a3, 1
  c.sd a3, 120(a0)
  c.mv a3, a1
  c.srai a3, 63
  c.sd a3, 128(a0)
  c.mv a3, a1
  c.srai a3, 32
  c.sd a3, 136(a0)
  c.mv a3, a1
  c.andi a3, -1
  c.sd a3, 144(a0)
  c.mv a3, a1
  c.andi a3, -32
  c.sd a3, 152(a0)
  c.mv a3, a1
  c.andi a3, 21
  c.sd a3, 160(a0)
  c.mv a3, a1
  c.andi a3, 0
  c.sd a3, 168(a0)
  /* Full-register (CR/CI with any register) forms on t0/t1 */
  c.mv t0, a1
  c.add t0, a2
  c.slli t0, 5
  c.addi t0, 7
  c.addiw t0, 3
  c.sd a3, 176(a0)
  sd t0, 176(a0)
  c.mv t1, a2
  c.mv t0, t1
  c.add t0, a1
  sd t0, 184(a0)
  ret

/* rvc_const(u64* out): c.li, c.lui, c.addi16sp, c.addi4spn, c.nop */
  .globl rvc_const
rvc_const:
  c.li a3, -32
  c.sd a3, 0(a0)
  c.li a3, 31
  c.sd a3, 8(a0)
  c.li a3, 0
  c.sd a3, 16(a0)
  c.lui a3, 1
  c.sd a3, 24(a0)
  c.lui a3, 31
  c.sd a3, 32(a0)
  c.lui a3, 0xfffe0
  c.sd a3, 40(a0)
  c.lui a3, 0xfffff
  c.sd a3, 48(a0)
  c.li t0, -1
  sd t0, 56(a0)
  c.mv a4, sp
  c.addi16sp sp, -512
  c.mv a5, sp
  c.addi16sp sp, 496
  c.addi16sp sp, 16
  sub a5, a4, a5
  c.sd a5, 64(a0)
  c.addi4spn a5, sp, 4
  sub a5, a5, sp
  c.sd a5, 72(a0)
  c.addi4spn a5, sp, 1020
  sub a5, a5, sp
  c.sd a5, 80(a0)
  c.nop
  c.li a3, 7
  c.nop
  c.sd a3, 88(a0)
  ret

/* rvc_mem(u64* out, u64* buf): loads and stores; buf holds 8 dwords, f8/f9 scratch */
  .globl rvc_mem
rvc_mem:
  c.lw a3, 0(a1)
  c.sd a3, 0(a0)
  c.lw a3, 4(a1)
  c.sd a3, 8(a0)
  c.lw a3, 124(a1)
  c.sd a3, 16(a0)
  c.ld a3, 8(a1)
  c.sd a3, 24(a0)
  c.ld a3, 248(a1)
  c.sd a3, 32(a0)
  c.fld fa5, 16(a1)
  c.fsd fa5, 40(a0)
  li a3, 0x1122334455667788
  c.sw a3, 24(a1)
  c.sd a3, 32(a1)
  c.ld a4, 24(a1)
  c.sd a4, 48(a0)
  c.ld a4, 32(a1)
  c.sd a4, 56(a0)
  c.fsd fa5, 40(a1)
  c.ld a4, 40(a1)
  c.sd a4, 64(a0)
  /* stack-pointer relative forms on a scratch frame */
  c.addi16sp sp, -256
  li t0, 0x0a0b0c0d0e0f1011
  c.sdsp t0, 0(sp)
  c.sdsp t0, 504(sp)
  c.swsp t0, 8(sp)
  c.swsp t0, 252(sp)
  c.ldsp t1, 0(sp)
  sd t1, 72(a0)
  c.ldsp t1, 504(sp)
  sd t1, 80(a0)
  c.lwsp t1, 8(sp)
  sd t1, 88(a0)
  c.lwsp t1, 252(sp)
  sd t1, 96(a0)
  c.fldsp ft0, 0(sp)
  c.fsdsp ft0, 16(sp)
  c.ldsp t1, 16(sp)
  sd t1, 104(a0)
  c.fsdsp fa5, 496(sp)
  c.fldsp ft1, 496(sp)
  fmv.x.d t1, ft1
  sd t1, 112(a0)
  /* c.lw sign-extends */
  li t0, -2
  c.swsp t0, 24(sp)
  c.lwsp t1, 24(sp)
  sd t1, 120(a0)
  c.addi16sp sp, 256
  ret

/* rvc_ctrl(u64* out, u64 x): jumps and branches */
  .globl rvc_ctrl
rvc_ctrl:
  c.mv t2, ra
  /* c.j forward and backward */
  c.li a3, 0
  c.j 2f
1:
  c.addi a3, 1
  c.j 3f
2:
  c.addi a3, 2
  c.j 1b
3:
  c.sd a3, 0(a0)
  /* c.beqz / c.bnez on x (a1) */
  c.li a3, 0
  c.mv a4, a1
  c.beqz a4, 4f
  c.addi a3, 1
4:
  c.bnez a4, 5f
  c.addi a3, 2
5:
  c.sd a3, 8(a0)
  /* c.jalr: link = address of c.jalr + 2 */
  la t0, rvc_leaf
6:
  c.jalr t0
  la t1, 6b
  sub t1, ra, t1
  sd t1, 16(a0)
  sd a5, 24(a0)
  /* c.jr */
  la t0, 7f
  c.jr t0
  c.li a3, 9
7:
  c.li a3, 5
  c.sd a3, 32(a0)
  c.mv ra, t2
  c.jr ra

rvc_leaf:
  c.li a5, 17
  c.jr ra

/* rvc_ebreak: executes c.ebreak (the C side installs a handler). */
  .globl rvc_ebreak
rvc_ebreak:
  c.ebreak
  ret

/* rvc_illegal_N: reserved compressed encodings. */
  .globl rvc_illegal_zero
rvc_illegal_zero:
  .2byte 0x0000        /* all zeros: illegal */
  ret
  .globl rvc_illegal_addi4spn0
rvc_illegal_addi4spn0:
  .2byte 0x0004        /* c.addi4spn a1, sp, 0: reserved */
  ret
  .globl rvc_illegal_lui0
rvc_illegal_lui0:
  .2byte 0x6681        /* c.lui a3, 0: reserved */
  ret
  .globl rvc_illegal_addi16sp0
rvc_illegal_addi16sp0:
  .2byte 0x6101        /* c.addi16sp sp, 0: reserved */
  ret
  .globl rvc_illegal_jr0
rvc_illegal_jr0:
  .2byte 0x8002        /* c.jr x0: reserved */
  ret
  .globl rvc_illegal_lwsp0
rvc_illegal_lwsp0:
  .2byte 0x4002        /* c.lwsp x0: reserved */
  ret
