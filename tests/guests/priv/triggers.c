/* Sdtrig debug triggers as QEMU 7.2's default CPU has them (debug=true): the CSR rules of
 * tselect/tdata1-3/tinfo, and execute, load and store triggers (mcontrol, mcontrol6) in M, S and
 * U raising breakpoint exceptions (cause 3, tval 0, epc = the instruction, which does not run),
 * with QEMU's quirks: sizes, misaligned and page-crossing accesses, AMO/LR/SC, a trigger against
 * a PMP fault or an unmapped fetch. Each case prints what it saw and PASS/FAIL; exit code =
 * failures. Hot loops armed after they ran many times check that compiled code and the TLB
 * fast path cannot pass a trigger by; a long spin with triggers set is where the migration
 * test cuts. */
#include "guest.h"

#define T2 (2ul << 60)
#define T6 (6ul << 60)
#define T3 (3ul << 60)
#define DMODE (1ul << 59)
enum { LD = 1, ST = 2, EX = 4, MU = 8, MS = 16, MM = 64 };
#define SIZELO(n) ((u64)(n) << 16)
#define SIZEHI(n) ((u64)(n) << 21)
#define SIZE6(n) ((u64)(n) << 16)
#define CAUSE_BREAKPOINT 3

extern u64 t_lb(u64), t_lh(u64), t_lw(u64), t_lr_w(u64);
extern u64 t_sh(u64, u64), t_sw(u64, u64), t_amoadd_w(u64, u64), t_sc_w(u64, u64);
extern u64 t_exec(void), t_exec2(void), t_spin(u64);
extern char t_exec_insn[], t_exec2_insn[];

static u8 buf[8192] __attribute__((aligned(4096)));
static volatile u32 words[4] __attribute__((aligned(16)));

static struct {
  int n;
  char mode; /* which handler: 'M' or 'S' */
  u64 cause, epc, tval, from;
} rec;
static int redirect; /* resume at ra: the trap came from a call into nothing */

static int record(struct trap_frame* tf, char mode, unsigned pp_shift, u64 pp_mask) {
  rec.n++;
  rec.mode = mode;
  rec.cause = tf->cause;
  rec.epc = tf->epc;
  rec.tval = tf->tval;
  rec.from = (tf->status >> pp_shift) & pp_mask;
  if (redirect) {
    tf->epc = tf->x[1];
    redirect = 0;
  } else {
    skip_insn(tf);
  }
  return 1;
}
static int m_handler(struct trap_frame* tf) { return record(tf, 'M', MSTATUS_MPP_SHIFT, 3); }
static int s_handler(struct trap_frame* tf) { return record(tf, 'S', 8, 1); }

static void set_trigger(unsigned i, u64 tdata1, u64 tdata2) {
  csr_write(tselect, i);
  csr_write(tdata1, T2); /* off while tdata2 moves */
  csr_write(tdata2, tdata2);
  csr_write(tdata1, tdata1);
}
static void clear_triggers(void) {
  set_trigger(0, T2, 0);
  set_trigger(1, T2, 0);
}

/* One line per case: what trapped (or none), then PASS/FAIL against what QEMU 7.2 does. */
static void expect(const char* name, u64 cause, u64 epc) {
  printf_("%s: traps=%d %c cause=%lx epc=%lx tval=%lx from=%lx\n", name, rec.n, rec.mode ? rec.mode : '-', rec.cause,
          rec.epc, rec.tval, rec.from);
  if (cause == ~0ul)
    check_eq(name, rec.n, 0);
  else
    check_true(name,
               rec.n == 1 && rec.cause == cause && rec.epc == epc && (cause != CAUSE_BREAKPOINT || rec.tval == 0));
  memset(&rec, 0, sizeof rec);
}
#define NONE ~0ul, 0

