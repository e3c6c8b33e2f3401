#pragma once
// The migration property the device targets check after every step: save the machine to memory,
// load the stream into a fresh machine of the same configuration, and require the same digest and
// the same stream when the copy is saved again. A failure is a finding: the message names the
// step and what differed, then __builtin_trap() makes libFuzzer keep the input.
#include <string>

#include "machines/virt/virt_machine.h"

namespace lockstep::fuzz {

void require_round_trip(const machines::virt::VirtMachine& m, const std::string& step);

}  // namespace lockstep::fuzz
