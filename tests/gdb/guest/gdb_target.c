/* The guest the gdb tests debug: a function to break at (bump), a global to watch (watched),
 * two traps (an ecall, which retires, and a load access fault, which does not) and, with -smp 2,
 * a second hart looping in hart1_tick. Prints "watched=15 total=35 traps=2" and exits 0; with
 * `spin` set (a test writes it) main loops forever at the end instead. */
#include "guest.h"

volatile u64 watched;
volatile u64 hart1_ticks;
volatile u64 traps_taken;
volatile u64 spin; /* a test sets it to make main loop forever at the end (Ctrl-C) */

__attribute__((noinline)) u64 bump(u64 step) {
  watched = watched + step;
  return watched;
}

__attribute__((noinline)) void hart1_tick(void) { hart1_ticks = hart1_ticks + 1; }

void hart1_main(void) {
  for (;;) hart1_tick();
}

static int on_trap(struct trap_frame* tf) {
  if (tf->cause != 11 && tf->cause != 5) return 0; /* ecall from M, load access fault */
  skip_insn(tf);
  traps_taken = traps_taken + 1;
  return 1;
}

int main(void) {
  u64 total = 0;
  for (u64 i = 1; i <= 5; ++i) total += bump(i);
  set_m_handler(on_trap);
  u64 scratch;
  __asm__ volatile(".globl ecall_site\necall_site: ecall" ::: "memory");
  __asm__ volatile(".globl fault_site\nfault_site: ld %0, 0(zero)" : "=r"(scratch)::"memory");
  printf_("watched=%lu total=%lu traps=%lu\n", watched, total, traps_taken);
  while (spin) {
  }
  return 0;
}
