/* riscv-tests-style HTIF guest (lockstep only; QEMU's virt board has no HTIF): tohost and
 * fromhost in a .tohost section, begin_signature/end_signature around a signature region.
 * Prints "htif console ok\n" through HTIF device 1 command 1, a byte at a time, waiting for
 * fromhost each time; stores a known pattern into the signature; exits through HTIF device 0
 * with code HTIF_EXIT_CODE (tohost = (code << 1) | 1). The runtime's crt0 calls main; nothing
 * else of it is used (its exit goes through sifive_test, not HTIF). */
#ifndef HTIF_EXIT_CODE
#define HTIF_EXIT_CODE 0
#endif

  .text
  .globl main
main:
  /* Console. */
  la s0, message
  la s1, tohost
  la s2, fromhost
  li s3, (1 << 56) | (1 << 48)
1:
  lbu a0, 0(s0)
  beqz a0, 3f
  or a0, a0, s3
  sd a0, 0(s1)
2:
  ld t0, 0(s2)          /* wait for the host's answer */
  beqz t0, 2b
  sd zero, 0(s2)
  addi s0, s0, 1
  j 1b
3:
  /* Signature pattern: word, word, doubleword (little-endian split), one byte into a
   * preset word; the last three words keep their initial values. */
  la t0, begin_signature
  li t1, 0x76543210
  sw t1, 0(t0)
  li t1, 0xfedcba98
  sw t1, 4(t0)
  li t1, 0x0011223344556677
  sd t1, 8(t0)
  li t1, 0xaa
  sb t1, 16(t0)
  fence
  /* Exit. */
  li t1, (HTIF_EXIT_CODE << 1) | 1
  sd t1, 0(s1)
4:
  j 4b                  /* the host stops the machine */

  .section .rodata
message:
  .asciz "htif console ok\n"

  .section .tohost, "aw", @progbits
  .align 6
  .globl tohost
tohost:
  .dword 0
  .align 6
  .globl fromhost
fromhost:
  .dword 0

  .data
  .align 4
  .globl begin_signature
begin_signature:
  .word 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff
  .word 0xdeadbeef, 0xdeadbeef, 0x00000000, 0xcafef00d
  .globl end_signature
end_signature:
  .word 0x5a5a5a5a      /* past the end: not in the signature */
