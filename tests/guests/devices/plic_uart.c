/* Interrupts through the PLIC on the virt board: UART0 (source 10) raising its THR-empty
 * interrupt, routed to hart 0's M context (context 0), then blocked by the threshold, then
 * routed to the S context (context 1) with SEIP delegated. Prints what every step observed
 * (mcause/scause, mepc, claim IDs, IIR, pending bits, mip) so the differential test compares
 * each with QEMU. */
#include "guest.h"

#define PLIC 0x0c000000ul
#define PLIC_PRIO(src) (PLIC + 4ul * (src))
#define PLIC_PENDING (PLIC + 0x1000ul)
#define PLIC_ENABLE(ctx) (PLIC + 0x2000ul + 0x80ul * (ctx))
#define PLIC_THRESHOLD(ctx) (PLIC + 0x200000ul + 0x1000ul * (ctx))
#define PLIC_CLAIM(ctx) (PLIC + 0x200004ul + 0x1000ul * (ctx))
#define UART 0x10000000ul
#define UART_IRQ 10
#define UART_IER 1
#define UART_IIR 2

static inline u8 uart_read(unsigned reg) { return *(volatile u8*)(UART + reg); }
static inline void uart_write(unsigned reg, u8 v) { *(volatile u8*)(UART + reg) = v; }

/* What the interrupt handlers saw (the handlers print nothing: with IER.THRI set, every
 * console byte would raise the interrupt again). */
static volatile int irqs;
static volatile u64 irq_cause, irq_epc, irq_claim, irq_iir, irq_pending_in_handler, irq_mip;

static void take_uart_irq(struct trap_frame* tf, unsigned ctx) {
  irqs++;
  irq_cause = tf->cause;
  irq_epc = tf->epc;
  irq_pending_in_handler = mmio_read32(PLIC_PENDING);
  irq_claim = mmio_read32(PLIC_CLAIM(ctx));
  irq_iir = uart_read(UART_IIR); /* reading IIR acknowledges THRI */
  uart_write(UART_IER, 0);
  mmio_write32(PLIC_CLAIM(ctx), (u32)irq_claim); /* complete */
}

static int on_m_trap(struct trap_frame* tf) {
  if (tf->cause != ((1ul << 63) | 11)) return 0;
  irq_mip = csr_read(mip);
  take_uart_irq(tf, 0);
  return 1;
}

static int on_s_trap(struct trap_frame* tf) {
  if (tf->cause != ((1ul << 63) | 9)) return 0;
  irq_mip = csr_read(sip);
  take_uart_irq(tf, 1);
  return 1;
}

static void report(const char* what) {
  printf_("%s: irqs=%d cause=%lx claim=%d iir=%x pending=%x ip=%lx\n", what, irqs, irq_cause, (int)irq_claim,
          (u32)irq_iir, (u32)irq_pending_in_handler, irq_mip);
  printf_("  epc=%lx\n", irq_epc);
  irqs = 0;
  irq_cause = irq_epc = irq_claim = irq_iir = irq_pending_in_handler = irq_mip = 0;
}

/* The store that enables THRI; the interrupt must arrive right after it. */
__attribute__((noinline)) static void enable_thri(void) {
  uart_write(UART_IER, 0);
  uart_write(UART_IER, 2);
  __asm__ volatile("nop; nop; nop" ::: "memory");
}

static long s_part(long arg) {
  (void)arg;
  csr_set(sie, 1ul << 9);
  csr_set(sstatus, 1ul << 1);
  enable_thri();
  csr_clear(sstatus, 1ul << 1);
  return irqs;
}

