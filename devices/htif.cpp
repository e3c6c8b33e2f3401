#include "devices/htif.h"

namespace lockstep::devices {

bool Htif::read(u64, unsigned, u64& value) {
  value = 0;
  return true;
}

bool Htif::write(u64 offset, unsigned size, u64) {
  // A command is complete when the upper word has been written (8-byte store, or the
  // second of two 4-byte stores), as in QEMU's htif_mm_write.
  if (offset + size != 8) return true;
  u64 cmd_word = 0;
  if (!bus_.read_phys(tohost_, 8, cmd_word) || cmd_word == 0) return true;
  const u64 device = cmd_word >> 56;
  const u64 command = (cmd_word >> 48) & 0xff;
  const u64 payload = cmd_word & ((u64{1} << 48) - 1);
  if (device == 0 && command == 0 && (payload & 1)) {
    request_ = PowerRequest{PowerRequest::Exit, static_cast<int>(payload >> 1)};
  } else if (device == 1 && command == 1) {
    if (sink_) sink_(static_cast<uint8_t>(payload));
    bus_.write_phys(fromhost_, 8, (device << 56) | (command << 48));
  } else if (device == 0 && command == 0) {
    // Proxied system calls (magic memory) are not supported: report it as a failure exit.
    request_ = PowerRequest{PowerRequest::Exit, 1};
  }
  // Acknowledge: tohost back to zero (plain RAM write, no re-trigger: the watch ignores zero).
  bus_.write_phys(tohost_, 8, 0);
  return true;
}

}  // namespace lockstep::devices
