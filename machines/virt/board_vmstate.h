#pragma once
// The board's own migratable state (section "virt-board") and the console script's progress
// (section "lockstep/console"): what the run loop and the input layer keep between instructions.
#include <cstdint>

#include "machines/console/console_script.h"
#include "snapshot/vmstate.h"

namespace lockstep::machines::virt {

struct BoardState {
  std::uint64_t clock_offset_ns = 0;  // VirtualClock::offset_ns (WFI warps, WFI charges)
  std::uint64_t ns_per_insn = 1;      // configuration (an *_equal field: both sides must agree)
  std::uint64_t quantum_left = 0;     // -smp round robin: instructions left in the current turn
  std::uint32_t current_hart = 0;
  std::uint32_t hart_count = 0;       // configuration (*_equal)
};

const snapshot::vm::Section<BoardState>& board_vmstate();
const snapshot::vm::Section<ConsoleScript::Progress>& console_progress_vmstate();

}  // namespace lockstep::machines::virt
