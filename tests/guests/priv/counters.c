/* Counters: cycle/instret/time (and their M-mode names) from M, S and U under every
 * mcounteren/scounteren setting; counter writes; the hpm counters read as zero. */
#include "guest.h"

static struct { int valid; u64 cause, tval; } rec;
static int m_handler(struct trap_frame* tf) {
  rec.valid = 1;
  rec.cause = tf->cause;
  rec.tval = tf->tval;
  skip_insn(tf);
  return 1;
}

/* Reads the counter twice back to back; returns the difference, or the trap. */
#define READ2(fname, csr)                                                               \
  static long fname(long arg) {                                                        \
    (void)arg;                                                                         \
    u64 a = 0, b = 0;                                                                  \
    __asm__ volatile("csrr %0, " #csr "\n csrr %1, " #csr : "+r"(a), "+r"(b));         \
    return (long)(b - a);                                                              \
  }
READ2(r_cycle, cycle) READ2(r_instret, instret) READ2(r_time, time) READ2(r_hpm3, hpmcounter3)
/* Not used: hpmcounter19..31. QEMU 7.2 (pmu-num=16) implements 3..18 only; above that
 * the user names trap in M-mode and mhpmcounter31 reads a garbage value. */

/* Reads instret and cycle at the same instruction distance. */
static long r_pair(long arg) {
  (void)arg;
  u64 i, c;
  __asm__ volatile("csrr %0, instret\n csrr %1, cycle" : "=r"(i), "=r"(c));
  return (long)(c - i);
}

static const struct { const char* name; long (*fn)(long); } rd[] = {
    {"cycle", r_cycle}, {"instret", r_instret}, {"time", r_time}, {"hpmcounter3", r_hpm3},
};

static void try_all(int mode, u64 mcen, u64 scen) {
  csr_write(mcounteren, mcen);
  csr_write(scounteren, scen);
  for (unsigned k = 0; k < sizeof rd / sizeof rd[0]; k++) {
    memset(&rec, 0, sizeof rec);
    long d = mode == 3 ? rd[k].fn(0) : run_in_mode(mode, rd[k].fn, 0);
    printf_("%c mcounteren=%lx scounteren=%lx %s: ", mode == 3 ? 'M' : mode ? 'S' : 'U', mcen, scen, rd[k].name);
    if (rec.valid)
      printf_("trap mcause=%lx mtval=%lx\n", rec.cause, rec.tval);
    else
      printf_("ok delta=%ld\n", d);
  }
}

int main(void) {
  set_m_handler(m_handler);
  csr_write(mcounteren, ~0ul);
  csr_write(scounteren, ~0ul);
  printf_("mcounteren writable=%lx scounteren writable=%lx\n", csr_read(mcounteren) & 0xffffffff,
          csr_read(scounteren) & 0xffffffff);

  /* M-mode names and user names agree */
  u64 a, b, c, d;
  __asm__ volatile("csrr %0, minstret\n csrr %1, instret\n csrr %2, mcycle\n csrr %3, cycle"
                   : "=r"(a), "=r"(b), "=r"(c), "=r"(d));
  printf_("instret-minstret=%ld cycle-mcycle=%ld mcycle-minstret=%ld\n", (i64)(b - a), (i64)(d - c), (i64)(c - a));
  printf_("mhpmcounter3=%lx mhpmevent3=%lx\n", csr_read(mhpmcounter3), csr_read(mhpmevent3));

  /* counter writes */
  csr_write(minstret, 0);
  __asm__ volatile("csrr %0, minstret" : "=r"(a));
  csr_write(mcycle, 1ul << 40);
  __asm__ volatile("csrr %0, mcycle" : "=r"(c));
  printf_("minstret after writing 0: %ld, mcycle after writing 2^40: %lx\n", a, c);
  memset(&rec, 0, sizeof rec);
  __asm__ volatile("csrw instret, zero");
  printf_("csrw instret (read-only): trap=%d mcause=%lx\n", rec.valid, rec.cause);
  memset(&rec, 0, sizeof rec);
  __asm__ volatile("csrw time, zero");
  printf_("csrw time (read-only): trap=%d mcause=%lx\n", rec.valid, rec.cause);

  try_all(3, 0, 0);
  try_all(1, 0, 0);
  try_all(1, 0x7, 0);
  try_all(1, 0x5, 0);
  try_all(1, 0x80000008ul, 0);
  try_all(0, 0x7, 0);
  try_all(0, 0x7, 0x7);
  try_all(0, 0x2, 0x7);
  try_all(0, 0x7, 0x2);
  csr_write(mcounteren, 7);
  csr_write(scounteren, 7);
  printf_("S cycle-instret at the next instruction: %ld\n", run_in_mode(1, r_pair, 0));
  printf_("U cycle-instret at the next instruction: %ld\n", run_in_mode(0, r_pair, 0));
  csr_write(mcounteren, 0);
  csr_write(scounteren, 0);
  set_m_handler(0);
  return 0;
}
