/* A extension: every AMO (.w and .d, with aq/rl variants), LR/SC success and failure. */
#include "guest.h"

extern u64 lrsc_d(u64* p, u64 newval, u64 mode, u64* scratch);
extern u64 lrsc_w(u32* p, u64 newval);
extern u64 lrsc_loop_add(u64* p, u64 n);

static const u64 vals[] = {0, 1, 0xffffffffffffffffu, 0x7fffffffffffffffu, 0x8000000000000000u,
                           0x000000007fffffffu, 0x0000000080000000u, 0x00000000ffffffffu,
                           0xffffffff80000000u, 0x123456789abcdef0u};
#define NV (sizeof vals / sizeof vals[0])

#define AMOX(fname, insn)                                                                     \
  static u64 fname(void* p, u64 v) {                                                           \
    u64 r;                                                                                     \
    __asm__ volatile(insn " %0, %2, (%1)" : "=r"(r) : "r"(p), "r"(v) : "memory");              \
    return r;                                                                                  \
  }
#define AMO(name, suffix) AMOX(amo_##name##_##suffix, "amo" #name "." #suffix)
#define AMO_BOTH(name) AMO(name, w) AMO(name, d)
AMO_BOTH(swap) AMO_BOTH(add) AMO_BOTH(xor) AMO_BOTH(and) AMO_BOTH(or) AMO_BOTH(min) AMO_BOTH(max)
AMO_BOTH(minu) AMO_BOTH(maxu)
AMOX(amo_add_w_aq, "amoadd.w.aq") AMOX(amo_add_d_rl, "amoadd.d.rl") AMOX(amo_swap_w_aqrl, "amoswap.w.aqrl")
AMOX(amo_or_d_aqrl, "amoor.d.aqrl")

struct amo { const char* name; u64 (*fn)(void*, u64); int wide; };
static const struct amo amos[] = {
#define E(n) {"amo" #n ".w", amo_##n##_w, 0}, {"amo" #n ".d", amo_##n##_d, 1},
    E(swap) E(add) E(xor) E(and) E(or) E(min) E(max) E(minu) E(maxu)
#undef E
};

static u64 mem[4] __attribute__((aligned(64)));

int main(void) {
  for (unsigned o = 0; o < sizeof amos / sizeof amos[0]; o++) {
    for (unsigned i = 0; i < NV; i++) {
      printf_("%s mem=%lx:", amos[o].name, vals[i]);
      for (unsigned j = 0; j < NV; j++) {
        mem[0] = vals[i];
        mem[1] = 0x5555555555555555u;
        u64 old = amos[o].fn(mem, vals[j]);
        printf_(" %lx/%lx", old, mem[0]);
      }
      putchar_('\n');
    }
  }
  /* .w on the upper word of a dword, and the ordering-suffixed forms. */
  mem[0] = 0x1111111180000000u;
  u64 r = amo_add_w_aq((u32*)mem + 1, 0x7fffffff);
  printf_("amoadd.w.aq upper: old=%lx mem=%lx\n", r, mem[0]);
  r = amo_add_d_rl(mem, 1);
  printf_("amoadd.d.rl: old=%lx mem=%lx\n", r, mem[0]);
  r = amo_swap_w_aqrl(mem, 0xdeadbeef);
  printf_("amoswap.w.aqrl: old=%lx mem=%lx\n", r, mem[0]);
  r = amo_or_d_aqrl(mem, 0xf0);
  printf_("amoor.d.aqrl: old=%lx mem=%lx\n", r, mem[0]);

  static const char* modes[] = {"lr;sc", "lr;sd same;sc", "lr;sd other;sc", "sc alone", "lr;sc elsewhere;sc",
                                "lr;lr;sc", "lr;sd next dword;sc", "lr.d;sc.w"};
  for (u64 m = 0; m < 8; m++) {
    mem[0] = 0x0123456789abcdefu;
    mem[1] = 0;
    u64 res = lrsc_d(mem, 0x4242, m, &mem[2]);
    printf_("%s: sc=%ld lr=%lx mem=%lx\n", modes[m], res & 0xff, res >> 8, mem[0]);
  }
  check_eq("lr;sc succeeds", lrsc_d(mem, 7, 0, &mem[2]) & 0xff, 0);
  check_eq("lr;sd other;sc fails", lrsc_d(mem, 7, 2, &mem[2]) & 0xff, 1);
  check_eq("sc without lr fails", lrsc_d(mem, 7, 3, &mem[2]) & 0xff, 1);

  u32* w = (u32*)&mem[3];
  w[0] = 0x80000001u;
  w[1] = 0xffffffffu;
  r = lrsc_w(w, 0x12345678);
  printf_("lr.w=%lx sc.w=%x mem=%x\n", r, w[1], w[0]);

  mem[0] = 0;
  r = lrsc_loop_add(mem, 1000);
  printf_("lr/sc loop: count=%lx retries=%ld\n", mem[0], r);
  check_eq("lr/sc loop count", mem[0], 1000);
  return check_failures;
}
