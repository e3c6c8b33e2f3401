/* Hot loops whose loads and stores keep missing the software TLB: 640 pages, more than its 512
 * direct-mapped entries, swept round after round (integer and double accesses), plus loads and
 * stores straddling a page boundary. Compiled code leaves its region at every such access and
 * the interpreter performs it, so this is what checks that path against QEMU and the
 * interpreter. Prints checksums. */
#include "guest.h"

#define PAGES 640
#define WORDS_PER_PAGE 512
static u64 table[PAGES * WORDS_PER_PAGE] __attribute__((aligned(4096)));
static double values[PAGES * WORDS_PER_PAGE / 2] __attribute__((aligned(4096)));
static u8 edge[8192] __attribute__((aligned(4096)));

static u64 straddling_load(const u8* p) {
  u64 v;
  __asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(p) : "memory");
  return v;
}
static void straddling_store(u8* p, u64 v) { __asm__ volatile("sd %0, 0(%1)" ::"r"(v), "r"(p) : "memory"); }

int main(void) {
  u64 sum = 0;
  for (u64 round = 0; round < 24; round++) {
    for (u64 page = 0; page < PAGES; page++) {
      u64* w = &table[page * WORDS_PER_PAGE + (round * 7) % WORDS_PER_PAGE];
      *w += (page ^ round) * 0x9e3779b97f4a7c15ull;
      sum = (sum << 1 | sum >> 63) ^ *w;
    }
  }
  double acc = 0;
  for (u64 round = 0; round < 16; round++) {
    for (u64 page = 0; page < PAGES / 2; page++) {
      double* v = &values[page * WORDS_PER_PAGE + round];
      *v = *v * 0.5 + (double)(page + round);
      acc += *v;
    }
  }
  u64 acc_bits;
  __builtin_memcpy(&acc_bits, &acc, 8);
  for (u64 k = 0; k < 8192; k++) edge[k] = (u8)(k * 13 + 1);
  u64 edge_sum = 0;
  for (u64 k = 0; k < 4000; k++) {
    u8* p = edge + 4096 - 1 - (k % 7);  /* crosses the page boundary for every k % 7 */
    straddling_store(p, straddling_load(p) + k);
    edge_sum += straddling_load(p);
  }
  printf_("tlb_sweep sum=%lx acc=%lx edge=%lx\n", sum, acc_bits, edge_sum);
  return 0;
}
