#include "devices/uart16550.h"

namespace lockstep::devices {
namespace {
constexpr u8 kLcrDlab = 0x80;
constexpr u8 kLsrThre = 0x20, kLsrTemt = 0x40;
}  // namespace

bool Uart16550::read(u64 offset, unsigned, u64& value) {
  State& s = state_;
  const bool dlab = s.lcr & kLcrDlab;
  switch (offset) {
    case 0: value = dlab ? (s.divider & 0xff) : s.rbr; break;
    case 1: value = dlab ? (s.divider >> 8) : s.ier; break;
    case 2: value = s.iir | ((s.fcr & 1) ? 0xC0 : 0); break;
    case 3: value = s.lcr; break;
    case 4: value = s.mcr; break;
    case 5: value = s.lsr | kLsrThre | kLsrTemt; break;
    case 6: value = s.msr; break;
    case 7: value = s.scr; break;
    default: value = 0; break;
  }
  return true;
}

bool Uart16550::write(u64 offset, unsigned, u64 value) {
  State& s = state_;
  const u8 v = static_cast<u8>(value);
  const bool dlab = s.lcr & kLcrDlab;
  switch (offset) {
    case 0:
      if (dlab) {
        s.divider = (s.divider & 0xff00) | v;
      } else if (sink_) {
        sink_(v);
      }
      break;
    case 1:
      if (dlab) {
        s.divider = static_cast<uint16_t>((s.divider & 0x00ff) | (v << 8));
      } else {
        s.ier = v & 0x0f;
      }
      break;
    case 2: s.fcr = v & 0xC9; break;
    case 3: s.lcr = v; break;
    case 4: s.mcr = v & 0x1f; break;
    case 7: s.scr = v; break;
    default: break;
  }
  return true;
}

}  // namespace lockstep::devices
