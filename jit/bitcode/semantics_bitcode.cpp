// Compiled by clang++-14 to LLVM bitcode at build time (never by the project compiler) and
// embedded in the binary: the JIT's copy of the interpreter's semantics, the same source.
// Each semantics function gets an external, unmangled wrapper the region compiler calls and
// inlines; the layout constants let the JIT refuse to start when clang and the project
// compiler disagree on the structs they share.
#include <cstddef>

#include "core/semantics/all.h"

using lockstep::core::Flow;
using lockstep::core::Hart;
using lockstep::core::Insn;

extern "C" {
#define LOCKSTEP_BITCODE_WRAPPER(name) \
  Flow lockstep_sem_##name(Hart& h, const Insn& i) { return lockstep::core::sem::name(h, i); }
LOCKSTEP_FOR_EACH_SEMANTICS(LOCKSTEP_BITCODE_WRAPPER)
#undef LOCKSTEP_BITCODE_WRAPPER

#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winvalid-offsetof"
extern const unsigned long lockstep_bitcode_layout[] = {
    sizeof(Hart), offsetof(Hart, pc), offsetof(Hart, icount), offsetof(Hart, x), offsetof(Hart, stop_block),
    sizeof(Insn), offsetof(Insn, imm), offsetof(Insn, rd), offsetof(Insn, len),
};
#pragma clang diagnostic pop
}
