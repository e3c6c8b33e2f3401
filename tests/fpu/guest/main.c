/* F/D vector guest: runs every instruction of fv_ops over the shared operand generator in every
 * rounding mode and prints result and fflags; then the reserved rounding modes and mstatus.FS
 * behaviour, with whether QEMU counts the trapping instruction (run QEMU with -icount).
 * tests/fpu/qemu_vectors.cpp reads the output. */
#include "../vectors.h"

struct fv_io {
  uint64_t a, b, c, flags_in, tramp, out_f, out_x, out_flags;
  int64_t fs;
  uint64_t mstatus_after;
  uint64_t insns;
};
void fv_call(struct fv_io* io);

volatile uint64_t fv_trap_cause, fv_trap_tval;
static uint32_t tramp[4] __attribute__((aligned(16)));
static volatile uint64_t membuf;

#define UART ((volatile uint8_t*)0x10000000)
static void putc_(char c) {
  while (!(UART[5] & 0x20)) {
  }
  UART[0] = (uint8_t)c;
}
static void puts_(const char* s) {
  while (*s) putc_(*s++);
}
static void puthex(uint64_t v, int digits) {
  for (int i = digits - 1; i >= 0; --i) putc_("0123456789abcdef"[(v >> (4 * i)) & 15]);
}
static void putdec(unsigned v) {
  char b[12];
  int n = 0;
  do b[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
  while (n) putc_(b[--n]);
}

static void set_tramp(uint32_t word) {
  tramp[0] = word;
  tramp[1] = 0x00008067; /* ret */
  __asm__ volatile("fence.i" ::: "memory");
}
static void set_frm(unsigned frm) { __asm__ volatile("csrw frm, %0" ::"r"(frm)); }

/* Runs the trampoline on (a, b, c); returns the result as the checker sees it. */
static uint64_t run(const struct fv_op* op, uint64_t a, uint64_t b, uint64_t c, uint64_t flags_in, int64_t fs,
                    struct fv_io* io) {
  io->a = a;
  io->b = b;
  io->c = c;
  io->flags_in = flags_in;
  io->tramp = (uint64_t)(uintptr_t)tramp;
  io->fs = fs;
  fv_trap_cause = 0;
  fv_trap_tval = 0;
  if (op->src == FV_MEM32 || op->src == FV_MEM64 || op->dst == FV_MEM32 || op->dst == FV_MEM64) {
    membuf = op->src == FV_MEM32 ? (a & 0xffffffffull) | 0x5a5a5a5a00000000ull : op->src == FV_MEM64 ? a : FV_POISON;
    io->a = (uint64_t)(uintptr_t)&membuf;
  }
  fv_call(io);
  if (op->dst == FV_MEM32 || op->dst == FV_MEM64) return membuf;
  return op->dst == FV_X ? io->out_x : io->out_f;
}

static void print_trap(void) {
  if (fv_trap_cause) {
    puts_(" T");
    puthex(fv_trap_cause, 2);
    putc_(' ');
    puthex(fv_trap_tval, 8);
  }
}

/* Instructions across a call that traps on an undecodable word (which QEMU counts as executed):
 * a trapping instruction that QEMU does not count shows one fewer. */
static uint64_t counted_trap_insns;
static void print_counted(const struct fv_io* io) {
  if (fv_trap_cause) {
    puts_(" C");
    putdec((unsigned)(io->insns + 1 - counted_trap_insns));
  }
}

int main(void) {
  struct fv_io io;
  uint64_t a, b, c;
  puts_("LOCKSTEP-FPU-VECTORS ");
  putdec(FV_VERSION);
  putc_(' ');
  putdec(FV_PER_GROUP);
  putc_(' ');
  puthex(fv_generator_digest(), 16);
  putc_('\n');
  /* 1. every instruction, every rounding mode: one hash per group, or every vector of the
   * group named by the configuration word */
  const uint64_t config = *(volatile uint64_t*)(uintptr_t)FV_CONFIG_ADDR;
  unsigned group = 0;
  for (int op = 0; op < FV_NOPS; ++op) {
    const struct fv_op* o = &fv_ops[op];
    for (unsigned mode = 0; mode < fv_modes(o); ++mode, ++group) {
      const int verbose = config == group + 1;
      uint64_t h = 0;
      set_tramp(fv_word(o, 7));
      set_frm(fv_mode_frm(mode));
      for (unsigned k = 0; k < FV_PER_GROUP; ++k) {
        fv_vector(op, mode, k, &a, &b, &c);
        const uint64_t r = run(o, a, b, c, fv_mode_flags(mode), -1, &io);
        h = fv_hash(fv_hash(fv_hash(fv_hash(h, r), io.out_flags), fv_trap_cause), fv_trap_tval);
        if (verbose) {
          puthex(k, 4);
          putc_(' ');
          puthex(r, 16);
          putc_(' ');
          puthex(io.out_flags, 2);
          print_trap();
          putc_('\n');
        }
      }
      puts_("G ");
      putdec((unsigned)op);
      putc_(' ');
      putdec(mode);
      putc_(' ');
      puthex(h, 16);
      putc_('\n');
    }
  }
  /* Calibrate the instruction count of a counted trap (meaningful when QEMU runs with -icount). */
  {
    static const struct fv_op undecodable = {"undecodable", 0xffffffffu, FV_D, FV_D, 1, 0};
    set_tramp(0xffffffffu);
    run(&undecodable, 0, 0, 0, 0, -1, &io);
    counted_trap_insns = io.insns;
  }
  /* 2. reserved rounding modes: static rm 5, 6; dynamic with frm 5, 6, 7 */
  puts_("R\n");
  for (int op = 0; op < FV_NOPS; ++op) {
    const struct fv_op* o = &fv_ops[op];
    if (!(o->fields & FV_RM)) continue;
    for (unsigned t = 0; t < 5; ++t) {
      const unsigned rm = t < 2 ? 5 + t : 7, frm = t < 2 ? 0 : 5 + (t - 2);
      fv_vector(op, 0, t, &a, &b, &c);
      set_tramp(fv_word(o, rm));
      set_frm(frm);
      const uint64_t r = run(o, a, b, c, 0, -1, &io);
      puthex(r, 16);
      putc_(' ');
      puthex(io.out_flags, 2);
      print_trap();
      print_counted(&io);
      putc_('\n');
    }
  }
  set_frm(0);
  /* 3. mstatus.FS: Off, Initial, Clean, Dirty before the instruction; FS after */
  puts_("F\n");
  for (int op = 0; op < FV_NOPS; ++op) {
    const struct fv_op* o = &fv_ops[op];
    set_tramp(fv_word(o, 0));
    for (unsigned fs = 0; fs < 4; ++fs) {
      fv_vector(op, 0, 100 + fs, &a, &b, &c);
      const uint64_t r = run(o, a, b, c, 0, (int64_t)fs, &io);
      puthex(r, 16);
      putc_(' ');
      puthex(io.out_flags, 2);
      putc_(' ');
      puthex((io.mstatus_after >> 13) & 3, 1);
      print_trap();
      print_counted(&io);
      putc_('\n');
    }
  }
  puts_("END\n");
  return 0;
}
