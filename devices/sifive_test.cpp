#include "devices/sifive_test.h"

namespace lockstep::devices {

// QEMU's sifive_test accepts 2- and 4-byte accesses only (MemoryRegionOps .valid).
static bool valid_size(unsigned size) { return size == 2 || size == 4; }

bool SifiveTest::read(u64, unsigned size, u64& value) {
  value = 0;
  return valid_size(size);
}

bool SifiveTest::write(u64 offset, unsigned size, u64 value) {
  if (!valid_size(size)) return false;
  if (offset != 0) return true;
  const u64 status = value & 0xffff;
  const int code = static_cast<int>((value >> 16) & 0xffff);
  if (status == 0x3333) {
    request_ = PowerRequest{PowerRequest::Exit, code};
  } else if (status == 0x5555) {
    request_ = PowerRequest{PowerRequest::Exit, 0};
  } else if (status == 0x7777) {
    request_ = PowerRequest{PowerRequest::Reset, 0};
  }
  // Other values are ignored, as QEMU logs and ignores them.
  return true;
}

}  // namespace lockstep::devices