static void csr_rules(void) {
  printf_("reset: tselect=%lx tdata1=%lx tdata2=%lx tdata3=%lx tinfo=%lx\n", csr_read(tselect), csr_read(tdata1),
          csr_read(tdata2), csr_read(tdata3), csr_read(tinfo));
  check_eq("tinfo", csr_read(tinfo), (1 << 2) | (1 << 6));
  csr_write(tselect, 1);
  csr_write(tselect, 2); /* ignored: there are two triggers */
  check_eq("tselect 2 ignored", csr_read(tselect), 1);
  csr_write(tselect, 0);
  static const u64 writes[] = {
      0,                                      /* type 0: ignored, tdata1 keeps its value */
      T2 | 0x0ffffffffffffffful,              /* mode and access bits kept; size 15 unsupported */
      T2 | SIZEHI(1) | SIZELO(1) | MM | LD,   /* 8 bytes (5): kept */
      T2 | SIZEHI(1) | MM | LD,               /* 6 bytes (4): dropped to any */
      T2 | SIZELO(3) | (1 << 12) | (1 << 18) | (1 << 19) | (1 << 20) | (1 << 7) | (1 << 11) | MM | ST,
      T3 | MM | LD,                           /* icount: ignored */
      T6 | 0x0ffffffffffffffful,              /* vu/vs kept too */
      T6 | SIZE6(5) | MM | ST,
      T6 | SIZE6(4) | MM | ST,
      DMODE | T2 | MM | EX,                   /* dmode reads 0 */
      0xful << 60,
  };
  for (unsigned k = 0; k < sizeof writes / sizeof writes[0]; k++) {
    csr_write(tdata1, writes[k]);
    printf_("tdata1 <- %lx reads %lx\n", writes[k], csr_read(tdata1));
  }
  csr_write(tdata2, (u64)buf + 4000); /* written whatever tdata1 holds */
  csr_write(tdata3, 0x123);           /* no tdata3 in QEMU 7.2: reads 0 */
  csr_write(tinfo, 0);                /* ignored, no trap */
  printf_("tdata2=%lx tdata3=%lx tinfo=%lx\n", csr_read(tdata2) - (u64)buf, csr_read(tdata3), csr_read(tinfo));
  clear_triggers();
  expect("csr writes do not trap", NONE);
}

static long s_read_tselect(long a) {
  (void)a;
  return (long)csr_read(tselect);
}
static long run_exec(long a) {
  (void)a;
  return (long)t_exec();
}
static long run_lw(long addr) { return (long)t_lw((u64)addr); }

static void exec_triggers(void) {
  run_in_mode(1, s_read_tselect, 0);
  expect("tselect from S is illegal", 2, rec.epc);

  set_trigger(0, T2 | MM | EX, (u64)t_exec_insn);
  u64 ran = t_exec();
  expect("exec M", CAUSE_BREAKPOINT, (u64)t_exec_insn);
  check_eq("exec M: skipped", ran, 0);
  csr_write(tdata1, T2 | EX); /* no mode: off */
  ran = t_exec();
  expect("exec with no mode bit", NONE);
  check_eq("exec with no mode bit: ran", ran, 1);

  set_trigger(0, T2 | MU | EX, (u64)t_exec_insn);
  t_exec();
  expect("exec U-only trigger in M", NONE);
  run_in_mode(0, run_exec, 0);
  expect("exec U-only trigger in U", CAUSE_BREAKPOINT, (u64)t_exec_insn);

  /* Breakpoints delegate like any exception. */
  csr_set(medeleg, 1 << CAUSE_BREAKPOINT);
  set_trigger(0, T2 | MS | EX, (u64)t_exec_insn);
  run_in_mode(1, run_exec, 0);
  printf_("delegated to %c\n", rec.mode);
  expect("exec S, delegated", CAUSE_BREAKPOINT, (u64)t_exec_insn);
  csr_clear(medeleg, 1 << CAUSE_BREAKPOINT);

  set_trigger(0, T6 | MM | EX, (u64)t_exec_insn);
  t_exec();
  expect("exec M, mcontrol6", CAUSE_BREAKPOINT, (u64)t_exec_insn);

  /* QEMU asks whether any breakpoint belongs to a trigger for this mode, not only the one at
   * pc: trigger 0 (U only) at t_exec_insn fires in M because trigger 1 is an M one elsewhere. */
  set_trigger(0, T2 | MU | EX, (u64)t_exec_insn);
  set_trigger(1, T2 | MM | EX, (u64)t_exec2_insn);
  t_exec();
  expect("exec U-only trigger in M beside an M one", CAUSE_BREAKPOINT, (u64)t_exec_insn);
  t_exec2();
  expect("exec M trigger 1", CAUSE_BREAKPOINT, (u64)t_exec2_insn);
  clear_triggers();

  /* Checked before the fetch: an execute trigger beats the instruction access fault. */
  set_trigger(0, T2 | MM | EX, 4);
  redirect = 1;
  ((void (*)(void))4)();
  expect("exec at an address with no memory", CAUSE_BREAKPOINT, 4);
  clear_triggers();
}

