#include "devices/sifive_test.h"

namespace lockstep::devices {

bool SifiveTest::read(u64, unsigned, u64& value) {
  value = 0;
  return true;
}

bool SifiveTest::write(u64 offset, unsigned, u64 value) {
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
