#pragma once
#include <array>
#include <cstdint>
#include <functional>

#include "core/address_space.h"
#include "core/virtual_clock.h"
#include "devices/irq_line.h"

namespace lockstep::devices {

using core::u16;
using core::u32;
using core::u64;
using core::u8;

// NS16550A UART as QEMU 7.2's hw/char/serial.c with the virt board's serial_mm (regshift 0,
// baudbase 399193, an 8-byte register window, chardev without modem-control ioctls).
//
// Accesses: 1, 2, 4 or 8 bytes, naturally aligned, inside the 8 registers (QEMU's serial_mm_ops:
// .valid/.impl max 8). A wide access touches only the register at its offset: reads return
// that register zero-extended, writes use the low byte. Offsets >= 8 and misaligned accesses
// are refused (false): on QEMU the window is 8 bytes (beyond it the hart faults), and
// misaligned MMIO never reaches a device (TCG splits it first; see the board notes).
//
// Deterministic choices (the only places this model is not QEMU's code path):
//  * Transmission is instantaneous: a THR write goes to the sink (or, in loopback, to the
//    receiver) inside the write, exactly as QEMU's serial_xmit does when the chardev accepts
//    the byte at once; THRE/TEMT are set again before the write returns. No retry state.
//  * The character-timeout interrupt (QEMU's fifo_timeout_timer) is driven by the virtual clock:
//    deadline = now + 4 * char_transmit_time (the same float formula as QEMU's
//    serial_update_parameters, so deadlines match QEMU -icount to the instruction; measured).
//    The board bounds execution by next_deadline_ns() and calls fire_due(), as for the mtimer.
//  * Input arrives only through receive(), which the board calls between instructions at
//    icount-determined moments (after checking can_receive(), as QEMU's chardev layer does).
//  * No modem lines: MSR reads DCD|DSR|CTS (0xb0), its delta bits never set (QEMU's poll_msl
//    is -1 for stdio/pty/file backends), so the modem-status interrupt never fires.
class Uart16550 : public core::MmioDevice {
 public:
  static constexpr unsigned kFifoSize = 16;     // UART_FIFO_LENGTH
  static constexpr u32 kVirtBaudbase = 399193;  // hw/riscv/virt.c's serial_mm_init argument
  static constexpr u64 kNotArmed = ~u64{0};
  static constexpr u64 kWindowSize = 8;

  // QEMU's Fifo8 (vmstate "recv_fifo": data, head, num; capacity is the constant 16).
  struct Fifo {
    std::array<u8, kFifoSize> data{};
    u32 head = 0;
    u32 num = 0;
  };

  // vmstate "serial" v3 plus its subsections, with QEMU's field names except where noted; the
  // description is devices/uart16550_vmstate.cpp. Members ordered by size: no padding.
  struct State {
    // QEMU's subsection "serial/fifo_timeout_timer": the timer's expiry in virtual ns;
    // kNotArmed (QEMU: -1) when not pending.
    u64 fifo_timeout_deadline_ns = kNotArmed;
    // Not in QEMU's vmstate (QEMU recomputes it in post_load from divider/lcr, which differs
    // from the source only while the guest has not written LCR or DLL/DLM since reset).
    u64 char_transmit_time = 1041660;  // ns; QEMU's reset value (NANOSECONDS_PER_SECOND / 9600) * 10
    Fifo recv_fifo;                     // subsection "serial/recv_fifo"
    std::int32_t thr_ipending = 0;      // subsection "serial/thr_ipending" (int32 as in QEMU)
    std::int32_t timeout_ipending = 0;  // subsection "serial/timeout_ipending" (int32 as in QEMU)
    u16 divider = 0x0c;
    u8 rbr = 0;
    u8 thr = 0;  // subsection "serial/tsr" (thr, tsr; QEMU's tsr_retry is always 0 here)
    u8 tsr = 0;
    u8 ier = 0;
    u8 iir = 0x01;
    u8 lcr = 0;
    u8 mcr = 0x08;  // OUT2
    u8 lsr = 0x60;  // THRE | TEMT
    u8 msr = 0xb0;  // DCD | DSR | CTS
    u8 scr = 0;
    u8 fcr = 0;                      // vmstate "fcr_vmstate"; recv_fifo_itl derives from it
    std::array<u8, 3> reserved{};    // always 0, not migrated; keeps the struct free of padding
  };

  // `sink` receives every transmitted byte. `clock` drives the character timeout (without a
  // clock, time stands at 0 and the timeout never fires). `irq` is the interrupt output
  // (PLIC source 10 on the virt board).
  explicit Uart16550(std::function<void(u8)> sink, const core::VirtualClock* clock = nullptr, IrqLine irq = {},
                     u32 baudbase = kVirtBaudbase);

  void connect_irq(IrqLine irq) { irq_ = irq; }

  bool read(u64 offset, unsigned size, u64& value) override;
  bool write(u64 offset, unsigned size, u64 value) override;
  // Side-effect-free read (debugger, diff): what read() would return, changing nothing.
  bool peek(u64 offset, unsigned size, u64& value) const;

  // One byte from the outside world, between instructions. Returns false when the byte was
  // dropped because the receive FIFO is full (LSR.OE is set, as QEMU's recv_fifo_put does).
  // Without FIFOs the byte always replaces RBR (OE set if the previous one was unread).
  bool receive(u8 byte);
  // QEMU's serial_can_receive() > 0: FIFO mode: fewer than 16 bytes queued and not exactly at
  // the trigger level (QEMU advertises itl - count below the level, 1 above it, 0 at it);
  // otherwise: RBR empty.
  bool can_receive() const { return receive_room() > 0; }
  // QEMU's serial_can_receive(): how many bytes the chardev layer may deliver now.
  unsigned receive_room() const;

  // The character-timeout deadline in virtual ns, kNotArmed if none.
  u64 next_deadline_ns() const { return state_.fifo_timeout_deadline_ns; }
  // Runs the character timeout if its deadline has passed (between instructions).
  void fire_due();

  // QEMU's serial_reset (FCR and thr/tsr survive it, as on QEMU: measured).
  void reset();
  // Derives IIR and the interrupt line from the registers (QEMU's serial_update_irq).
  void update_irq();

  const State& state() const { return state_; }
  // Commits a loaded state (vm::load into a copy of state(), then this). Nothing here is derived
  // beyond State itself, so this only replaces it: no IRQ line is driven (the PLIC's pending bits
  // and the hart's mip are state of their own), no clock is read.
  void restore_state(const State& s) { state_ = s; }
  // QEMU's serial_update_parameters as a pure function: the character time in ns.
  static u64 char_transmit_time_for(u16 divider, u8 lcr, u32 baudbase);
  // Receive-FIFO trigger level for the current FCR (QEMU's recv_fifo_itl).
  unsigned trigger_level() const;
  // Recomputes char_transmit_time from divider and LCR (QEMU's serial_update_parameters). The
  // guest's LCR/DLL/DLM writes call it; a loader of a QEMU stream (which has no
  // char_transmit_time) calls it after loading, as QEMU's serial_post_load does.
  void update_parameters();

 private:
  u64 now_ns(bool during_instruction) const;
  void receive_byte(u8 byte, bool during_instruction, bool* stored);
  void transmit();
  void write_fcr(u8 value);
  void write_register(unsigned reg, u8 value);
  u8 read_register(unsigned reg);
  u8 peek_register(unsigned reg) const;

  std::function<void(u8)> sink_;
  const core::VirtualClock* clock_;
  IrqLine irq_;
  u32 baudbase_;
  State state_;
};

}  // namespace lockstep::devices
