/* Hostile MMIO: loads and stores of every size at unmapped addresses, past device windows,
 * misaligned inside devices, with sizes a device refuses. Prints what each access returned or
 * which trap it raised (mcause, mtval), so the differential test compares every case with QEMU. */
#include "guest.h"

static volatile int trapped;
static u64 trap_cause, trap_tval;

static int on_trap(struct trap_frame* tf) {
  trapped = 1;
  trap_cause = tf->cause;
  trap_tval = tf->tval;
  skip_insn(tf);
  return 1;
}

static void report(const char* what, u64 addr, unsigned size, u64 value) {
  if (trapped) {
    printf_("%s %d @%lx: trap cause=%lx tval=%lx\n", what, (int)size, addr, trap_cause, trap_tval);
  } else {
    printf_("%s %d @%lx: ok value=%lx\n", what, (int)size, addr, value);
  }
}

static void probe_load(u64 addr, unsigned size) {
  u64 v = 0xdeadbeef;
  trapped = 0;
  switch (size) {
    case 1: v = *(volatile u8*)addr; break;
    case 2: v = *(volatile u16*)addr; break;
    case 4: v = *(volatile u32*)addr; break;
    default: v = *(volatile u64*)addr; break;
  }
  report("load ", addr, size, v);
}

static void probe_store(u64 addr, unsigned size, u64 value) {
  trapped = 0;
  switch (size) {
    case 1: *(volatile u8*)addr = (u8)value; break;
    case 2: *(volatile u16*)addr = (u16)value; break;
    case 4: *(volatile u32*)addr = (u32)value; break;
    default: *(volatile u64*)addr = value; break;
  }
  report("store", addr, size, 0);
}

int main(void) {
  set_m_handler(on_trap);
  static const u64 unmapped[] = {0x0, 0x800, 0x102000, 0x1fff000, 0x2010000, 0x9000000, 0x10000100};
  for (unsigned k = 0; k < sizeof unmapped / sizeof unmapped[0]; k++) {
    for (unsigned size = 1; size <= 8; size *= 2) probe_load(unmapped[k], size);
    probe_store(unmapped[k], 4, 0x12345678);
  }
  /* UART: an 8-byte register window; wider, misaligned and out-of-window accesses. */
  for (unsigned size = 1; size <= 8; size *= 2) probe_load(0x10000000 + 4, size);
  probe_load(0x10000005, 2);
  probe_load(0x10000003, 4);
  probe_load(0x10000010, 1);
  probe_load(0x100000ff, 1);
  probe_store(0x10000007, 2, 0x4142); /* SCR then past the window: a partial store */
  probe_load(0x10000007, 1);
  /* PLIC: 4-byte registers only. */
  probe_load(0x0c000004, 1);
  probe_load(0x0c000004, 2);
  probe_load(0x0c000004, 8);
  probe_load(0x0c000006, 4);
  probe_store(0x0c000004, 4, 7);
  probe_load(0x0c000004, 4);
  probe_load(0x0c5ffffc, 4);
  /* CLINT: msip 4 bytes only, mtimecmp 4 or 8. */
  probe_load(0x02000000, 1);
  probe_load(0x02000000, 8);
  probe_load(0x02004000, 2);
  probe_load(0x02004004, 4);
  probe_load(0x02004002, 4);
  /* RTC and sifive_test. */
  probe_load(0x00101000, 1);
  probe_load(0x00101024, 4);
  probe_load(0x00100000, 4);
  probe_load(0x00100004, 1);
  /* (Instruction fetch from a device is left out: QEMU 7.2 executes device registers as
   * code, lockstep raises an instruction access fault.) */
  return 0;
}
