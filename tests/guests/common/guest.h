/* Tiny freestanding runtime for lockstep test guests. */
#pragma once
#include <stdarg.h>
#include <stdint.h>

#include "guest_asm.h"

typedef uint64_t u64;
typedef int64_t i64;
typedef uint32_t u32;
typedef int32_t i32;
typedef uint16_t u16;
typedef uint8_t u8;

#define STR_(x) #x
#define STR(x) STR_(x)
#define csr_read(csr) ({ u64 v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" ::"rK"((u64)(val)) : "memory")
#define csr_set(csr, val) __asm__ volatile("csrs " #csr ", %0" ::"rK"((u64)(val)) : "memory")
#define csr_clear(csr, val) __asm__ volatile("csrc " #csr ", %0" ::"rK"((u64)(val)) : "memory")
#define csr_swap(csr, val) ({ u64 v_; __asm__ volatile("csrrw %0, " #csr ", %1" : "=r"(v_) : "rK"((u64)(val)) : "memory"); v_; })

static inline void mmio_write32(u64 addr, u32 v) { *(volatile u32*)addr = v; }
static inline u32 mmio_read32(u64 addr) { return *(volatile u32*)addr; }
static inline void mmio_write64(u64 addr, u64 v) { *(volatile u64*)addr = v; }
static inline u64 mmio_read64(u64 addr) { return *(volatile u64*)addr; }

/* Console (UART0, polled). */
void putchar_(char c);
void puts_(const char* s);           /* no newline added */
void print_hex(u64 v);               /* 0x%016lx */
void print_dec(i64 v);
void print_udec(u64 v);
/* printf subset: %s %c %d %ld %u %lu %x %lx (%x = 0x-prefixed, zero padded to the
 * operand width: 8 digits for %x, 16 for %lx), %%. %N... width is not supported. */
void printf_(const char* fmt, ...);
void vprintf_(const char* fmt, va_list ap);

/* Self-check helpers: print "PASS name" / "FAIL name got=... want=..." lines. */
extern int check_failures;
void check_eq(const char* name, u64 got, u64 want);
void check_true(const char* name, int cond);

/* Exit: prints "minstret=<decimal>" (read right before) and writes sifive_test.
 * code 0 = pass; otherwise the emulator exits with `code`. Never returns. */
__attribute__((noreturn)) void exit(int code);

/* Trap handling.  The default handlers print the trap and exit(100). A test
 * installs its own with set_m_handler()/set_s_handler(); a handler returns 1 if it
 * handled the trap (it may change tf->epc, tf->status, tf->x[]), 0 to fall back to
 * the default.  ecall with a7 == GUEST_ECALL_RETURN is consumed before the
 * test's handler runs (it ends run_in_mode). */
struct trap_frame {
  u64 x[32];
  u64 cause, epc, tval, status;
};
typedef int (*trap_handler_fn)(struct trap_frame* tf);
void set_m_handler(trap_handler_fn fn);
void set_s_handler(trap_handler_fn fn);
extern void trap_vector_m(void);
extern void trap_vector_s(void);

/* Runs fn(arg) in U-mode (mode 0) or S-mode (mode 1) and returns its value. */
long run_in_mode(int mode, long (*fn)(long), long arg);

/* Length in bytes (2 or 4) of the instruction at a physical/identity-mapped address. */
static inline int insn_len(u64 pc) { return ((*(volatile u16*)pc) & 3) == 3 ? 4 : 2; }
/* Skip the trapping instruction. */
static inline void skip_insn(struct trap_frame* tf) { tf->epc += insn_len(tf->epc); }

void print_trap(const char* who, const struct trap_frame* tf);

extern u64 boot_hartid, boot_dtb;
extern char __heap_start[], __heap_end[], __stack_top[], __lower_stack_top[], __user_text_start[], __user_text_end[];

void* memset(void* d, int c, unsigned long n);
void* memcpy(void* d, const void* s, unsigned long n);
