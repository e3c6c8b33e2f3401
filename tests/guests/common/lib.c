#include "guest.h"

#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20

void putchar_(char c) {
  volatile u8* uart = (volatile u8*)UART0_BASE;
  while ((uart[UART_LSR] & UART_LSR_THRE) == 0) {
  }
  uart[UART_THR] = (u8)c;
}

void puts_(const char* s) {
  while (*s) putchar_(*s++);
}

static void print_hex_digits(u64 v, int digits) {
  for (int i = digits - 1; i >= 0; i--) putchar_("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

void print_hex(u64 v) {
  puts_("0x");
  print_hex_digits(v, 16);
}

void print_udec(u64 v) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) putchar_(buf[--n]);
}

void print_dec(i64 v) {
  if (v < 0) {
    putchar_('-');
    print_udec(-(u64)v);
  } else {
    print_udec((u64)v);
  }
}

void vprintf_(const char* fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      putchar_(*fmt);
      continue;
    }
    fmt++;
    int is_long = 0;
    while (*fmt == 'l') {
      is_long = 1;
      fmt++;
    }
    switch (*fmt) {
      case 's': puts_(va_arg(ap, const char*)); break;
      case 'c': putchar_((char)va_arg(ap, int)); break;
      case 'd': print_dec(is_long ? va_arg(ap, long) : va_arg(ap, int)); break;
      case 'u': print_udec(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned)); break;
      case 'x':
        puts_("0x");
        if (is_long)
          print_hex_digits(va_arg(ap, unsigned long), 16);
        else
          print_hex_digits(va_arg(ap, unsigned), 8);
        break;
      case '%': putchar_('%'); break;
      case 0: return;
      default: putchar_('%'); putchar_(*fmt); break;
    }
  }
}

void printf_(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf_(fmt, ap);
  va_end(ap);
}

int check_failures;

void check_eq(const char* name, u64 got, u64 want) {
  if (got == want) {
    printf_("PASS %s\n", name);
  } else {
    check_failures++;
    printf_("FAIL %s got=%lx want=%lx\n", name, got, want);
  }
}

void check_true(const char* name, int cond) {
  if (cond) {
    printf_("PASS %s\n", name);
  } else {
    check_failures++;
    printf_("FAIL %s\n", name);
  }
}

void exit(int code) {
  u64 n;
  __asm__ volatile("csrr %0, minstret" : "=r"(n));
  puts_("minstret=");
  print_udec(n);
  putchar_('\n');
  volatile u32* test = (volatile u32*)SIFIVE_TEST_BASE;
  *test = code == 0 ? 0x5555 : (((u32)code << 16) | 0x3333);
  for (;;) __asm__ volatile("wfi");
}

static trap_handler_fn m_handler, s_handler;
void set_m_handler(trap_handler_fn fn) { m_handler = fn; }
void set_s_handler(trap_handler_fn fn) { s_handler = fn; }

extern void run_in_mode_resume(long value) __attribute__((noreturn));
extern void s_forward_return(long value) __attribute__((noreturn));

void print_trap(const char* who, const struct trap_frame* tf) {
  printf_("%s trap cause=%lx epc=%lx tval=%lx\n", who, tf->cause, tf->epc, tf->tval);
}

void m_trap_dispatch(struct trap_frame* tf) {
  if ((tf->cause == 8 || tf->cause == 9) && tf->x[17] == GUEST_ECALL_RETURN) run_in_mode_resume((long)tf->x[10]);
  if (m_handler && m_handler(tf)) return;
  print_trap("unexpected M", tf);
  exit(100);
}

void s_trap_dispatch(struct trap_frame* tf) {
  if (tf->cause == 8 && tf->x[17] == GUEST_ECALL_RETURN) s_forward_return((long)tf->x[10]);
  if (s_handler && s_handler(tf)) return;
  print_trap("unexpected S", tf);
  exit(101);
}

void* memset(void* d, int c, unsigned long n) {
  u8* p = d;
  while (n--) *p++ = (u8)c;
  return d;
}

void* memcpy(void* d, const void* s, unsigned long n) {
  u8* p = d;
  const u8* q = s;
  while (n--) *p++ = *q++;
  return d;
}
