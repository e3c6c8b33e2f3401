/* QEMU icount calibration guest: prints the raw numbers that docs/qemu-icount.md
 * explains. Its output is also a differential test: lockstep must print the same. */
#include "guest.h"

extern u64 entry_vals[7];
struct m { u64 before, after, in_handler, cause, tval, epc; };
#define K(name) extern void name(struct m* out, ...);
K(m_b2b) K(m_nop10) K(m_cycle_b2b) K(m_ecall) K(m_ebreak) K(m_illegal) K(m_illegal_zero)
K(m_load) K(m_store) K(m_lw) K(m_lrw) K(m_lrd) K(m_scd) K(m_amoaddw) K(m_amoswapd)
K(m_mprv_load) K(m_mret) K(m_fetch) K(m_csr_ro) K(m_csr_none) K(m_fp_off) K(m_misc) K(m_write_minstret) K(m_write_minstret_rw)
K(m_write_mcycle) K(m_mtime_phase0) K(m_mtime_phase1) K(m_mtime_phase2)
K(m_rdtime_phase0) K(m_rdtime_phase1) K(m_rdtime_phase2) K(m_timer) K(m_timer_past)
K(m_msip) K(m_msip2) K(m_wfi_pending) K(m_lrsc) K(m_wfi_sleep) K(m_wfi_tail0) K(m_wfi_tail5)
extern void sample_mtime(u64* out, u64 addr);
extern void sample_rdtime(u64* out);

static void show(const char* name, struct m* r) {
  printf_("%s: delta=%ld handler_offset=%ld cause=%lx tval=%lx\n", name, (i64)(r->after - r->before),
          r->in_handler == (u64)-1 ? -1 : (i64)(r->in_handler - r->before), r->cause, r->tval);
}

static u64 buf[4] __attribute__((aligned(16)));
static u64 root_pt[512] __attribute__((aligned(4096)));

