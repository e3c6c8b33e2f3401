#pragma once
// Installs the structure-aware stream mutator (stream_mutator.h) as a target's libFuzzer custom
// mutator. A macro, not a library symbol: libFuzzer looks LLVMFuzzerCustomMutator up as a weak
// symbol, which never pulls an object out of a static library, and only some targets want it.
#include <cstddef>
#include <cstdint>

#include "fuzz/targets/support/stream_mutator.h"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

#define LOCKSTEP_FUZZ_MUTATOR(function)                                                                 \
  extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size, \
                                                 unsigned seed) {                                      \
    return function(data, size, max_size, seed, LLVMFuzzerMutate);                                      \
  }
