/* A extension: LR/SC sequences that C cannot express reliably. */
  .text

/* u64 lrsc_d(u64* p, u64 newval, u64 mode, u64* scratch) -> sc result | (old << 8)
 * mode 0: lr; sc                       (success)
 * mode 1: lr; store same value; sc     (QEMU: success, value compare)
 * mode 2: lr; store other value; sc    (fail)
 * mode 3: sc without lr                (fail)
 * mode 4: lr p; sc other address       (fail) then sc p (fail: reservation gone)
 * mode 5: lr; lr again; sc             (success)
 * mode 6: lr; store to another dword of the same line; sc (QEMU: success)
 * mode 7: lr.d; sc.w at the same address (QEMU: reservation by address; result printed) */
  .globl lrsc_d
lrsc_d:
  li t3, 1
  beq a2, zero, 10f
  beq a2, t3, 11f
  li t3, 2
  beq a2, t3, 12f
  li t3, 3
  beq a2, t3, 13f
  li t3, 4
  beq a2, t3, 14f
  li t3, 5
  beq a2, t3, 15f
  li t3, 6
  beq a2, t3, 16f
  j 17f
10:
  lr.d t0, (a0)
  sc.d t1, a1, (a0)
  j 20f
11:
  lr.d t0, (a0)
  sd t0, 0(a0)
  sc.d t1, a1, (a0)
  j 20f
12:
  lr.d t0, (a0)
  addi t2, t0, 1
  sd t2, 0(a0)
  sc.d t1, a1, (a0)
  j 20f
13:
  ld t0, 0(a0)
  sc.d t1, a1, (a0)
  j 20f
14:
  lr.d t0, (a0)
  sc.d t1, a1, (a3)
  sc.d t2, a1, (a0)
  slli t2, t2, 1
  or t1, t1, t2
  j 20f
15:
  lr.d t0, (a0)
  lr.d t0, (a0)
  sc.d t1, a1, (a0)
  j 20f
16:
  lr.d t0, (a0)
  sd t0, 8(a0)
  sc.d t1, a1, (a0)
  j 20f
17:
  lr.d t0, (a0)
  sc.w t1, a1, (a0)
20:
  slli t0, t0, 8
  or a0, t0, t1
  ret

/* u64 lrsc_w(u32* p, u64 newval): lr.w result (sign-extended) in bits 63..8? No: returns
 * lr.w value; *p updated by sc.w; sc result stored at p[1]. */
  .globl lrsc_w
lrsc_w:
  lr.w t0, (a0)
  sc.w t1, a1, (a0)
  sw t1, 4(a0)
  mv a0, t0
  ret

/* u64 lrsc_loop_add(u64* p, u64 n): atomic increment n times with an LR/SC loop. */
  .globl lrsc_loop_add
lrsc_loop_add:
  li t2, 0
1:
  lr.d.aqrl t0, (a0)
  addi t0, t0, 1
  sc.d.rl t1, t0, (a0)
  add t2, t2, t1
  bnez t1, 1b
  addi a1, a1, -1
  bnez a1, 1b
  mv a0, t2
  ret