static void load_store_triggers(void) {
  const u64 w = (u64)&words[1];
  words[1] = 0x11111111;
  set_trigger(0, T2 | MM | LD, w);
  u64 v = t_lw(w);
  expect("load M", CAUSE_BREAKPOINT, (u64)t_lw);
  check_eq("load M: skipped", v, w);
  t_sw(w, 0x22222222);
  expect("store under a load trigger", NONE);
  clear_triggers(); /* before C reads the word: that load would fire */
  check_eq("store under a load trigger: stored", words[1], 0x22222222);

  set_trigger(0, T2 | MM | ST, w);
  t_sw(w, 0x33333333);
  expect("store M", CAUSE_BREAKPOINT, (u64)t_sw);
  check_eq("store M: not stored", words[1], 0x22222222);
  v = t_lw(w);
  expect("load under a store trigger", NONE);

  set_trigger(0, T2 | MU | LD | ST, w);
  t_lw(w);
  expect("U trigger, load in M", NONE);
  run_in_mode(0, run_lw, (long)w);
  expect("U trigger, load in U", CAUSE_BREAKPOINT, (u64)t_lw);

  /* Sizes: any covers 8 bytes; QEMU passes the size encoding as the length (4 bytes: 3). A
   * misaligned load is two aligned loads of its size: lw at +65 checks +64..+71. */
  static const struct {
    const char* name;
    u64 tdata1, at; /* trigger at buf + at */
    u64 (*load)(u64);
    u64 addr; /* load from buf + addr */
    int fires;
  } loads[] = {
      {"any size, byte 7", T2 | MM | LD, 16, t_lb, 23, 1},
      {"any size, byte 8", T2 | MM | LD, 16, t_lb, 24, 0},
      {"any size, lh overlapping from below", T2 | MM | LD, 16, t_lh, 15, 1},
      {"4-byte trigger, byte 2", T2 | SIZELO(3) | MM | LD, 32, t_lb, 34, 1},
      {"4-byte trigger, byte 3", T2 | SIZELO(3) | MM | LD, 32, t_lb, 35, 0},
      {"mcontrol6 1-byte trigger", T6 | SIZE6(1) | MM | LD, 48, t_lh, 47, 1},
      {"misaligned lw, aligned halves", T2 | SIZELO(1) | MM | LD, 70, t_lw, 65, 1},
      {"misaligned lw beyond", T2 | SIZELO(1) | MM | LD, 70, t_lw, 73, 0},
  };
  const u64 b = (u64)buf;
  for (unsigned k = 0; k < sizeof loads / sizeof loads[0]; k++) {
    set_trigger(0, loads[k].tdata1, b + loads[k].at);
    loads[k].load(b + loads[k].addr);
    expect(loads[k].name, loads[k].fires ? CAUSE_BREAKPOINT : ~0ul, (u64)loads[k].load);
  }
  /* A misaligned store within a page checks from the page start to its end. */
  set_trigger(0, T2 | SIZELO(1) | MM | ST, b);
  buf[0x101] = buf[0x102] = 0x5a;
  t_sh(b + 0x101, 0xa5a5);
  expect("misaligned sh, page start", CAUSE_BREAKPOINT, (u64)t_sh);
  check_eq("misaligned sh: not stored", buf[0x101], 0x5a);
  /* Across pages: the second page's half is checked. */
  set_trigger(0, T2 | SIZELO(1) | MM | LD, b + 4096);
  t_lw(b + 4094);
  expect("lw across pages", CAUSE_BREAKPOINT, (u64)t_lw);
  set_trigger(0, T2 | SIZELO(1) | MM | ST, b + 4097);
  t_sw(b + 4094, 1);
  expect("sw across pages", CAUSE_BREAKPOINT, (u64)t_sw);

  /* An address with nothing behind it: the trigger is checked before the access fault. */
  set_trigger(0, T2 | MM | LD, 8);
  t_lw(8);
  expect("load from no memory", CAUSE_BREAKPOINT, (u64)t_lw);
  clear_triggers();
  t_lw(8);
  expect("load from no memory, no trigger", 5, (u64)t_lw);
}

