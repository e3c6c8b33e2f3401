/* Data and code on one page: a hot loop that stores to data bytes of its own code page (which
 * must not cost it its translation, nor change what runs), code on that page patched from C with
 * and without fence.i, and a loop that patches half-words of an instruction it calls, from the
 * page it runs on. Linked with link_packed.ld, so C globals also share the last code page.
 * Against QEMU (which invalidates only translations whose bytes a store overwrites), the
 * interpreter, and the JIT at a low threshold with --jit-verify. */
#include "guest.h"

extern char code_page_start[];
extern u64 page_counter;
extern u32 page_words[8];
extern u32 patchable_addi[];
u64 count_on_page(u64 n);
u64 patchable(u64 a0);
u64 rewrite_loop(u64 n, u32 low, u32 high);

#define ADDI_A0(imm) (0x00050513u | ((u32)(imm) << 20)) /* addi a0, a0, imm */

static u64 c_counter; /* .bss, after the C code on the packed link */

static u64 call_many(int n) {
  u64 v = 0;
  for (int i = 0; i < n; i++) v = patchable(v);
  return v;
}

int main(void) {
  printf_("same page: %d\n", ((u64)&page_counter >> 12) == ((u64)code_page_start >> 12) &&
                                 ((u64)patchable_addi >> 12) == ((u64)code_page_start >> 12));
  u64 sum = count_on_page(200000);
  printf_("count_on_page: counter=%lu sum=%lu words=%u,%u\n", page_counter, sum, page_words[0], page_words[7]);

  for (int i = 0; i < 100000; i++) c_counter += (u64)i ^ (c_counter >> 3);
  printf_("c_counter: %lu\n", c_counter);

  printf_("patchable x1: %lu\n", call_many(30000));
  patchable_addi[0] = ADDI_A0(3);
  __asm__ volatile("fence.i" ::: "memory");
  printf_("patched with fence.i: %lu\n", call_many(30000));
  patchable_addi[0] = ADDI_A0(-2);
  printf_("patched without fence.i: %lu\n", call_many(30000));
  /* A byte store into the instruction's immediate (bits 24..31 = imm[11:4]). */
  ((volatile u8*)patchable_addi)[3] = 0x01; /* imm = 0x010 | low nibble of -2 (0xe) -> 0x01e */
  printf_("byte-patched: %lu\n", call_many(30000));

  const u32 seven = ADDI_A0(7), eleven = ADDI_A0(11);
  printf_("rewrite_loop: %lu\n", rewrite_loop(40000, seven & 0xffff, eleven >> 16));
  printf_("after rewrite: %x %lu\n", patchable_addi[0], call_many(1000));
  printf_("counter after all: %lu\n", page_counter);
  return 0;
}
