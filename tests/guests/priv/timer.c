/* CLINT/ACLINT timer and software interrupts: mtimecmp interrupts (taken at the icount
 * QEMU computes, see docs/qemu-icount.md), MTIP visibility in mip, clearing it, msip,
 * 32-bit halves of mtimecmp, writing mtime, priorities, M interrupts while in U/S with
 * MIE = 0, STIP injected by M and delegated to S. */
#include "guest.h"

extern u64 spin_until(volatile u64* flag);
extern long spin_until_u(long flag);

static volatile u64 flag;
static struct { u64 n; u64 cause[8], epc[8], minstret[8], mtime[8], prv[8]; } log;

static int m_handler(struct trap_frame* tf) {
  u64 now = csr_read(minstret);
  if ((i64)tf->cause >= 0) return 0;
  if (log.n < 8) {
    log.cause[log.n] = tf->cause;
    log.epc[log.n] = tf->epc;
    log.minstret[log.n] = now;
    log.mtime[log.n] = mmio_read64(CLINT_MTIME);
    log.prv[log.n] = (tf->status >> 11) & 3;
    log.n++;
  }
  u64 c = tf->cause & 0xff;
  if (c == 3) mmio_write32(CLINT_MSIP, 0);
  if (c == 7) mmio_write64(CLINT_MTIMECMP, ~0ul);
  flag = 1;
  return 1;
}

static int s_handler(struct trap_frame* tf) {
  if (log.n < 8) {
    log.cause[log.n] = tf->cause;
    log.epc[log.n] = tf->epc;
    log.minstret[log.n] = 0;
    log.mtime[log.n] = 0;
    log.prv[log.n] = (tf->status >> 8) & 1;
    log.n++;
  }
  csr_clear(sie, 1 << 5); /* STIP can only be cleared by M */
  flag = 1;
  return 1;
}

static void dump(const char* what, u64 base) {
  printf_("%s: %ld interrupt(s)\n", what, log.n);
  for (u64 i = 0; i < log.n; i++)
    printf_("  cause=%lx from-priv=%ld minstret-base=%ld mtime=%ld\n", log.cause[i], log.prv[i],
            log.minstret[i] ? (i64)(log.minstret[i] - base) : -1, log.mtime[i]);
  memset(&log, 0, sizeof log);
}

static long s_wait_stip(long arg) {
  (void)arg;
  csr_set(sie, 1 << 5);
  csr_set(sstatus, MSTATUS_SIE);
  u64 n = spin_until(&flag);
  csr_clear(sstatus, MSTATUS_SIE);
  return (long)n;
}

