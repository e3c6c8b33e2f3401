// Section "serial" v4: v3 is field for field QEMU 7.2's vmstate_serial; v4 (lockstep) adds
// char_transmit_time. v3: divider (since 2), rbr, ier, iir,
// lcr, mcr, lsr, msr, scr, fcr_vmstate (since 3), then the subsections QEMU has for the state
// lockstep keeps. needed() is "differs from what `absent` restores", so a lockstep round trip
// is exact; where QEMU's predicate is narrower (it drops state it considers unobservable) the
// subsection is sent in more cases than QEMU would, which QEMU 7.2 still loads.
//
// Member coverage (Uart16550::State):
//   divider rbr ier iir lcr mcr lsr msr scr fcr   main section
//   thr_ipending                                  serial/thr_ipending
//   thr tsr (+ QEMU's tsr_retry, always 0 here)    serial/tsr
//   recv_fifo (data, head, num)                   serial/recv_fifo
//   fifo_timeout_deadline_ns                      serial/fifo_timeout_timer (QEMU's timer: be64 ns, -1 = idle)
//   timeout_ipending                              serial/timeout_ipending
//   char_transmit_time                            serial/lockstep-char_transmit_time (lockstep only)
//   reserved                                      not migrated: always 0, padding filler
// Not described because lockstep has no such state: serial/xmit_fifo (transmission is immediate,
// the transmit FIFO is always empty) and serial/poll (no modem-line polling). A QEMU stream that
// carries them is refused ("VM subsection ... does not exist"), not silently truncated.
#include "devices/uart16550_vmstate.h"

#include <type_traits>

