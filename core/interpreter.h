#pragma once
#include <cstdio>

#include "core/hart.h"

namespace lockstep::core {

enum class StopReason {
  Budget,   // icount reached the requested end
  Waiting,  // the hart executed WFI and no enabled interrupt is pending
  Request,  // a device asked the machine to look (exit, reset, timer reprogrammed)
};

// Instruction tracing, off by default: one line per retired or trapping instruction.
struct TraceSink {
  std::FILE* out = nullptr;
};

// Runs the hart until its icount reaches end_icount or something needs the machine's attention.
// Interrupts are taken only at block boundaries, which the dispatcher makes instruction-exact
// because a device access or CSR write always ends the block.
StopReason run_hart(Hart& h, u64 end_icount, const TraceSink* trace = nullptr);

}  // namespace lockstep::core
