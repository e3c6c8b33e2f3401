/* Misaligned loads and stores: QEMU performs them in RAM without trapping; misaligned
 * LR/AMO trap; accesses that straddle the end of RAM fault. */
#include "guest.h"

extern void mis_loads(u64* out, u8* p);
extern void mis_store(u8* p, u64 v, u64 kind);
extern u64 mis_lrw(void* p), mis_lrd(void* p), mis_scd(void* p), mis_lr_sc(void* p);
extern u64 mis_amoswapw(void* p, u64 v), mis_amoaddd(void* p, u64 v), mis_amomaxud(void* p, u64 v);

static u8 buf[8192] __attribute__((aligned(4096)));
static struct trap_frame last;
static int ntraps;
static int handler(struct trap_frame* tf) {
  last = *tf;
  ntraps++;
  skip_insn(tf);
  return 1;
}

static void fill(void) {
  for (int i = 0; i < 8192; i++) buf[i] = (u8)(i * 7 + 0x80);
}

int main(void) {
  set_m_handler(handler);
  u64 out[8];
  /* every offset 0..7 and straddling the 4 KiB page boundary */
  static const u64 offs[] = {0, 1, 2, 3, 4, 5, 6, 7, 4093, 4094, 4095};
  fill();
  for (unsigned k = 0; k < sizeof offs / sizeof offs[0]; k++) {
    ntraps = 0;
    mis_loads(out, buf + offs[k]);
    printf_("load +%ld: lh=%lx lhu=%lx lw=%lx lwu=%lx ld=%lx flw=%lx fld=%lx traps=%d\n", offs[k], out[0], out[1],
            out[2], out[3], out[4], out[5], out[6], ntraps);
  }
  static const char* kinds[] = {"sh", "sw", "sd", "fsw", "fsd"};
  for (u64 kind = 0; kind < 5; kind++) {
    for (unsigned k = 0; k < sizeof offs / sizeof offs[0]; k++) {
      fill();
      ntraps = 0;
      mis_store(buf + offs[k], 0x1122334455667788ul, kind);
      u64 base = offs[k] & ~7ul;
      printf_("%s +%ld: %lx %lx traps=%d\n", kinds[kind], offs[k], *(u64*)(buf + base), *(u64*)(buf + base + 8),
              ntraps);
    }
  }
  /* compressed loads/stores misaligned */
  fill();
  u64 v;
  __asm__ volatile(".option push\n.option rvc\n c.ld %0, 0(%1)\n.option pop" : "=r"(v) : "r"(buf + 3));
  printf_("c.ld +3: %lx\n", v);
  __asm__ volatile(".option push\n.option rvc\n c.sw %0, 0(%1)\n.option pop" ::"r"(0xdeadbeeful), "r"(buf + 1) : "memory");
  printf_("c.sw +1: %lx\n", *(u64*)buf);

  /* misaligned atomics: trap (cause 4 in QEMU 7.2, also for AMOs), memory unchanged */
  static const struct { const char* name; u64 off; int kind; } at[] = {
      {"lr.w +2", 2, 0}, {"lr.d +4", 4, 1}, {"sc.d +4 (no reservation)", 4, 2}, {"lr.d aligned; sc.d +1", 9, 3},
      {"amoswap.w +1", 1, 4}, {"amoadd.d +4", 4, 5}, {"amomaxu.d +7", 7, 6}, {"amoadd.d aligned", 8, 5},
  };
  for (unsigned k = 0; k < sizeof at / sizeof at[0]; k++) {
    fill();
    memset(&last, 0, sizeof last);
    ntraps = 0;
    void* p = buf + at[k].off;
    u64 r = 0x5a5a;
    switch (at[k].kind) {
      case 0: r = mis_lrw(p); break;
      case 1: r = mis_lrd(p); break;
      case 2: r = mis_scd(p); break;
      case 3: r = mis_lr_sc(p); break;
      case 4: r = mis_amoswapw(p, 0x1234); break;
      case 5: r = mis_amoaddd(p, 0x1234); break;
      case 6: r = mis_amomaxud(p, 0x1234); break;
    }
    printf_("%s: traps=%d mcause=%lx mtval-buf=%lx result=%lx mem=%lx\n", at[k].name, ntraps, last.cause,
            last.tval ? last.tval - (u64)buf : 0, ntraps ? 0 : r, *(u64*)(buf + (at[k].off & ~7ul)));
  }

  /* straddling the end of RAM (0x90000000): access fault, which address in mtval? */
  static const u64 ends[] = {0x8ffffffcul, 0x8ffffffful};
  for (unsigned k = 0; k < 2; k++) {
    memset(&last, 0, sizeof last);
    ntraps = 0;
    mis_loads(out, (u8*)ends[k]);
    printf_("loads at %lx: traps=%d last mcause=%lx mtval=%lx\n", ends[k], ntraps, last.cause, last.tval);
    memset(&last, 0, sizeof last);
    ntraps = 0;
    *(volatile u64*)0x8ffffff8ul = 0x0123456789abcdeful;
    mis_store((u8*)ends[k], 0, 2);
    printf_("sd at %lx: traps=%d mcause=%lx mtval=%lx memory below the end=%lx (partial store?)\n", ends[k], ntraps,
            last.cause, last.tval, *(volatile u64*)0x8ffffff8ul);
  }
  set_m_handler(0);
  return 0;
}
