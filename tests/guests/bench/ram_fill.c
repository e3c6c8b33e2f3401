/* Snapshot benchmark guest: fills one page in four of a 1 GiB machine's RAM with data (the rest
   stays zero), prints "filled", then waits forever. lockstep and QEMU then save the same memory. */
#include "guest.h"

#define RAM_BASE 0x80000000ul
#define RAM_SIZE (1ul << 30)
#define FILL_FROM (RAM_BASE + (4ul << 20)) /* above the program and its stack */

int main(void) {
  unsigned long seed = 0x9e3779b97f4a7c15ul;
  for (unsigned long page = FILL_FROM; page < RAM_BASE + RAM_SIZE; page += 4 * 4096) {
    volatile unsigned long* p = (volatile unsigned long*)page;
    for (int i = 0; i < 512; ++i) {
      seed ^= seed << 13;
      seed ^= seed >> 7;
      seed ^= seed << 17;
      p[i] = seed;
    }
  }
  puts_("filled\n");
  for (;;) __asm__ volatile("wfi");
  return 0;
}
