#pragma once
// The migration property the device targets check after every step: save the machine to memory,
// load the stream into a fresh machine of the same configuration, and require the same digest and
// the same stream when the copy is saved again. A failure is a finding: the message names the
// step and what differed, then __builtin_trap() makes libFuzzer keep the input.
#include <memory>
#include <string>

#include "machines/virt/virt_machine.h"

namespace lockstep::fuzz {

void require_round_trip(const machines::virt::VirtMachine& m, const std::string& step);

// The same property per section and without RAM, cheap enough for every step of a program: each
// section of the machine is saved, loaded into the matching section of a second machine (built
// fresh for this input) and saved again; the bytes must be equal.
class SectionRoundTrip {
 public:
  explicit SectionRoundTrip(const std::string& machine);
  void require(const machines::virt::VirtMachine& m, const std::string& step);

 private:
  std::unique_ptr<machines::virt::VirtMachine> copy_;
};

}  // namespace lockstep::fuzz
