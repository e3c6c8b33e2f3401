#pragma once
#include <functional>

#include "core/address_space.h"
#include "devices/sifive_test.h"

namespace lockstep::devices {

// Berkeley HTIF, as Spike and QEMU's spike machine implement it for riscv-tests and
// riscv-arch-test: the guest writes a command to the `tohost` symbol's doubleword, the host
// answers in `fromhost`. Device 0 command 0 with bit 0 set exits with code (payload >> 1);
// device 1 command 1 writes a console byte.
class Htif : public core::MmioDevice {
 public:
  Htif(core::AddressSpace& bus, u64 tohost, u64 fromhost, PowerRequest& request, std::function<void(uint8_t)> sink)
      : bus_(bus), tohost_(tohost), fromhost_(fromhost), request_(request), sink_(std::move(sink)) {}

  // Store watch on tohost: offset within the doubleword, the store's size and value.
  bool read(u64 offset, unsigned size, u64& value) override;
  bool write(u64 offset, unsigned size, u64 value) override;

 private:
  core::AddressSpace& bus_;
  u64 tohost_, fromhost_;
  PowerRequest& request_;
  std::function<void(uint8_t)> sink_;
};

}  // namespace lockstep::devices