int main(void) {
  struct m r;
  printf_("entry: minstret=%ld mcycle=%ld time=%ld a0=%lx a1=%lx a2=%lx mip=%lx\n", entry_vals[0], entry_vals[1],
          entry_vals[2], entry_vals[3], entry_vals[4], entry_vals[5], entry_vals[6]);
  printf_("misa=%lx mstatus=%lx mcounteren=%lx\n", csr_read(misa), csr_read(mstatus), csr_read(mcounteren));
#define RUN(fn, ...) do { fn(&r, ##__VA_ARGS__); show(#fn, &r); } while (0)
  RUN(m_b2b);
  RUN(m_nop10);
  RUN(m_cycle_b2b);
  RUN(m_ecall);
  RUN(m_ebreak);
  RUN(m_illegal);
  RUN(m_illegal_zero);
  RUN(m_load, (u64)buf);
  RUN(m_load, (u64)buf + 1);
  RUN(m_load, (u64)buf + 4);
  RUN(m_lw, (u64)buf + 2);
  RUN(m_store, (u64)buf + 3);
  RUN(m_load, 0x90000000ul);
  RUN(m_store, 0x90000000ul);
  RUN(m_load, 0x0ul);
  RUN(m_lrw, (u64)buf + 2);
  RUN(m_lrd, (u64)buf + 4);
  RUN(m_scd, (u64)buf + 4);
  RUN(m_amoaddw, (u64)buf + 2);
  RUN(m_amoswapd, (u64)buf + 4);
  RUN(m_lrd, 0x90000000ul);
  RUN(m_amoswapd, 0x90000000ul);
  RUN(m_mprv_load, 0x1000ul, (8ul << 60) | ((u64)root_pt >> 12));
  RUN(m_mret);
  RUN(m_fetch, 0x90000000ul);
  RUN(m_csr_ro);
  RUN(m_csr_none);
  RUN(m_fp_off);
  RUN(m_misc);
  printf_("mstatus=%lx mip=%lx\n", csr_read(mstatus), csr_read(mip));
  m_mtime_phase0(&r, CLINT_MTIME); printf_("mtime0: minstret=%ld mtime=%ld old=%ld\n", r.before, r.after, r.in_handler);
  m_mtime_phase1(&r, CLINT_MTIME); printf_("mtime1: minstret=%ld mtime=%ld old=%ld\n", r.before, r.after, r.in_handler);
  m_mtime_phase2(&r, CLINT_MTIME); printf_("mtime2: minstret=%ld mtime=%ld old=%ld\n", r.before, r.after, r.in_handler);
  m_rdtime_phase0(&r); printf_("rdtime0: minstret=%ld time=%ld old=%ld\n", r.before, r.after, r.in_handler);
  m_rdtime_phase1(&r); printf_("rdtime1: minstret=%ld time=%ld old=%ld\n", r.before, r.after, r.in_handler);
  m_rdtime_phase2(&r); printf_("rdtime2: minstret=%ld time=%ld old=%ld\n", r.before, r.after, r.in_handler);
  printf_("before timer: mstatus=%lx mip=%lx mie=%lx\n", csr_read(mstatus), csr_read(mip), csr_read(mie));
  for (u64 d = 1; d <= 3; d++) {
    m_timer(&r, CLINT_MTIME, d);
    printf_("timer delta=%ld: mtime=%ld mtimecmp=%ld minstret_after_store=%ld handler_minstret=%ld cause=%lx mepc-chain=%ld\n",
            d, r.tval, r.tval + d, r.before, r.in_handler, r.cause, (i64)(r.epc - r.after));
  }
  m_timer_past(&r);
  printf_("timer past: minstret_before=%ld handler_minstret=%ld cause=%lx mepc-store=%ld\n", r.before, r.in_handler, r.cause, (i64)(r.epc - r.after));
  m_msip2(&r);
  printf_("msip: minstret_before=%ld handler_minstret=%ld cause=%lx mepc-store=%ld\n", r.before, r.in_handler, r.cause, (i64)(r.epc - r.after));
  {
    u64 smp[25];
    for (int pass = 0; pass < 2; pass++) {
      if (pass == 0) sample_mtime(smp, CLINT_MTIME); else sample_rdtime(smp);
      int i = 1;
      while (smp[i + 1] == smp[1]) i++;
      /* sample i+1 (1-based in smp) is instruction number smp[0] + i + 1 */
      u64 n = smp[0] + (u64)i + 1;
      printf_("%s: insn #%ld reads %ld, insn #%ld reads %ld\n", pass ? "rdtime" : "mtime load", n - 1, smp[i], n, smp[i + 1]);
    }
  }
  m_wfi_tail0(&r); printf_("wfi pending tail0: delta=%ld\n", (i64)(r.after - r.before));
  m_wfi_tail5(&r); printf_("wfi pending tail5: delta=%ld\n", (i64)(r.after - r.before));
  m_wfi_sleep(&r, 30ul);
  printf_("wfi sleep: minstret %ld -> %ld, mtime %ld -> %ld, mtimecmp=%ld\n", r.before, r.after, r.cause, r.tval, r.epc);
  m_wfi_pending(&r); printf_("wfi pending (MIE=0): delta=%ld mip=%lx\n", (i64)(r.after - r.before), r.cause);
  buf[0] = 5; buf[1] = 6;
  u64 sc_after_other[3];
  m_lrsc(&r, (u64)buf, sc_after_other);
  printf_("sc after same-value store=%ld, after different store=%ld, no lr=%ld, after ecall+mret=%ld, "
          "other addr=%ld, right addr after failed sc to other addr=%ld, plain=%ld, after mret (no trap)=%ld\n",
          r.before, r.after, r.in_handler, r.cause, r.tval, sc_after_other[0], r.epc, sc_after_other[1]);
  m_write_minstret(&r, 1000ul); printf_("write minstret=1000: read=%ld next=%ld\n", r.before, r.after);
  m_write_minstret_rw(&r, 5000ul); printf_("csrrw minstret=5000: next read=%ld\n", r.after);
  m_write_mcycle(&r, 7000ul); printf_("write mcycle=7000: read=%ld minstret=%ld\n", r.before, r.after);
  return 0;
}
