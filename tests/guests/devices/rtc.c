/* Goldfish RTC at 0x101000 on the virt board: the time (QEMU runs with
 * -rtc base=2026-01-01T00:00:00,clock=vm, lockstep's fixed base, so the absolute time must
 * match too), alarms in the future (polled and with WFI), in the past, cancelled, and with
 * the interrupt disabled, delivered through the PLIC (source 11) to hart 0's M context. */
#include "guest.h"

#define RTC 0x101000ul
#define RTC_TIME_LOW 0x00
#define RTC_TIME_HIGH 0x04
#define RTC_ALARM_LOW 0x08
#define RTC_ALARM_HIGH 0x0c
#define RTC_IRQ_ENABLED 0x10
#define RTC_CLEAR_ALARM 0x14
#define RTC_ALARM_STATUS 0x18
#define RTC_CLEAR_INTERRUPT 0x1c
#define RTC_IRQ 11

#define PLIC 0x0c000000ul
#define PLIC_PENDING (PLIC + 0x1000ul)
#define PLIC_ENABLE0 (PLIC + 0x2000ul)
#define PLIC_THRESHOLD0 (PLIC + 0x200000ul)
#define PLIC_CLAIM0 (PLIC + 0x200004ul)

#define BASE_NS 1767225600000000000ul /* 2026-01-01T00:00:00Z */

static u32 rtc_r(unsigned reg) { return mmio_read32(RTC + reg); }
static void rtc_w(unsigned reg, u32 v) { mmio_write32(RTC + reg, v); }
static u64 rtc_time(void) {
  u64 lo = rtc_r(RTC_TIME_LOW); /* latches TIME_HIGH */
  return (u64)rtc_r(RTC_TIME_HIGH) << 32 | lo;
}
static void set_alarm(u64 t) {
  rtc_w(RTC_ALARM_HIGH, (u32)(t >> 32));
  rtc_w(RTC_ALARM_LOW, (u32)t); /* arms */
}
static int meip(void) { return (int)((csr_read(mip) >> 11) & 1); }
static int rtc_pending(void) { return (int)((mmio_read32(PLIC_PENDING) >> RTC_IRQ) & 1); }

static volatile int irqs;
static volatile u64 irq_claim, irq_status, irq_time;

static int on_trap(struct trap_frame* tf) {
  if (tf->cause != ((1ul << 63) | 11)) return 0;
  irqs++;
  irq_time = rtc_time();
  irq_claim = mmio_read32(PLIC_CLAIM0);
  irq_status = rtc_r(RTC_ALARM_STATUS);
  rtc_w(RTC_CLEAR_INTERRUPT, 1);
  mmio_write32(PLIC_CLAIM0, (u32)irq_claim);
  return 1;
}

/* Polls mip.MEIP with interrupts off; returns the number of polls (bounded). */
static u64 spin_for_meip(u64 limit) {
  u64 n = 0;
  while (!meip() && n < limit) n++;
  return n;
}

int main(void) {
  set_m_handler(on_trap);

  u64 t0 = rtc_time();
  u64 t1 = rtc_time();
  printf_("time=%lx since-base=%lu step=%lu\n", t0, t0 - BASE_NS, t1 - t0);
  printf_("regs: alarm=%x/%x irq_enabled=%x status=%x\n", rtc_r(RTC_ALARM_LOW), rtc_r(RTC_ALARM_HIGH),
          rtc_r(RTC_IRQ_ENABLED), rtc_r(RTC_ALARM_STATUS));

  mmio_write32(PLIC + 4 * RTC_IRQ, 1);
  mmio_write32(PLIC_ENABLE0, 1u << RTC_IRQ);
  mmio_write32(PLIC_THRESHOLD0, 0);
  csr_set(mie, 1ul << 11);

  /* 1. An alarm 3000 ns ahead, polled. */
  rtc_w(RTC_IRQ_ENABLED, 1);
  u64 now = rtc_time();
  set_alarm(now + 3000);
  u32 running = rtc_r(RTC_ALARM_STATUS);
  u64 polls = spin_for_meip(100000);
  u64 seen = rtc_time();
  printf_("polled: running=%x polls=%lu late=%ld status=%x pending=%d\n", running, polls, (i64)(seen - (now + 3000)),
          rtc_r(RTC_ALARM_STATUS), rtc_pending());
  u32 claim = mmio_read32(PLIC_CLAIM0);
  rtc_w(RTC_CLEAR_INTERRUPT, 1);
  printf_("  claim=%d meip-after-clear=%d\n", (int)claim, meip());
  mmio_write32(PLIC_CLAIM0, claim);
  printf_("  after complete: meip=%d pending=%d claim=%d\n", meip(), rtc_pending(), (int)mmio_read32(PLIC_CLAIM0));

  /* 2. An alarm 20000 ns ahead, waited for with WFI and taken as an interrupt. */
  now = rtc_time();
  set_alarm(now + 20000);
  csr_set(mstatus, 1ul << 3);
  __asm__ volatile("wfi" ::: "memory");
  csr_clear(mstatus, 1ul << 3);
  printf_("wfi: irqs=%d claim=%d status=%x late=%ld\n", irqs, (int)irq_claim, (u32)irq_status,
          (i64)(irq_time - (now + 20000)));
  irqs = 0;

  /* 3. An alarm in the past fires during the ALARM_LOW write. */
  now = rtc_time();
  set_alarm(now - 1);
  printf_("past: status=%x meip=%d pending=%d\n", rtc_r(RTC_ALARM_STATUS), meip(), rtc_pending());
  claim = mmio_read32(PLIC_CLAIM0);
  rtc_w(RTC_CLEAR_INTERRUPT, 1);
  mmio_write32(PLIC_CLAIM0, claim);
  printf_("  claim=%d meip=%d\n", (int)claim, meip());

  /* 4. A cancelled alarm never fires. */
  now = rtc_time();
  set_alarm(now + 2000);
  rtc_w(RTC_CLEAR_ALARM, 1);
  printf_("cancelled: status=%x\n", rtc_r(RTC_ALARM_STATUS));
  polls = spin_for_meip(2000);
  printf_("  polls=%lu meip=%d pending=%d\n", polls, meip(), rtc_pending());

  /* 5. With IRQ_ENABLED = 0 the alarm fires (status drops) but the line stays low until the
   * interrupt is enabled again. */
  rtc_w(RTC_IRQ_ENABLED, 0);
  now = rtc_time();
  set_alarm(now + 1000);
  while (rtc_r(RTC_ALARM_STATUS) && rtc_time() < now + 100000) {
  }
  printf_("disabled: status=%x meip=%d pending=%d irq_enabled=%x\n", rtc_r(RTC_ALARM_STATUS), meip(), rtc_pending(),
          rtc_r(RTC_IRQ_ENABLED));
  rtc_w(RTC_IRQ_ENABLED, 1);
  printf_("  enabled: meip=%d pending=%d\n", meip(), rtc_pending());
  claim = mmio_read32(PLIC_CLAIM0);
  rtc_w(RTC_CLEAR_INTERRUPT, 1);
  mmio_write32(PLIC_CLAIM0, claim);
  printf_("  claim=%d meip=%d\n", (int)claim, meip());

  /* 6. Writing the time moves it; the alarm follows the new time. */
  rtc_w(RTC_TIME_HIGH, 0x12345678);
  u64 t2 = rtc_time();
  printf_("set time: high=%x\n", (u32)(t2 >> 32));
  return 0;
}
