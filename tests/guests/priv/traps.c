/* Traps: ecall/ebreak/illegal from U, S and M; delegation via medeleg/mideleg;
 * direct and vectored mtvec/stvec; mret/sret and the status bits they move; TSR/TW/TVM;
 * MPRV; WFI with a pending interrupt. Every trap prints cause, epc (relative to the
 * function that trapped), tval and the privilege it came from. */
#include "guest.h"
#include "vm.h"

extern void t_ecall(void), t_ebreak(void), t_illegal(void), t_illegal_zero(void), t_mret(void), t_sret(void), t_sret_ok(void),
    t_wfi(void), t_sfence(void), t_csr_mstatus(void), t_csr_sstatus(void), t_csr_satp(void), t_csr_write_ro(void),
    t_csr_cycle(void), t_nop(void), t_c_ebreak(void);
extern u64 vec_test_m(u64 kind);
extern long vec_test_s(long kind);
extern u64 wfi_pending(void);
extern void wfi_then_timer(void);
extern char wfi_then_timer_wfi[];

struct rec {
  int valid;
  char mode; /* 'M' or 'S': which handler took it */
  u64 cause, epc, tval, status;
};
static struct rec rec;
static u64 fn_base; /* function under test: epc is printed relative to it */

static int ecall_returns_to_m; /* an ecall from S resumes in M-mode (MPP = M) */

static int m_handler(struct trap_frame* tf) {
  if (ecall_returns_to_m && tf->cause == 9) {
    ecall_returns_to_m = 0;
    tf->status |= MSTATUS_MPP;
  }
  rec.valid = 1;
  rec.mode = 'M';
  rec.cause = tf->cause;
  rec.epc = tf->epc;
  rec.tval = tf->tval;
  rec.status = tf->status;
  if ((i64)tf->cause < 0) {
    /* interrupt: silence the source */
    mmio_write32(CLINT_MSIP, 0);
    mmio_write64(CLINT_MTIMECMP, ~0ul);
  } else {
    skip_insn(tf);
  }
  return 1;
}

static int s_handler(struct trap_frame* tf) {
  rec.valid = 1;
  rec.mode = 'S';
  rec.cause = tf->cause;
  rec.epc = tf->epc;
  rec.tval = tf->tval;
  rec.status = tf->status;
  if ((i64)tf->cause < 0)
    csr_clear(sip, 2);
  else
    skip_insn(tf);
  return 1;
}

static long call_fn(long fn) {
  ((void (*)(void))fn)();
  return 0;
}

static void show(const char* what) {
  if (!rec.valid) {
    printf_("%s: no trap\n", what);
    return;
  }
  printf_("%s: %c-handler cause=%lx epc=fn+%ld tval=%lx", what, rec.mode, rec.cause, (i64)(rec.epc - fn_base), rec.tval);
  if (rec.mode == 'M')
    printf_(" MPP=%ld MPIE=%ld\n", (rec.status >> 11) & 3, (rec.status >> 7) & 1);
  else
    printf_(" SPP=%ld SPIE=%ld\n", (rec.status >> 8) & 1, (rec.status >> 5) & 1);
}

/* Runs fn in `mode` (0 U, 1 S, 3 M) and prints the trap it took, with the number of
 * instructions the whole round trip took (QEMU does not count some faulting
 * instructions; the difference between rows shows which). */
static void trap_in(int mode, const char* name, void (*fn)(void)) {
  memset(&rec, 0, sizeof rec);
  fn_base = (u64)fn;
  u64 before = csr_read(minstret);
  if (mode == 3)
    fn();
  else
    run_in_mode(mode, call_fn, (long)fn);
  u64 after = csr_read(minstret);
  char what[64];
  const char* m = mode == 0 ? "U" : mode == 1 ? "S" : "M";
  int n = 0;
  for (const char* p = name; *p && n < 40; p++) what[n++] = *p;
  what[n++] = ' ';
  what[n++] = 'i';
  what[n++] = 'n';
  what[n++] = ' ';
  what[n++] = *m;
  what[n] = 0;
  show(what);
  printf_("  round trip: %ld instructions\n", (i64)(after - before));
}

static const struct {
  const char* name;
  void (*fn)(void);
} insns[] = {
    {"nop", t_nop},
    {"ecall", t_ecall},
    {"ebreak", t_ebreak},
    {"c.ebreak", t_c_ebreak},
    {"illegal 0xffffffff", t_illegal},
    {"illegal 0", t_illegal_zero},
    {"mret", t_mret},
    {"sret", t_sret},
    {"wfi", t_wfi},
    {"sfence.vma", t_sfence},
    {"csrr mstatus", t_csr_mstatus},
    {"csrr sstatus", t_csr_sstatus},
    {"csrr satp", t_csr_satp},
    {"csrw mhartid", t_csr_write_ro},
    {"csrr cycle", t_csr_cycle},
};
#define NINSNS (sizeof insns / sizeof insns[0])