static void atomic_triggers(void) {
  const u64 w = (u64)&words[2];
  words[2] = 40;
  set_trigger(0, T2 | MM | LD, w);
  t_amoadd_w(w, 2);
  expect("amoadd under a load trigger", CAUSE_BREAKPOINT, (u64)t_amoadd_w);
  set_trigger(0, T2 | MM | ST, w);
  t_amoadd_w(w, 2);
  expect("amoadd under a store trigger", CAUSE_BREAKPOINT, (u64)t_amoadd_w);
  check_eq("amoadd: not stored", words[2], 40);
  set_trigger(0, T2 | MM | LD, w);
  t_lr_w(w);
  expect("lr under a load trigger", CAUSE_BREAKPOINT, (u64)t_lr_w);
  /* A failing sc.w still stores the old value back on QEMU (compare-and-swap). */
  clear_triggers();
  t_lr_w(w);
  words[2] = 41;
  set_trigger(0, T2 | MM | ST, w);
  t_sc_w(w, 7);
  expect("failing sc under a store trigger", CAUSE_BREAKPOINT, (u64)t_sc_w);
  clear_triggers();
  check_eq("sc: memory", words[2], 41);
}

/* A PMP-denied S-mode load: the trigger wins over the access fault (QEMU checks watchpoints
 * before raising a translation fault). */
static void pmp_priority(void) {
  const u64 w = (u64)&words[3];
  csr_write(pmpaddr1, -1);
  csr_write(pmpaddr0, w >> 2);
  csr_write(pmpcfg0, 0x10 | (0x1f << 8)); /* entry 0: NA4, no access; entry 1: everything */
  run_in_mode(1, run_lw, (long)w);
  expect("S load PMP-denied", 5, (u64)t_lw);
  set_trigger(0, T2 | MS | LD, w);
  run_in_mode(1, run_lw, (long)w);
  expect("S load PMP-denied, trigger", CAUSE_BREAKPOINT, (u64)t_lw);
  clear_triggers();
  csr_write(pmpaddr0, -1);
  csr_write(pmpcfg0, 0x1f);
  csr_write(pmpaddr1, 0);
}

__attribute__((noinline)) static u64 sum_words(const volatile u32* p, unsigned n) {
  u64 s = 0;
  for (unsigned k = 0; k < n; k++) s += p[k];
  return s;
}
__attribute__((noinline)) static void fill_words(volatile u32* p, unsigned n, u32 v) {
  for (unsigned k = 0; k < n; k++) p[k] = v + k;
}

/* Hot code first (compiled under --jit-threshold 1, translations cached), then a trigger. */
static void hot_code(void) {
  volatile u32* p = (volatile u32*)(buf + 1024);
  u64 s = 0;
  for (int k = 0; k < 200; k++) {
    fill_words(p, 64, (u32)k);
    s += sum_words(p, 64);
  }
  printf_("hot: %lx\n", s);
  set_trigger(0, T2 | SIZELO(2) | MM | LD, (u64)&p[40]); /* 2 bytes: any size would cover p[41] too */
  s = sum_words(p, 64);
  printf_("hot load: epc=sum_words+%lx\n", rec.epc - (u64)sum_words);
  expect("hot loop load", CAUSE_BREAKPOINT, rec.epc);
  set_trigger(0, T2 | SIZELO(2) | MM | ST, (u64)&p[41]);
  fill_words(p, 64, 7);
  printf_("hot store: epc=fill_words+%lx p[41]=%x p[42]=%x\n", rec.epc - (u64)fill_words, p[41], p[42]);
  expect("hot loop store", CAUSE_BREAKPOINT, rec.epc);
  clear_triggers();
}

/* Triggers set across a long stretch of other work (the migration test cuts inside it). */
static void long_armed(void) {
  set_trigger(0, T2 | MM | EX, (u64)t_exec2_insn);
  set_trigger(1, T6 | MM | LD | SIZE6(5), (u64)buf + 512);
  t_spin(30000);
  t_lw((u64)buf + 516);
  expect("after the spin: load", CAUSE_BREAKPOINT, (u64)t_lw);
  t_exec2();
  expect("after the spin: exec", CAUSE_BREAKPOINT, (u64)t_exec2_insn);
  clear_triggers();
}

int main(void) {
  set_m_handler(m_handler);
  set_s_handler(s_handler);
  csr_write(stvec, (u64)trap_vector_s);
  csr_rules();
  exec_triggers();
  load_store_triggers();
  atomic_triggers();
  pmp_priority();
  hot_code();
  long_armed();
  return check_failures;
}
