/* RV64C: results of every compressed instruction, plus the reserved encodings. */
#include "guest.h"

extern void rvc_alu(u64* out, u64 a, u64 b);
extern void rvc_const(u64* out);
extern void rvc_mem(u64* out, u64* buf);
extern void rvc_ctrl(u64* out, u64 x);
extern void rvc_ebreak(void);
extern void rvc_illegal_zero(void), rvc_illegal_addi4spn0(void), rvc_illegal_lui0(void),
    rvc_illegal_addi16sp0(void), rvc_illegal_jr0(void), rvc_illegal_lwsp0(void);

static const u64 vals[] = {0, 1, 0xffffffffffffffffu, 0x7fffffffffffffffu, 0x8000000000000000u,
                           0x00000000fffffffeu, 0x000000007fffffffu, 0x123456789abcdef0u};

static struct trap_frame last;
static int handler(struct trap_frame* tf) {
  last = *tf;
  skip_insn(tf);
  return 1;
}

static u64 buf[64] __attribute__((aligned(16)));

int main(void) {
  u64 out[32];
  for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++)
    for (unsigned j = 0; j < sizeof vals / sizeof vals[0]; j++) {
      memset(out, 0, sizeof out);
      rvc_alu(out, vals[i], vals[j]);
      printf_("alu %lx %lx:", vals[i], vals[j]);
      for (int k = 0; k < 24; k++) printf_(" %lx", out[k]);
      putchar_('\n');
    }
  memset(out, 0, sizeof out);
  rvc_const(out);
  for (int k = 0; k < 12; k++) printf_("const[%d] = %lx\n", k, out[k]);

  for (int k = 0; k < 64; k++) buf[k] = 0x0101010101010101ul * (u64)(k + 1) ^ 0x8000000080000000ul;
  memset(out, 0, sizeof out);
  rvc_mem(out, buf);
  for (int k = 0; k < 16; k++) printf_("mem[%d] = %lx\n", k, out[k]);

  for (int x = 0; x < 2; x++) {
    memset(out, 0, sizeof out);
    rvc_ctrl(out, (u64)x);
    for (int k = 0; k < 5; k++) printf_("ctrl(%d)[%d] = %lx\n", x, k, out[k]);
  }

  set_m_handler(handler);
  static const struct { const char* name; void (*fn)(void); } traps[] = {
      {"c.ebreak", rvc_ebreak},
      {"0x0000", rvc_illegal_zero},
      {"c.addi4spn imm=0", rvc_illegal_addi4spn0},
      {"c.lui imm=0", rvc_illegal_lui0},
      {"c.addi16sp imm=0", rvc_illegal_addi16sp0},
      {"c.jr x0", rvc_illegal_jr0},
      {"c.lwsp x0", rvc_illegal_lwsp0},
  };
  for (unsigned k = 0; k < sizeof traps / sizeof traps[0]; k++) {
    memset(&last, 0xff, sizeof last);
    traps[k].fn();
    printf_("%s: mcause=%lx mepc-fn=%ld mtval=%lx\n", traps[k].name, last.cause, (i64)(last.epc - (u64)traps[k].fn),
            last.tval);
  }
  set_m_handler(0);
  return 0;
}
