#pragma once
#include <functional>

#include "core/address_space.h"

namespace lockstep::devices {

using core::u64;
using core::u8;

// NS16550A UART (QEMU's "serial" on the virt board, register shift 0). Transmission is
// immediate: every byte written to THR goes to the output sink at once.
class Uart16550 : public core::MmioDevice {
 public:
  struct State {
    u8 rbr = 0, ier = 0, iir = 1, lcr = 0, mcr = 0, lsr = 0x60, msr = 0, scr = 0, fcr = 0;
    uint16_t divider = 0;
  };

  explicit Uart16550(std::function<void(u8)> sink) : sink_(std::move(sink)) {}

  bool read(u64 offset, unsigned size, u64& value) override;
  bool write(u64 offset, unsigned size, u64 value) override;
  void reset() { state_ = State{}; }
  const State& state() const { return state_; }

 private:
  State state_;
  std::function<void(u8)> sink_;
};

}  // namespace lockstep::devices
