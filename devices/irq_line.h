#pragma once

namespace lockstep::devices {

// Something that receives interrupt lines (the PLIC).
class IrqSink {
 public:
  virtual ~IrqSink() = default;
  virtual void set_irq(unsigned irq, bool level) = 0;
};

// A device's interrupt output: a level, wired to one source of a sink. Unwired lines do nothing.
struct IrqLine {
  IrqSink* sink = nullptr;
  unsigned irq = 0;
  void set(bool level) const {
    if (sink) sink->set_irq(irq, level);
  }
};

}  // namespace lockstep::devices
