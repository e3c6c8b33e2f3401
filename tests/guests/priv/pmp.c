/* PMP: TOR, NA4 and NAPOT regions, priority by index, partial matches, no-match in
 * S/U, M-mode exemption for unlocked entries, locked entries, WARL behaviour of
 * pmpcfg/pmpaddr. Every probe prints ok/value or the fault's mcause and mtval. */
#include "guest.h"
#include "vm.h"

#define PMP_R 0x01
#define PMP_W 0x02
#define PMP_X 0x04
#define PMP_OFF 0x00
#define PMP_TOR 0x08
#define PMP_NA4 0x10
#define PMP_NAPOT 0x18
#define PMP_L 0x80

static struct { int valid; u64 cause, tval; } rec;
static int m_handler(struct trap_frame* tf) {
  rec.valid = 1;
  rec.cause = tf->cause;
  rec.tval = tf->tval;
  if (tf->cause == 1)
    tf->epc = tf->x[1];
  else
    skip_insn(tf);
  return 1;
}

static u64 cfg[16], addr[16];
static void pmp_write_all(void) {
  u64 c0 = 0, c2 = 0;
  for (int i = 0; i < 8; i++) c0 |= cfg[i] << (8 * i);
  for (int i = 0; i < 8; i++) c2 |= cfg[8 + i] << (8 * i);
  /* disable everything first so that no transient state matters */
  csr_write(pmpcfg0, 0);
  csr_write(pmpcfg2, 0);
#define A(i) csr_write(pmpaddr##i, addr[i]);
  A(0) A(1) A(2) A(3) A(4) A(5) A(6) A(7) A(8) A(9) A(10) A(11) A(12) A(13) A(14) A(15)
#undef A
  csr_write(pmpcfg0, c0);
  csr_write(pmpcfg2, c2);
}
static u64 napot(u64 base, u64 size) { return (base >> 2) | ((size / 2 - 1) >> 2); }

struct req { int op; u64 pa, val; };
static long probe_fn(long arg) {
  struct req* r = (struct req*)arg;
  u64 v = 0xdead;
  switch (r->op) {
    case 0: __asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(r->pa) : "memory"); break;
    case 1: __asm__ volatile("sd %0, 0(%1)" ::"r"(r->val), "r"(r->pa) : "memory"); v = 0; break;
    case 2: __asm__ volatile("mv a0, %0\n jalr ra, 0(%1)\n mv %0, a0" : "+r"(v) : "r"(r->pa) : "ra", "a0", "memory"); break;
    case 3: __asm__ volatile("lw %0, 0(%1)" : "+r"(v) : "r"(r->pa) : "memory"); break;
  }
  return (long)v;
}

static u8* region; /* 64 KiB, 64 KiB aligned */

static void probe(int mode, const char* name, int op, u64 off, u64 val) {
  struct req r = {op, (u64)region + off, val};
  memset(&rec, 0, sizeof rec);
  long res = mode == 3 ? probe_fn((long)&r) : run_in_mode(mode, probe_fn, (long)&r);
  printf_("%c %s %s +%lx: ", mode == 3 ? 'M' : mode == 1 ? 'S' : 'U', name,
          op == 0 ? "ld" : op == 1 ? "sd" : op == 2 ? "exec" : "lw", off);
  if (rec.valid)
    printf_("fault mcause=%lx mtval=+%lx\n", rec.cause, rec.tval - (u64)region);
  else
    printf_("ok %lx\n", (u64)res);
}

