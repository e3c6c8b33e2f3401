#pragma once
// libFuzzer's byte mutations rarely get a migration stream past its framing: a flipped length or
// footer ends the read long before any device body. This mutator works on the structure instead
// (stream_layout.h): drop, duplicate, reorder or truncate sections; change section ids, instance and
// version ids; break footers; mutate one body with libFuzzer's mutator and leave the framing intact;
// grow or shrink a body (an array that changed length); drop, rename or re-version a subsection;
// rename or resize a RAM block; edit one node of the VM description JSON (and fix its length).
// Whatever it cannot parse it hands to the byte mutator.
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

namespace lockstep::fuzz {

// libFuzzer's own mutator (LLVMFuzzerMutate), passed in so this code does not need libFuzzer.
using ByteMutator = std::size_t (*)(std::uint8_t* data, std::size_t size, std::size_t max_size);

// Mutates data[0, size) in place; returns the new size (<= max_size).
std::size_t mutate_stream(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned seed,
                          ByteMutator bytes);

// Two streams back to back (the diff target's input): mutates one of them, or makes the second a
// copy of the first (so that the next mutations make two streams that differ in a few fields).
std::size_t mutate_stream_pair(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned seed,
                               ByteMutator bytes);

// One structural edit of a JSON text (a node's value, type, a key or element dropped or duplicated);
// falls back to byte mutation when the text does not parse. Used on the VM description and on
// -dump-vmstate schemas.
std::string mutate_json_text(const std::string& text, std::minstd_rand& rng, ByteMutator bytes, std::size_t max_size);

}  // namespace lockstep::fuzz
