#pragma once
// A feed point's receivers with a tap: everything passes through to the real ones, and each console
// byte and network frame a receiver took is noted, in delivery order. What record and the debugger's
// input history log.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "machines/console/input_source.h"

namespace lockstep::replay {

class TappedReceivers {
 public:
  // One delivery: a console byte (nic < 0) or a frame to NIC `nic`.
  using Tap = std::function<void(int nic, std::span<const std::uint8_t> bytes)>;

  TappedReceivers(const machines::InputReceivers& to, Tap tap) : tap_(std::move(tap)), console_(to.console, tap_) {
    nics_.reserve(to.nics.size());
    for (std::size_t k = 0; k < to.nics.size(); ++k) nics_.emplace_back(*to.nics[k], static_cast<int>(k), tap_);
    for (Nic& n : nics_) nic_ptrs_.push_back(&n);
  }
  TappedReceivers(const TappedReceivers&) = delete;
  TappedReceivers& operator=(const TappedReceivers&) = delete;

  machines::InputReceivers receivers() { return machines::InputReceivers{console_, nic_ptrs_}; }

 private:
  struct Console final : machines::ConsoleReceiver {
    machines::ConsoleReceiver& inner;
    const Tap& tap;
    Console(machines::ConsoleReceiver& r, const Tap& t) : inner(r), tap(t) {}
    bool can_receive() const override { return inner.can_receive(); }
    void receive(std::uint8_t b) override {
      inner.receive(b);
      tap(-1, std::span<const std::uint8_t>(&b, 1));
    }
  };
  struct Nic final : machines::PacketReceiver {
    machines::PacketReceiver& inner;
    int index;
    const Tap& tap;
    Nic(machines::PacketReceiver& r, int k, const Tap& t) : inner(r), index(k), tap(t) {}
    bool can_receive(std::size_t len) const override { return inner.can_receive(len); }
    void receive(std::span<const std::uint8_t> frame) override {
      inner.receive(frame);
      tap(index, frame);
    }
  };
  Tap tap_;
  Console console_;
  std::vector<Nic> nics_;
  std::vector<machines::PacketReceiver*> nic_ptrs_;
};

}  // namespace lockstep::replay