int main(void) {
  set_m_handler(on_m_trap);
  set_s_handler(on_s_trap);
  csr_write(stvec, (u64)trap_vector_s);

  /* Reset-state reads. */
  printf_("prio10=%x thr0=%x thr1=%x en0=%x en1=%x\n", mmio_read32(PLIC_PRIO(UART_IRQ)), mmio_read32(PLIC_THRESHOLD(0)),
          mmio_read32(PLIC_THRESHOLD(1)), mmio_read32(PLIC_ENABLE(0)), mmio_read32(PLIC_ENABLE(1)));
  printf_("iir=%x ier=%x\n", (u32)uart_read(UART_IIR), (u32)uart_read(UART_IER));

  /* 1. M context: priority 1 > threshold 0. */
  mmio_write32(PLIC_PRIO(UART_IRQ), 1);
  mmio_write32(PLIC_THRESHOLD(0), 0);
  mmio_write32(PLIC_ENABLE(0), 1u << UART_IRQ);
  printf_("prio10=%x en0=%x\n", mmio_read32(PLIC_PRIO(UART_IRQ)), mmio_read32(PLIC_ENABLE(0)));
  csr_set(mie, 1ul << 11);
  csr_set(mstatus, 1ul << 3);
  enable_thri();
  csr_clear(mstatus, 1ul << 3);
  report("m-ctx");
  printf_("after: pending=%x claim=%d iir=%x mip.meip=%d\n", mmio_read32(PLIC_PENDING), (int)mmio_read32(PLIC_CLAIM(0)),
          (u32)uart_read(UART_IIR), (int)((csr_read(mip) >> 11) & 1));

  /* 2. Threshold 1 = priority 1: nothing is taken, the source stays pending, claim is 0. */
  mmio_write32(PLIC_THRESHOLD(0), 1);
  csr_set(mstatus, 1ul << 3);
  enable_thri();
  csr_clear(mstatus, 1ul << 3);
  printf_("threshold: irqs=%d pending=%x mip.meip=%d claim=%d iir=%x\n", irqs, mmio_read32(PLIC_PENDING),
          (int)((csr_read(mip) >> 11) & 1), (int)mmio_read32(PLIC_CLAIM(0)), (u32)uart_read(UART_IIR));
  /* IIR was read above (THRI acknowledged), but the PLIC keeps the pending bit: lowering the
   * threshold delivers it now. */
  printf_("pending before lowering=%x\n", mmio_read32(PLIC_PENDING));
  csr_set(mstatus, 1ul << 3);
  mmio_write32(PLIC_THRESHOLD(0), 0);
  __asm__ volatile("nop; nop" ::: "memory");
  csr_clear(mstatus, 1ul << 3);
  report("lowered");

  /* 3. Priority 0 means never: pending but not delivered even with threshold 0. */
  mmio_write32(PLIC_PRIO(UART_IRQ), 0);
  csr_set(mstatus, 1ul << 3);
  enable_thri();
  csr_clear(mstatus, 1ul << 3);
  printf_("prio0: irqs=%d pending=%x mip.meip=%d claim=%d iir=%x\n", irqs, mmio_read32(PLIC_PENDING),
          (int)((csr_read(mip) >> 11) & 1), (int)mmio_read32(PLIC_CLAIM(0)), (u32)uart_read(UART_IIR));
  uart_write(UART_IER, 0);
  mmio_write32(PLIC_PRIO(UART_IRQ), 7);
  csr_set(mstatus, 1ul << 3);
  __asm__ volatile("nop; nop" ::: "memory");
  csr_clear(mstatus, 1ul << 3);
  report("prio7");

  /* 4. S context with SEIP delegated: M context disabled, context 1 enabled. */
  mmio_write32(PLIC_ENABLE(0), 0);
  mmio_write32(PLIC_ENABLE(1), 1u << UART_IRQ);
  mmio_write32(PLIC_THRESHOLD(1), 0);
  csr_write(mideleg, 1ul << 9);
  long n = run_in_mode(1, s_part, 0);
  csr_write(mideleg, 0);
  printf_("s-ctx returned %d\n", (int)n);
  report("s-ctx");
  printf_("end: pending=%x mip=%lx\n", mmio_read32(PLIC_PENDING), csr_read(mip));
  return 0;
}
