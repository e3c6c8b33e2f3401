#pragma once
// Memory layout and dump format shared by the generator (which writes the guest program)
// and the driver (which parses what the guest prints). link.ld places the sections at
// these addresses; the guest prints one line per 64-bit word: "<index, 3 hex> <value, 16 hex>".
#include <cstdint>
#include <string>

namespace lockstep::tests::random {

inline constexpr uint64_t kEntryAddr = 0x80000000;   // runtime: _start, trap handler, dump
inline constexpr uint64_t kCodeAddr = 0x80001000;    // the random instructions (.text.random)
inline constexpr uint64_t kStateAddr = 0x80200000;   // dump area (.data.state), 256 words
inline constexpr uint64_t kDataAddr = 0x80200800;    // the data area (.data.area)
inline constexpr unsigned kDataSize = 4096;
// The base register points at the middle of the data area, which is also a page boundary,
// so every signed 12-bit offset stays inside the area and accesses near offset 0 cross pages.
inline constexpr uint64_t kBaseOffset = 2048;
inline constexpr uint64_t kBaseAddr = kDataAddr + kBaseOffset;
// sp points at the start of the area: c.[lsf][wd]sp offsets (0..504) stay inside it.
inline constexpr uint64_t kSpAddr = kDataAddr;

// Word indices in the dump.
inline constexpr unsigned kIdxX1 = 0;        // x1..x31 -> 0..30
inline constexpr unsigned kIdxF0 = 31;       // f0..f31 -> 31..62
inline constexpr unsigned kIdxFcsr = 63;
inline constexpr unsigned kIdxMstatus = 64;  // masked with kMstatusDumpMask
inline constexpr unsigned kIdxTrapCount = 65;
inline constexpr unsigned kIdxTraps = 66;    // mcause, mtval, mepc per recorded trap
inline constexpr unsigned kMaxTrapRecords = 32;
inline constexpr unsigned kIdxMinstret = 0xF0;  // read at the end: QEMU -icount counts exactly
inline constexpr unsigned kIdxCheckpointCount = 0xF1;
// Checkpoints (see generator.cpp): fflags read-and-cleared and a hash of x1..x31 (and f0..f31
// unless FS is off), two words each, in a ring of kMaxCheckpoints slots (a power of two).
inline constexpr unsigned kIdxCheckpoints = 0x300;
inline constexpr unsigned kMaxCheckpoints = 64;
inline constexpr unsigned kIdxData = 0x100;  // data area words 0..511 -> 0x100..0x2ff
inline constexpr unsigned kDataWords = kDataSize / 8;

// mstatus bits random code can change (through traps and mret): MIE, MPIE, MPP, FS, SD.
inline constexpr uint64_t kMstatusDumpMask =
    (uint64_t{1} << 3) | (uint64_t{1} << 7) | (uint64_t{3} << 11) | (uint64_t{3} << 13) | (uint64_t{1} << 63);

// A readable name for a dump index: "x5", "f12", "fcsr", "trap[3].mcause", "mem[base-0x7f8]".
std::string dump_name(unsigned index);

}  // namespace lockstep::tests::random
