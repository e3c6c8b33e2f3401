#pragma once
// Console output shown once. Reverse execution re-runs the past from checkpoints, and the guest
// prints what it printed then: the gate passes on only what the guest writes at or beyond the
// furthest icount it has reached before (the engine moves that mark after every run). Give
// sink() to VirtMachine::create and the gate to the debugger (GdbServerOptions::console).
#include <cstdint>
#include <functional>

#include "machines/virt/virt_machine.h"

namespace lockstep::replay::gdb {

class ConsoleGate {
 public:
  explicit ConsoleGate(std::function<void(std::uint8_t)> out) : out_(std::move(out)) {}
  ConsoleGate(const ConsoleGate&) = delete;
  ConsoleGate& operator=(const ConsoleGate&) = delete;

  // For VirtMachine::create; the gate must outlive the machine.
  machines::virt::VirtMachine::ConsoleSink sink() {
    return [this](std::uint8_t c) {
      if (!vm_ || vm_->icount() >= shown_until_) out_(c);
    };
  }
  // Which machine's icount stamps the output (set by the engine; until then all output shows).
  void attach(const machines::virt::VirtMachine* vm) { vm_ = vm; }
  // Output of instructions before `icount` has been shown.
  void shown_until(std::uint64_t icount) {
    if (icount > shown_until_) shown_until_ = icount;
  }
  // The debugger changed the guest at `icount`: the future is new, its output too.
  void reset_to(std::uint64_t icount) { shown_until_ = icount; }

 private:
  std::function<void(std::uint8_t)> out_;
  const machines::virt::VirtMachine* vm_ = nullptr;
  std::uint64_t shown_until_ = 0;
};

}  // namespace lockstep::replay::gdb