int main(void) {
  set_m_handler(m_handler);
  set_s_handler(s_handler);
  csr_write(stvec, (u64)trap_vector_s);

  /* WARL masks */
  /* Only the standard M/S bits are printed (mask 0xaaa): QEMU 7.2 with h=false still
   * lets the VS bits (2, 6, 10) and LCOFIP (13) be written. */
  csr_write(mie, ~0ul);
  printf_("mie writable (M/S bits): %lx\n", csr_read(mie) & 0xaaa);
  csr_write(mie, 0);
  mmio_write64(CLINT_MTIMECMP, ~0ul);
  csr_write(mip, ~0ul);
  printf_("mip after writing ~0 (M/S bits): %lx\n", csr_read(mip) & 0xaaa);
  csr_write(mip, 0);
  printf_("mip after writing 0: %lx\n", csr_read(mip));

  /* msip register */
  mmio_write32(CLINT_MSIP, 0xffffffffu);
  printf_("msip after writing ~0: %x mip=%lx\n", mmio_read32(CLINT_MSIP), csr_read(mip));
  mmio_write32(CLINT_MSIP, 0);
  printf_("msip after writing 0: %x mip=%lx\n", mmio_read32(CLINT_MSIP), csr_read(mip));

  /* mtimecmp: 64-bit and 32-bit halves */
  mmio_write64(CLINT_MTIMECMP, 0x1122334455667788ul);
  printf_("mtimecmp=%lx lo=%x hi=%x\n", mmio_read64(CLINT_MTIMECMP), mmio_read32(CLINT_MTIMECMP),
          mmio_read32(CLINT_MTIMECMP + 4));
  mmio_write32(CLINT_MTIMECMP + 4, 0xffffffffu);
  mmio_write32(CLINT_MTIMECMP, 0xabcdef01u);
  printf_("after 32-bit writes: mtimecmp=%lx\n", mmio_read64(CLINT_MTIMECMP));
  mmio_write64(CLINT_MTIMECMP, ~0ul);

  /* MTIP with MIE = 0: poll mip until it appears */
  u64 t0 = mmio_read64(CLINT_MTIME);
  mmio_write64(CLINT_MTIMECMP, t0 + 5);
  u64 polls = 0;
  while (!(csr_read(mip) & 0x80)) polls++;
  printf_("MTIP polled: %ld polls, mtime-t0=%ld\n", polls, mmio_read64(CLINT_MTIME) - t0);
  mmio_write64(CLINT_MTIMECMP, ~0ul);
  printf_("after mtimecmp=~0: mip=%lx\n", csr_read(mip));

  /* Timer interrupt taken in M, at the deadline */
  for (u64 d = 1; d <= 40; d += 13) {
    flag = 0;
    csr_set(mie, 0x80);
    u64 now = mmio_read64(CLINT_MTIME);
    u64 base = csr_read(minstret);
    mmio_write64(CLINT_MTIMECMP, now + d);
    csr_set(mstatus, MSTATUS_MIE);
    u64 n = spin_until(&flag);
    csr_clear(mstatus, MSTATUS_MIE);
    csr_clear(mie, 0x80);
    printf_("timer +%ld ticks: spins=%ld\n", d, n);
    dump("  taken", base);
  }

  /* Software interrupt */
  flag = 0;
  csr_set(mie, 0x8);
  csr_set(mstatus, MSTATUS_MIE);
  u64 base = csr_read(minstret);
  mmio_write32(CLINT_MSIP, 1);
  u64 n = spin_until(&flag);
  csr_clear(mstatus, MSTATUS_MIE);
  csr_clear(mie, 0x8);
  printf_("msip: spins=%ld\n", n);
  dump("  taken", base);

  /* Priority: MSIP and MTIP both pending, then MIE=1 */
  mmio_write32(CLINT_MSIP, 1);
  mmio_write64(CLINT_MTIMECMP, 0);
  csr_set(mie, 0x88);
  base = csr_read(minstret);
  csr_set(mstatus, MSTATUS_MIE);
  __asm__ volatile("nop\n nop\n nop");
  csr_clear(mstatus, MSTATUS_MIE);
  csr_clear(mie, 0x88);
  dump("both pending", base);

  /* M interrupts are taken in U even with MIE = 0 */
  flag = 0;
  csr_clear(mstatus, MSTATUS_MIE);
  csr_set(mie, 0x80);
  mmio_write64(CLINT_MTIMECMP, mmio_read64(CLINT_MTIME) + 20);
  base = csr_read(minstret);
  n = (u64)run_in_mode(0, spin_until_u, (long)&flag);
  csr_clear(mie, 0x80);
  printf_("timer while in U (MIE=0): spins=%ld\n", n);
  dump("  taken", base);

  /* STIP set by M, delegated to S */
  flag = 0;
  csr_write(mideleg, 1 << 5);
  csr_set(mip, 1 << 5);
  printf_("mip after setting STIP: %lx sip=%lx\n", csr_read(mip), csr_read(sip));
  n = (u64)run_in_mode(1, s_wait_stip, 0);
  csr_clear(mip, 1 << 5);
  csr_write(mideleg, 0);
  printf_("STIP delegated to S: spins=%ld\n", n);
  dump("  taken", 0);

  /* Writing mtime */
  mmio_write64(CLINT_MTIME, 1000000ul);
  u64 a = mmio_read64(CLINT_MTIME);
  u64 b;
  __asm__ volatile("csrr %0, time" : "=r"(b));
  printf_("after mtime=1000000: mtime=%ld time=%ld\n", a, b);
  flag = 0;
  csr_set(mie, 0x80);
  mmio_write64(CLINT_MTIMECMP, 1000010ul);
  base = csr_read(minstret);
  csr_set(mstatus, MSTATUS_MIE);
  n = spin_until(&flag);
  csr_clear(mstatus, MSTATUS_MIE);
  csr_clear(mie, 0x80);
  printf_("timer after mtime write: spins=%ld\n", n);
  dump("  taken", base);

  set_m_handler(0);
  set_s_handler(0);
  return 0;
}