namespace lockstep::devices {
namespace {

namespace vm = snapshot::vm;
using U = Uart16550::State;
using F = Uart16550::Fifo;

// Tripwire: a new member changes the size and stops the build until it is described above.
static_assert(std::has_unique_object_representations_v<U>);
static_assert(sizeof(U) == 8 + 8 + sizeof(F) + 4 + 4 + 2 + 11 + 3, "Uart16550::State changed: describe the member");
static_assert(sizeof(F) == Uart16550::kFifoSize + 4 + 4, "Uart16550::Fifo changed: describe the member");

constexpr u8 kIirId = 0x06, kIirThri = 0x02, kIirFifoEnabled = 0xc0;

// What QEMU's serial_post_load derives for a missing serial/thr_ipending.
std::int32_t expected_thr_ipending(const U& s) { return (s.iir & kIirId) == kIirThri; }

// What QEMU's serial_post_load derives for the character time (serial_update_parameters) on the
// virt board's baud base; a device on another baud base simply always sends the subsection.
u64 derived_char_time(const U& s) {
  return Uart16550::char_transmit_time_for(s.divider, s.lcr, Uart16550::kVirtBaudbase);
}

bool fifo_is_reset(const F& f) {
  if (f.head || f.num) return false;
  for (u8 b : f.data)
    if (b) return false;
  return true;
}

constexpr vm::Field<F> kFifoFields[] = {
    vm::buffer<&F::data>("data"),
    vm::u32<&F::head>("head"),
    vm::u32<&F::num>("num"),
};
constexpr vm::Section<F> kFifo8{.name = "Fifo8", .version = 1, .min_version = 1, .fields = kFifoFields};

constexpr vm::Field<U> kThrIpendingFields[] = {vm::i32<&U::thr_ipending>("thr_ipending")};
constexpr vm::Subsection<U> kThrIpending{
    .name = "serial/thr_ipending",
    .version = 1,
    .min_version = 1,
    .needed = [](const U& s) { return s.thr_ipending != expected_thr_ipending(s); },
    .absent = [](U& s) { s.thr_ipending = expected_thr_ipending(s); },
    .fields = kThrIpendingFields,
};

constexpr vm::Field<U> kTsrFields[] = {
    vm::fixed_value<U, std::uint32_t, 0>("tsr_retry"),  // QEMU's retry count: transmission never waits here
    vm::u8<&U::thr>("thr"),
    vm::u8<&U::tsr>("tsr"),
};
constexpr vm::Subsection<U> kTsr{
    .name = "serial/tsr",
    .version = 1,
    .min_version = 1,
    // QEMU sends it only while retrying (tsr_retry != 0); thr/tsr are kept for exactness.
    .needed = [](const U& s) { return s.thr != 0 || s.tsr != 0; },
    .absent = [](U& s) { s.thr = s.tsr = 0; },
    .fields = kTsrFields,
};

constexpr vm::Field<U> kRecvFifoFields[] = {vm::structure<&U::recv_fifo, &kFifo8>("recv_fifo")};
constexpr vm::Subsection<U> kRecvFifo{
    .name = "serial/recv_fifo",
    .version = 1,
    .min_version = 1,
    // QEMU: only when not empty. Here also when an emptied FIFO kept its head and old bytes.
    .needed = [](const U& s) { return !fifo_is_reset(s.recv_fifo); },
    .absent = [](U& s) { s.recv_fifo = F{}; },
    .fields = kRecvFifoFields,
};

constexpr vm::Field<U> kTimerFields[] = {vm::u64<&U::fifo_timeout_deadline_ns>("fifo_timeout_timer")};
constexpr vm::Subsection<U> kTimer{
    .name = "serial/fifo_timeout_timer",
    .version = 1,
    .min_version = 1,
    .needed = [](const U& s) { return s.fifo_timeout_deadline_ns != Uart16550::kNotArmed; },
    .absent = [](U& s) { s.fifo_timeout_deadline_ns = Uart16550::kNotArmed; },
    .fields = kTimerFields,
};

constexpr vm::Field<U> kTimeoutIpendingFields[] = {vm::i32<&U::timeout_ipending>("timeout_ipending")};
constexpr vm::Subsection<U> kTimeoutIpending{
    .name = "serial/timeout_ipending",
    .version = 1,
    .min_version = 1,
    .needed = [](const U& s) { return s.timeout_ipending != 0; },
    .absent = [](U& s) { s.timeout_ipending = 0; },
    .fields = kTimeoutIpendingFields,
};

// lockstep only: QEMU recomputes the character time on load, which changes the FIFO-timeout
// deadlines of a guest that has not programmed the line since reset. In v3 streams (QEMU's layout,
// machine virt-1.0) it travels in this subsection, sent only then, so a programmed UART's stream
// stays loadable by QEMU 7.2; v4 (virt-1.1 on) carries it as a field and never sends the subsection.
constexpr vm::Field<U> kCharTimeFields[] = {vm::u64<&U::char_transmit_time>("char_transmit_time")};
constexpr vm::Subsection<U> kCharTime{
    .name = "serial/lockstep-char_transmit_time",
    .version = 1,
    .min_version = 1,
    .needed = [](const U& s) { return s.char_transmit_time != derived_char_time(s); },
    .absent = [](U& s) { s.char_transmit_time = derived_char_time(s); },
    .fields = kCharTimeFields,
    .until_version = 3,
};

constexpr vm::Field<U> kFields[] = {
    vm::u16<&U::divider>("divider").since(2),
    vm::u8<&U::rbr>("rbr"),
    vm::u8<&U::ier>("ier"),
    vm::u8<&U::iir>("iir"),
    vm::u8<&U::lcr>("lcr"),
    vm::u8<&U::mcr>("mcr"),
    vm::u8<&U::lsr>("lsr"),
    vm::u8<&U::msr>("msr"),
    vm::u8<&U::scr>("scr"),
    vm::u8<&U::fcr>("fcr_vmstate").since(3),
    // v4 (lockstep, machine virt-1.1 on): the character time as a field, see kCharTime.
    vm::u64<&U::char_transmit_time>("char_transmit_time").since(4),
};
constexpr const vm::Subsection<U>* kSubsections[] = {&kThrIpending, &kTsr,           &kRecvFifo,
                                                     &kTimer,       &kTimeoutIpending, &kCharTime};

Status post_load(U& s, int version_id) {
  // Invariants the device relies on (it indexes data[head] and counts up to kFifoSize).
  if (s.recv_fifo.head >= Uart16550::kFifoSize)
    return Error{fmt::format("recv_fifo.head {} is not below {}", s.recv_fifo.head, Uart16550::kFifoSize)};
  if (s.recv_fifo.num > Uart16550::kFifoSize)
    return Error{fmt::format("recv_fifo.num {} exceeds {}", s.recv_fifo.num, Uart16550::kFifoSize)};
  if (s.thr_ipending != 0 && s.thr_ipending != 1)
    return Error{fmt::format("thr_ipending {} is not 0 or 1", s.thr_ipending)};
  if (s.timeout_ipending != 0 && s.timeout_ipending != 1)
    return Error{fmt::format("timeout_ipending {} is not 0 or 1", s.timeout_ipending)};
  if (s.ier & 0xf0) return Error{fmt::format("ier {:#x} has bits above 0x0f", s.ier)};
  if (s.mcr & 0xe0) return Error{fmt::format("mcr {:#x} has bits above 0x1f", s.mcr)};
  if (s.fcr & ~0xc9) return Error{fmt::format("fcr_vmstate {:#x} has bits outside 0xc9", s.fcr)};
  // A v2 stream has no fcr_vmstate: FIFOs off, and serial_write_fcr's side effect on IIR, as
  // QEMU's post_load does. (QEMU also re-applies FCR to IIR for v3; not here: after a reset IIR
  // lacks the FIFO bits while FCR survives, and the load must reproduce exactly that.)
  if (version_id < 3) {
    s.fcr = 0;
    s.iir = static_cast<u8>(s.iir & ~kIirFifoEnabled);
  }
#ifdef LOCKSTEP_PLANT_DROP_UART_SCR_ON_LOAD
  s.scr = 0;  // planted bug, defined only by a test build (tests/planted): scr read, then lost
#endif
  return Ok{};
}

constexpr vm::Section<U> kSerial{
    .name = "serial",
    .version = 4,
    .min_version = 2,
    .fields = kFields,
    .subsections = kSubsections,
    .post_load = post_load,
};

}  // namespace

const snapshot::vm::Section<Uart16550::State>& uart16550_vmstate() { return kSerial; }

}  // namespace lockstep::devices
