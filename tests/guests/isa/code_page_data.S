/* One page holding both code and the data that code writes (as a default link leaves the last
 * code page of a small program), for code_page_data.c. Everything here is on the same 4 KiB page. */
  .section .text.code_page, "ax"
  .option push
  .option norvc           /* patchable's addi must be the 4-byte encoding the C side rewrites */
  .balign 4096
  .globl code_page_start
code_page_start:

/* u64 count_on_page(u64 n): n times, load, increment and store `page_counter` (data bytes on this
 * code page) and add `page_words[i % 8]`; returns the sum. */
  .globl count_on_page
count_on_page:
  li t2, 0
  la t3, page_counter
  la t4, page_words
1:
  ld t1, 0(t3)
  addi t1, t1, 1
  sd t1, 0(t3)
  andi t5, a0, 7
  slli t5, t5, 2
  add t5, t5, t4
  lw t6, 0(t5)
  add t2, t2, t6
  sw t2, 0(t5)            /* data right after code on the same page */
  addi a0, a0, -1
  bnez a0, 1b
  mv a0, t2
  ret

/* u64 patchable(u64 a0): a0 + imm; code_page_data.c rewrites the addi. */
  .globl patchable
patchable:
  .globl patchable_addi
patchable_addi:
  addi a0, a0, 1
  ret

/* u64 rewrite_loop(u64 n, u32 new_insn_low, u32 new_insn_high): n times: call patchable, and
 * every 64th iteration rewrite the low or high half of its addi with sh (a store into code, on
 * the page this loop runs from, without fence.i). */
  .globl rewrite_loop
rewrite_loop:
  addi sp, sp, -48
  sd ra, 0(sp)
  sd s0, 8(sp)
  sd s1, 16(sp)
  sd s2, 24(sp)
  sd s3, 32(sp)
  mv s0, a0
  mv s2, a1
  mv s3, a2
  li s1, 0
  la t3, patchable_addi
2:
  mv a0, s1
  call patchable
  mv s1, a0
  andi t0, s0, 63
  bnez t0, 3f
  andi t0, s0, 64
  la t3, patchable_addi
  beqz t0, 4f
  sh s3, 2(t3)            /* the immediate's upper bits: overlaps code by two bytes */
  j 3f
4:
  sh s2, 0(t3)
3:
  addi s0, s0, -1
  bnez s0, 2b
  mv a0, s1
  ld ra, 0(sp)
  ld s0, 8(sp)
  ld s1, 16(sp)
  ld s2, 24(sp)
  ld s3, 32(sp)
  addi sp, sp, 48
  ret

  .balign 8
  .globl page_counter
page_counter:
  .dword 0
  .globl page_words
page_words:
  .word 1, 2, 3, 4, 5, 6, 7, 8
  .option pop
