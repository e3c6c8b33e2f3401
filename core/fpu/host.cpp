#include "core/fpu/host.h"

namespace lockstep::core::fpu::host {

namespace {
bool cpu_has_fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("fma");
}
}  // namespace

const bool kHasFma = cpu_has_fma();

}  // namespace lockstep::core::fpu::host
