#pragma once
#include <string>

#include "core/insn.h"

namespace lockstep::core::decode {

// objdump-style text for a decoded instruction (ABI register names, pc-relative targets resolved).
std::string disassemble(const Insn& i, u64 pc);

const char* xreg_name(unsigned r);
const char* freg_name(unsigned r);

}  // namespace lockstep::core::decode
