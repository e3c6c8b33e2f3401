/* Smallest guest: console output, boot registers, exit code 0. */
#include "guest.h"

int main(void) {
  puts_("hello from a lockstep test guest\n");
  printf_("hartid=%ld dtb=%lx\n", boot_hartid, boot_dtb);
  printf_("dec: %d %d %u %ld %lu\n", 0, -42, 4000000000u, -9223372036854775807l - 1, 18446744073709551615ul);
  printf_("hex: %x %lx\n", 0xdeadbeefu, 0x0123456789abcdeful);
  printf_("misa=%lx mhartid=%lx\n", csr_read(misa), csr_read(mhartid));
  return 0;
}