int main(void) {
  set_m_handler(m_handler);
  /* a 64 KiB aligned test region in the heap */
  u64 h = ((u64)__heap_start + 0xffff) & ~0xfffful;
  region = (u8*)h + 0x10000;
  for (int i = 0; i < 0x10000 / 8; i++) ((u64*)region)[i] = 0xa5a5000000000000ul | (u64)i;
  /* a code snippet at +0x3000 and +0x5000: addi a0, a0, 1; ret */
  for (u64 off = 0x3000; off <= 0x5000; off += 0x2000) {
    ((u32*)(region + off))[0] = 0x00150513;
    ((u32*)(region + off))[1] = 0x00008067;
  }
  __asm__ volatile("fence.i");

  /* WARL */
  csr_write(pmpaddr0, ~0ul);
  /* Bits 63:54 are masked: QEMU 7.2 keeps all 64 bits (the spec makes them zero). */
  printf_("pmpaddr0 after writing ~0: %lx\n", csr_read(pmpaddr0) & 0x003ffffffffffffful);
  csr_write(pmpcfg0, 0x1f);
  memset(&rec, 0, sizeof rec);
  u64 v = csr_read(pmpcfg1);
  printf_("csrr pmpcfg1 (odd, RV32 only): trap=%d mcause=%lx\n", rec.valid, rec.cause);
  (void)v;

  /* Layout (entry: region offset range, permissions):
   *   0: NA4   +0x0010          R
   *   1: NAPOT +0x1000..0x2000  none
   *   2: TOR   +0x2000..0x2800 (pmpaddr1 is the NAPOT above, so TOR base comes from entry 1's
   *            raw pmpaddr: use entries 2/3 as OFF+TOR instead)
   *   2: OFF   base = +0x3000
   *   3: TOR   +0x3000..+0x3800  X
   *   4: NAPOT +0x4000..+0x6000  RW   (8 KiB)
   *   5: NAPOT +0x4000..+0x5000  R    (lower priority than 4: never wins)
   *  13: TOR   0..region+0x8000  RWX  (everything below, incl. code, data, MMIO)
   *  14: OFF   base = region + 0x9000
   *  15: TOR   region+0x9000..top RWX
   * region+0x8000..+0x9000 matches nothing. */
  memset(cfg, 0, sizeof cfg);
  memset(addr, 0, sizeof addr);
  u64 base = (u64)region;
  cfg[0] = PMP_NA4 | PMP_R; addr[0] = (base + 0x10) >> 2;
  cfg[1] = PMP_NAPOT; addr[1] = napot(base + 0x1000, 0x1000);
  cfg[2] = PMP_OFF; addr[2] = (base + 0x3000) >> 2;
  cfg[3] = PMP_TOR | PMP_X; addr[3] = (base + 0x3800) >> 2;
  cfg[4] = PMP_NAPOT | PMP_R | PMP_W; addr[4] = napot(base + 0x4000, 0x2000);
  cfg[5] = PMP_NAPOT | PMP_R; addr[5] = napot(base + 0x4000, 0x1000);
  cfg[13] = PMP_TOR | PMP_R | PMP_W | PMP_X; addr[13] = (base + 0x8000) >> 2;
  cfg[14] = PMP_OFF; addr[14] = (base + 0x9000) >> 2;
  cfg[15] = PMP_TOR | PMP_R | PMP_W | PMP_X; addr[15] = ~0ul >> 10;
  pmp_write_all();
  printf_("pmpcfg0=%lx pmpcfg2=%lx pmpaddr1=%lx pmpaddr4=%lx\n", csr_read(pmpcfg0), csr_read(pmpcfg2),
          csr_read(pmpaddr1), csr_read(pmpaddr4));

  for (int mode = 0; mode <= 3; mode++) {
    if (mode == 2) continue;
    probe(mode, "NA4 R", 0, 0x10, 0);
    probe(mode, "NA4 R", 3, 0x14, 0); /* outside the NA4 (falls to entry 13) */
    probe(mode, "NA4 R", 1, 0x10, 1);
    probe(mode, "NA4 R", 1, 0x14, 2);
    probe(mode, "NA4 partial", 0, 0x0c, 0);
    probe(mode, "NAPOT none", 0, 0x1008, 0);
    probe(mode, "NAPOT none", 1, 0x1ff8, 3);
    probe(mode, "TOR X", 2, 0x3000, 0);
    probe(mode, "TOR X", 0, 0x3000, 0);
    probe(mode, "NAPOT RW over R", 1, 0x4008, 4);
    probe(mode, "NAPOT RW", 0, 0x5ff8, 0);
    probe(mode, "NAPOT RW", 2, 0x5000, 0);
    probe(mode, "no match", 0, 0x8000, 0);
    probe(mode, "no match", 1, 0x8ff8, 5);
    probe(mode, "after gap", 0, 0x9000, 0);
    /* Not probed: an access that crosses a page boundary and the end of a PMP region.
     * QEMU 7.2 checks each page part separately and the outcome depends on its TLB
     * state (U passed, S faulted for the same access), so it is no reference. */
  }

  /* Locked entries: apply to M too, and cannot be changed. Entry 6: NAPOT +0x6000 4 KiB,
   * R only, locked. Entry 8 TOR with L locks pmpaddr7 (its base). */
  cfg[6] = PMP_NAPOT | PMP_R | PMP_L; addr[6] = napot(base + 0x6000, 0x1000);
  cfg[7] = PMP_OFF; addr[7] = (base + 0x7000) >> 2;
  cfg[8] = PMP_TOR | PMP_R | PMP_L; addr[8] = (base + 0x7800) >> 2;
  pmp_write_all();
  probe(3, "locked R", 0, 0x6008, 0);
  probe(3, "locked R", 1, 0x6008, 6);
  probe(3, "locked R", 2, 0x6000, 0);
  probe(3, "locked TOR R", 1, 0x7000, 7);
  probe(1, "locked R", 1, 0x6008, 6);
  /* try to change locked state */
  u64 c0 = csr_read(pmpcfg0);
  csr_write(pmpcfg0, c0 & ~(0xfful << 48)); /* clear entry 6 */
  csr_write(pmpaddr6, 0);
  csr_write(pmpaddr7, 0);
  printf_("after writes to locked: pmpcfg0=%lx pmpaddr6=%lx pmpaddr7-base=%lx\n", csr_read(pmpcfg0),
          csr_read(pmpaddr6), (csr_read(pmpaddr7) << 2) - base);
  probe(3, "still locked", 1, 0x6008, 6);

  set_m_handler(0);
  return 0;
}