int main(void) {
  set_m_handler(m_handler);
  set_s_handler(s_handler);
  csr_write(stvec, (u64)trap_vector_s);

  /* WARL masks */
  csr_write(medeleg, ~0ul);
  csr_write(mideleg, ~0ul);
  /* Only the non-H bits are printed: QEMU 7.2 with h=false still lets the hypervisor
   * causes (medeleg 10, 20-23; mideleg 2, 6, 10) and LCOFIP (13) be written. */
  printf_("medeleg writable=%lx mideleg writable=%lx\n", csr_read(medeleg) & 0xb3ff, csr_read(mideleg) & 0xaaa);
  csr_write(medeleg, 0);
  csr_write(mideleg, 0);
  u64 old_mtvec = csr_read(mtvec);
  csr_write(mtvec, 0x80001003ul);
  printf_("mtvec after writing mode 3: %lx\n", csr_read(mtvec));
  csr_write(mtvec, 0x80001001ul);
  printf_("mtvec after writing vectored: %lx\n", csr_read(mtvec));
  csr_write(mtvec, 0x80001006ul);
  printf_("mtvec after writing 0x80001006: %lx\n", csr_read(mtvec));
  csr_write(mtvec, old_mtvec);
  csr_write(stvec, 0x80002003ul);
  printf_("stvec after writing mode 3: %lx\n", csr_read(stvec));
  csr_write(stvec, (u64)trap_vector_s);
  /* Not printed: mstatus.MPP after writing the reserved value 2. QEMU 7.2 (h=false)
   * keeps the 2 instead of legalizing it. */

  /* 1. nothing delegated: every trap goes to M */
  printf_("-- no delegation --\n");
  for (int mode = 0; mode <= 3; mode++) {
    if (mode == 2) continue;
    for (unsigned k = 0; k < NINSNS; k++) {
      /* legal and not returning (or sleeping forever) in these modes: */
      if (mode == 3 && (insns[k].fn == t_mret || insns[k].fn == t_sret || insns[k].fn == t_wfi)) continue;
      if (mode == 1 && (insns[k].fn == t_sret || insns[k].fn == t_wfi)) continue;
      trap_in(mode, insns[k].name, insns[k].fn);
    }
  }

  /* 2. delegate breakpoint, illegal instruction and ecall-from-U to S */
  printf_("-- medeleg = (1<<2)|(1<<3)|(1<<8) --\n");
  csr_write(medeleg, (1 << 2) | (1 << 3) | (1 << 8));
  for (int mode = 0; mode <= 3; mode++) {
    if (mode == 2) continue;
    trap_in(mode, "ecall", t_ecall);
    trap_in(mode, "ebreak", t_ebreak);
    trap_in(mode, "illegal", t_illegal);
  }
  csr_write(medeleg, 0);

  /* 3. TSR, TW, TVM */
  printf_("-- TSR/TW/TVM --\n");
  trap_in(1, "sret without TSR", t_sret_ok);
  csr_set(mstatus, MSTATUS_TSR);
  trap_in(1, "sret with TSR", t_sret_ok);
  csr_clear(mstatus, MSTATUS_TSR);
  csr_set(mstatus, MSTATUS_TW);
  trap_in(1, "wfi with TW", t_wfi);
  csr_clear(mstatus, MSTATUS_TW);
  csr_set(mstatus, MSTATUS_TVM);
  trap_in(1, "sfence.vma with TVM", t_sfence);
  trap_in(1, "csrr satp with TVM", t_csr_satp);
  csr_clear(mstatus, MSTATUS_TVM);

  /* 4. vectored mtvec and stvec */
  printf_("-- vectored --\n");
  static const char* mk[] = {"ecall", "msip", "mtimer"};
  for (u64 k = 0; k < 3; k++) {
    u64 r = vec_test_m(k);
    printf_("mtvec vectored %s: entry=%ld interrupt=%ld cause=%ld\n", mk[k], (i64)r >> 32, (r >> 16) & 1, r & 0xff);
  }
  csr_write(medeleg, 1 << 3);
  csr_write(mideleg, 1 << 1);
  for (long k = 0; k < 2; k++) {
    u64 r = (u64)run_in_mode(1, vec_test_s, k);
    printf_("stvec vectored %s: entry=%ld interrupt=%ld cause=%ld\n", k ? "ssip" : "ebreak", (i64)r >> 32,
            (r >> 16) & 1, r & 0xff);
  }
  csr_write(medeleg, 0);
  csr_write(mideleg, 0);

  /* 5. mret/sret effects on mstatus, observed from M */
  printf_("-- xRET --\n");
  csr_clear(mstatus, MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE);
  csr_set(mstatus, (3ul << 11) | MSTATUS_MPIE);
  __asm__ volatile("la t0, 1f\n csrw mepc, t0\n mret\n1:" ::: "t0");
  u64 st = csr_read(mstatus);
  printf_("after mret(MPP=M, MPIE=1): MIE=%ld MPIE=%ld MPP=%ld\n", (st >> 3) & 1, (st >> 7) & 1, (st >> 11) & 3);
  csr_clear(mstatus, MSTATUS_MIE);
  csr_clear(mstatus, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE);
  csr_set(mstatus, MSTATUS_SPP | MSTATUS_SPIE);
  /* sret executed in M returns to S (SPP=1); come back with an ecall from S */
  memset(&rec, 0, sizeof rec);
  ecall_returns_to_m = 1;
  __asm__ volatile("la t0, 1f\n csrw sepc, t0\n sret\n1: ecall" ::: "t0", "memory");
  st = csr_read(mstatus);
  printf_("after sret(SPP=S, SPIE=1) then ecall: cause=%lx SIE=%ld SPIE=%ld SPP=%ld MPP=%ld\n", rec.cause,
          (st >> 1) & 1, (st >> 5) & 1, (st >> 8) & 1, (st >> 11) & 3);

  /* 6. MPRV: M-mode loads translated with MPP's privilege */
  printf_("-- MPRV --\n");
  {
    static u64 target = 0x600df00du;
    u64* root = vm_alloc_page();
    /* identity map the first 4 GiB; the RAM gigapage is user-accessible only in the
     * 2nd mapping below */
    vm_map(root, 3, 0x00000000ul, 0x00000000ul, 2, PTE_R | PTE_W | PTE_A | PTE_D);
    vm_map(root, 3, 0x80000000ul, 0x80000000ul, 2, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    vm_map(root, 3, 0x1c0000000ul, 0x80000000ul, 2, PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
    csr_write(satp, SATP_MODE_SV39 | ((u64)root >> 12));
    sfence_vma_all();
    u64 user_alias = (u64)&target - 0x80000000ul + 0x1c0000000ul;
    static const struct { const char* name; u64 mpp; u64 addr; u64 extra; } cases[] = {
        /* Not tested: MPP=U on a supervisor page. QEMU 7.2 lets that load through
         * (a QEMU bug; the spec says page fault), see README.md. */
        {"MPP=S, supervisor page", 1, 0, 0},
        {"MPP=U, user page", 0, 1, 0},
        {"MPP=S, user page, SUM=0", 1, 1, 0},
        {"MPP=S, user page, SUM=1", 1, 1, MSTATUS_SUM},
        {"MPP=M (no translation)", 3, 0, 0},
    };
    for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
      memset(&rec, 0, sizeof rec);
      u64 addr = cases[k].addr ? user_alias : (u64)&target;
      u64 v = 0;
      u64 set = MSTATUS_MPRV | (cases[k].mpp << 11) | cases[k].extra;
      fn_base = 0;
      u64 ms;
      __asm__ volatile(
          "li t1, %4\n csrc mstatus, t1\n csrs mstatus, %3\n csrr %1, mstatus\n ld %0, 0(%2)\n li t1, %5\n"
          " csrc mstatus, t1"
          : "+r"(v), "=&r"(ms)
          : "r"(addr), "r"(set), "i"(MSTATUS_MPP | MSTATUS_SUM), "i"(MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MPP)
          : "t1", "memory");
      (void)ms;
      printf_("MPRV %s: value=%lx trap=%d cause=%lx tval-addr=%ld\n", cases[k].name, v, rec.valid, rec.cause,
              rec.valid ? (i64)(rec.tval - addr) : 0);
    }
    csr_write(satp, 0);
    sfence_vma_all();
  }

  /* 7. WFI */
  printf_("-- WFI --\n");
  u64 mip = wfi_pending();
  printf_("wfi with pending MSIP (MIE=0): returned, mip=%lx\n", mip);
  memset(&rec, 0, sizeof rec);
  fn_base = (u64)wfi_then_timer_wfi;
  wfi_then_timer();
  show("wfi sleeping until the timer (MIE=1)");

  set_m_handler(0);
  set_s_handler(0);
  return 0;
}
