// Weak stand-ins for the memory slow path, so that this test binary links on its own; the core
// library's definitions take precedence when it is linked in. The F/D tests map their memory
// through the software TLB, so the slow path is never taken.
#include "core/memory.h"

namespace lockstep::core {
__attribute__((weak)) bool load_slow(Hart&, u64, unsigned, u64&) { return false; }
__attribute__((weak)) bool store_slow(Hart&, u64, unsigned, u64) { return false; }
}  // namespace lockstep::core
