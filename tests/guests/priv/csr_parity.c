/* CSR parity with QEMU 7.2 (issue 14): which PMP CSRs exist (16 entries: pmpcfg0/2,
 * pmpaddr0..15; everything else in 0x3a0..0x3ef raises illegal instruction, read or write)
 * and the machine ID CSRs (QEMU puts its version in marchid/mimpid). OpenSBI probes
 * pmpaddr16 at boot, so a difference here shifts a Linux boot by one instruction. */
#include "guest.h"

extern char csr_read_stubs[], csr_write_stubs[];
u64 minstret_around_pmpaddr16(void);
u64 minstret_around_pmpcfg4(void);
u64 minstret_around_pmpaddr15(void);

static struct { int valid; u64 cause, tval; } rec;
static int m_handler(struct trap_frame* tf) {
  rec.valid = 1;
  rec.cause = tf->cause;
  rec.tval = tf->tval;
  skip_insn(tf);
  return 1;
}

enum { kFirst = 0x3a0, kCount = 80, kStubBytes = 8 };

static void print_access(const char* what) {
  if (rec.valid)
    printf_(" %s=trap cause=%lx tval=%x", what, rec.cause, (u32)rec.tval);
  else
    printf_(" %s=ok", what);
}

int main(void) {
  set_m_handler(m_handler);
  for (unsigned k = 0; k < kCount; k++) {
    const unsigned n = kFirst + k;
    u64 (*rd)(u64) = (u64(*)(u64))(csr_read_stubs + k * kStubBytes);
    void (*wr)(u64) = (void (*)(u64))(csr_write_stubs + k * kStubBytes);
    if (n < 0x3b0)
      printf_("pmpcfg%u", n - 0x3a0);
    else
      printf_("pmpaddr%u", n - 0x3b0);
    memset(&rec, 0, sizeof rec);
    /* The values are not printed: QEMU keeps all 64 bits of pmpaddr (docs/qemu-icount.md §7). */
    const u64 v = rd(0);
    print_access("read");
    /* Writing back what was read leaves the PMP as crt0 set it (0 if the read trapped). */
    memset(&rec, 0, sizeof rec);
    wr(v);
    print_access("write");
    putchar_('\n');
  }

  /* A trapping CSR access is not counted (docs/qemu-icount.md §3); the handler is the same
   * on both, so these deltas differ by exactly that. */
  printf_("minstret delta: pmpaddr15 (ok) %lu, pmpaddr16 (trap) %lu, pmpcfg4 (trap) %lu\n",
          minstret_around_pmpaddr15(), minstret_around_pmpaddr16(), minstret_around_pmpcfg4());

  memset(&rec, 0, sizeof rec);
  /* QEMU's micro version changes with Debian's stable updates (7.2.22 when measured); the
   * release, 7.2, is what lockstep matches, so the micro byte is not compared. */
  const u64 arch_id = csr_read(marchid), imp_id = csr_read(mimpid);
  printf_("mvendorid=%lx marchid=%lx.. mimpid=%lx.. equal=%d", csr_read(mvendorid), arch_id >> 8, imp_id >> 8,
          arch_id == imp_id);
  print_access("ids");
  putchar_('\n');
  return 0;
}
