#pragma once
#include "core/address_space.h"

namespace lockstep::devices {

using core::u64;

// What a guest asked the machine to do through a power-control device.
struct PowerRequest {
  enum Kind { None, Exit, Reset } kind = None;
  int exit_code = 0;
};

// SiFive test finisher: 0x5555 = pass (exit 0), (code << 16) | 0x3333 = fail with code, 0x7777 = reset.
class SifiveTest : public core::MmioDevice {
 public:
  explicit SifiveTest(PowerRequest& request) : request_(request) {}
  bool read(u64 offset, unsigned size, u64& value) override;
  bool write(u64 offset, unsigned size, u64 value) override;

 private:
  PowerRequest& request_;
};

}  // namespace lockstep::devices
