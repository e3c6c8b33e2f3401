/* Self-modifying code: a function written into RAM, made hot (so a JIT compiles it), then
 * patched in place, with and without fence.i, and from inside its own page. Every engine must
 * run the new instructions from the first call after the store (QEMU and lockstep invalidate on
 * the store itself). Run against QEMU and, under tests/guests' jit/ tests, JIT vs interpreter. */
#include "guest.h"

#define ADDI_A0(imm) (0x00050513u | ((u32)(imm) << 20)) /* addi a0, a0, imm */
#define RET 0x00008067u                                  /* jalr x0, 0(ra) */

static u32 code[1024] __attribute__((aligned(4096)));
typedef u64 (*fn_t)(u64);

static u64 run(fn_t f, int n) {
  u64 v = 0;
  for (int i = 0; i < n; i++) v = f(v);
  return v;
}

int main(void) {
  fn_t f = (fn_t)(void*)code;
  code[0] = ADDI_A0(1);
  code[1] = ADDI_A0(2);
  code[2] = RET;
  __asm__ volatile("fence.i" ::: "memory");
  printf_("first: %lu\n", run(f, 50000));
  code[1] = ADDI_A0(5); /* patched with fence.i */
  __asm__ volatile("fence.i" ::: "memory");
  printf_("patched with fence.i: %lu\n", run(f, 50000));
  code[0] = ADDI_A0(7); /* patched without fence.i */
  printf_("patched without fence.i: %lu\n", run(f, 50000));

  /* A loop in the code page that rewrites the page: sw a1, 64(t0) once per call.
   * f(a0) with t0 = &code[0], a1 = new word: add 3, store, return. */
  u32* p = code;
  p[0] = 0x00350513u; /* addi a0, a0, 3 */
  p[1] = 0x04b2a023u; /* sw a1, 64(t0) */
  p[2] = RET;
  __asm__ volatile("fence.i" ::: "memory");
  u64 v = 0;
  for (int i = 0; i < 20000; i++) {
    register u64 a0 __asm__("a0") = v;
    register u64 a1 __asm__("a1") = ADDI_A0(i & 7);
    register u64 t0 __asm__("t0") = (u64)code;
    __asm__ volatile("jalr ra, 0(%[fn])" : "+r"(a0) : [fn] "r"(code), "r"(a1), "r"(t0) : "ra", "memory");
    v = a0;
  }
  printf_("store into own page: %lu word=%x\n", v, code[16]);
  return 0;
}
