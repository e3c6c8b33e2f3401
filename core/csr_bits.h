#pragma once
#include "core/types.h"

// CSR numbers and field masks from the RISC-V privileged specification (v1.12).
namespace lockstep::core::csr {

enum Number : u16 {
  fflags = 0x001, frm = 0x002, fcsr = 0x003,
  cycle = 0xC00, time = 0xC01, instret = 0xC02, hpmcounter3 = 0xC03, hpmcounter31 = 0xC1F,
  sstatus = 0x100, sie = 0x104, stvec = 0x105, scounteren = 0x106, senvcfg = 0x10A,
  sscratch = 0x140, sepc = 0x141, scause = 0x142, stval = 0x143, sip = 0x144, satp = 0x180,
  mvendorid = 0xF11, marchid = 0xF12, mimpid = 0xF13, mhartid = 0xF14, mconfigptr = 0xF15,
  mstatus = 0x300, misa = 0x301, medeleg = 0x302, mideleg = 0x303, mie = 0x304, mtvec = 0x305,
  mcounteren = 0x306, menvcfg = 0x30A, mcountinhibit = 0x320, mhpmevent3 = 0x323, mhpmevent31 = 0x33F,
  mscratch = 0x340, mepc = 0x341, mcause = 0x342, mtval = 0x343, mip = 0x344,
  pmpcfg0 = 0x3A0, pmpcfg15 = 0x3AF, pmpaddr0 = 0x3B0, pmpaddr63 = 0x3EF,
  mseccfg = 0x747,
  mcycle = 0xB00, minstret = 0xB02, mhpmcounter3 = 0xB03, mhpmcounter31 = 0xB1F,
  tselect = 0x7A0, tdata1 = 0x7A1, tdata2 = 0x7A2, tdata3 = 0x7A3, tinfo = 0x7A4,
};

// mstatus fields
inline constexpr u64 kSIE = u64{1} << 1;
inline constexpr u64 kMIE = u64{1} << 3;
inline constexpr u64 kSPIE = u64{1} << 5;
inline constexpr u64 kUBE = u64{1} << 6;
inline constexpr u64 kMPIE = u64{1} << 7;
inline constexpr u64 kSPP = u64{1} << 8;
inline constexpr u64 kVS = u64{3} << 9;
inline constexpr u64 kMPP = u64{3} << 11;
inline constexpr unsigned kMPPShift = 11;
inline constexpr u64 kFS = u64{3} << 13;
inline constexpr unsigned kFSShift = 13;
inline constexpr u64 kXS = u64{3} << 15;
inline constexpr u64 kMPRV = u64{1} << 17;
inline constexpr u64 kSUM = u64{1} << 18;
inline constexpr u64 kMXR = u64{1} << 19;
inline constexpr u64 kTVM = u64{1} << 20;
inline constexpr u64 kTW = u64{1} << 21;
inline constexpr u64 kTSR = u64{1} << 22;
inline constexpr u64 kUXL = u64{3} << 32;
inline constexpr u64 kSXL = u64{3} << 34;
inline constexpr u64 kSBE = u64{1} << 36;
inline constexpr u64 kMBE = u64{1} << 37;
inline constexpr u64 kSD = u64{1} << 63;

inline constexpr u64 kFsOff = 0, kFsInitial = 1, kFsClean = 2, kFsDirty = 3;

// Writable mstatus bits on this hart (RV64, no V, no big-endian, no XS).
inline constexpr u64 kMstatusWritable =
    kSIE | kMIE | kSPIE | kMPIE | kSPP | kMPP | kFS | kMPRV | kSUM | kMXR | kTVM | kTW | kTSR;
inline constexpr u64 kSstatusMask = kSIE | kSPIE | kUBE | kSPP | kVS | kFS | kXS | kSUM | kMXR | kUXL | kSD;
inline constexpr u64 kSstatusWritable = kSIE | kSPIE | kSPP | kFS | kSUM | kMXR;

// Interrupt bit masks
inline constexpr u64 kSSIP = u64{1} << 1;
inline constexpr u64 kMSIP = u64{1} << 3;
inline constexpr u64 kSTIP = u64{1} << 5;
inline constexpr u64 kMTIP = u64{1} << 7;
inline constexpr u64 kSEIP = u64{1} << 9;
inline constexpr u64 kMEIP = u64{1} << 11;
inline constexpr u64 kSInterrupts = kSSIP | kSTIP | kSEIP;
inline constexpr u64 kAllInterrupts = kSSIP | kMSIP | kSTIP | kMTIP | kSEIP | kMEIP;
// Exceptions that may be delegated to S-mode (ecall from M cannot be).
inline constexpr u64 kDelegableExceptions = 0xB3FF;  // bits 0-9, 12, 13, 15

// satp
inline constexpr unsigned kSatpModeShift = 60;
inline constexpr u64 kSatpModeBare = 0, kSatpModeSv39 = 8, kSatpModeSv48 = 9;
inline constexpr u64 kSatpPpnMask = (u64{1} << 44) - 1;
inline constexpr u64 kSatpAsidMask = u64{0xFFFF} << 44;

// misa: RV64 (MXL=2) IMAFDC + S + U
inline constexpr u64 kMisa = (u64{2} << 62) | (1u << ('I' - 'A')) | (1u << ('M' - 'A')) |
                             (1u << ('A' - 'A')) | (1u << ('F' - 'A')) | (1u << ('D' - 'A')) |
                             (1u << ('C' - 'A')) | (1u << ('S' - 'A')) | (1u << ('U' - 'A'));

// fcsr
inline constexpr u32 kFflagsMask = 0x1F;
inline constexpr u32 kNX = 1, kUF = 2, kOF = 4, kDZ = 8, kNV = 16;

}  // namespace lockstep::core::csr
