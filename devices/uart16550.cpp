#include "devices/uart16550.h"

#include <type_traits>

namespace lockstep::devices {
namespace {

static_assert(std::has_unique_object_representations_v<Uart16550::State>, "State must have no padding");

enum : unsigned { kRbrThr = 0, kIer = 1, kIirFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6, kScr = 7 };

constexpr u8 kLcrDlab = 0x80;

constexpr u8 kIerRdi = 0x01, kIerThri = 0x02, kIerRlsi = 0x04, kIerMsi = 0x08;

constexpr u8 kIirNoInt = 0x01, kIirId = 0x06;
constexpr u8 kIirMsi = 0x00, kIirThri = 0x02, kIirRdi = 0x04, kIirRlsi = 0x06, kIirCti = 0x0c;
constexpr u8 kIirFifoEnabled = 0xc0;

constexpr u8 kMcrLoop = 0x10;

constexpr u8 kMsrAnyDelta = 0x0f;

constexpr u8 kLsrDr = 0x01, kLsrOe = 0x02, kLsrBi = 0x10, kLsrThre = 0x20, kLsrTemt = 0x40;
constexpr u8 kLsrIntAny = 0x1e;  // OE | PE | FE | BI

constexpr u8 kFcrFe = 0x01, kFcrRfr = 0x02, kFcrXfr = 0x04;

constexpr long long kNsPerSecond = 1000000000LL;

void fifo_reset(Uart16550::Fifo& f) {
  f.head = 0;
  f.num = 0;
}
void fifo_push(Uart16550::Fifo& f, u8 v) {
  f.data[(f.head + f.num) % Uart16550::kFifoSize] = v;
  ++f.num;
}
u8 fifo_pop(Uart16550::Fifo& f) {
  const u8 v = f.data[f.head];
  f.head = (f.head + 1) % Uart16550::kFifoSize;
  --f.num;
  return v;
}

bool valid_access(u64 offset, unsigned size) {
  if (size != 1 && size != 2 && size != 4 && size != 8) return false;
  return (offset & (size - 1)) == 0 && offset < Uart16550::kWindowSize && size <= Uart16550::kWindowSize - offset;
}

}  // namespace

Uart16550::Uart16550(std::function<void(u8)> sink, const core::VirtualClock* clock, IrqLine irq, u32 baudbase)
    : sink_(std::move(sink)), clock_(clock), irq_(irq), baudbase_(baudbase ? baudbase : 1) {}

u64 Uart16550::now_ns(bool during_instruction) const {
  if (!clock_) return 0;
  return during_instruction ? clock_->now_ns_inclusive() : clock_->now_ns();
}

unsigned Uart16550::trigger_level() const {
  static constexpr unsigned kLevels[4] = {1, 4, 8, 14};
  return kLevels[state_.fcr >> 6];
}

void Uart16550::reset() {
  State& s = state_;
  s.rbr = 0;
  s.ier = 0;
  s.iir = kIirNoInt;
  s.lcr = 0;
  s.lsr = kLsrTemt | kLsrThre;
  s.msr = 0xb0;
  s.divider = 0x0c;
  s.mcr = 0x08;
  s.scr = 0;
  s.char_transmit_time = (kNsPerSecond / 9600) * 10;
  s.timeout_ipending = 0;
  s.fifo_timeout_deadline_ns = kNotArmed;
  fifo_reset(s.recv_fifo);
  s.thr_ipending = 0;
  irq_.set(false);
  s.msr &= static_cast<u8>(~kMsrAnyDelta);
}

// QEMU's serial_update_irq, priority order: line status, character timeout, received data
// (at the trigger level in FIFO mode), THR empty, modem status.
void Uart16550::update_irq() {
  State& s = state_;
  u8 id = kIirNoInt;
  if ((s.ier & kIerRlsi) && (s.lsr & kLsrIntAny)) {
    id = kIirRlsi;
  } else if ((s.ier & kIerRdi) && s.timeout_ipending) {
    id = kIirCti;
  } else if ((s.ier & kIerRdi) && (s.lsr & kLsrDr) && (!(s.fcr & kFcrFe) || s.recv_fifo.num >= trigger_level())) {
    id = kIirRdi;
  } else if ((s.ier & kIerThri) && s.thr_ipending) {
    id = kIirThri;
  } else if ((s.ier & kIerMsi) && (s.msr & kMsrAnyDelta)) {
    id = kIirMsi;
  }
  s.iir = static_cast<u8>(id | (s.iir & 0xf0));
  irq_.set(id != kIirNoInt);
}

// QEMU's serial_update_parameters: only the character time matters here. The arithmetic is
// QEMU's, float included, so that timeout deadlines match it exactly.
u64 Uart16550::char_transmit_time_for(u16 divider, u8 lcr, u32 baudbase) {
  int frame_size = 1;           // start bit
  if (lcr & 0x08) ++frame_size;  // parity
  const int stop_bits = (lcr & 0x04) ? 2 : 1;
  const int data_bits = (lcr & 0x03) + 5;
  frame_size += data_bits + stop_bits;
  const float speed = divider == 0 ? 3500.0f : static_cast<float>(baudbase) / static_cast<float>(divider);
  const float t = (static_cast<float>(kNsPerSecond) / speed) * static_cast<float>(frame_size);
  return static_cast<u64>(static_cast<int64_t>(t));
}

void Uart16550::update_parameters() {
  state_.char_transmit_time = char_transmit_time_for(state_.divider, state_.lcr, baudbase_);
}

void Uart16550::write_fcr(u8 value) {
  State& s = state_;
  s.fcr = value;
  if (value & kFcrFe) {
    s.iir |= kIirFifoEnabled;
  } else {
    s.iir &= static_cast<u8>(~kIirFifoEnabled);
  }
}

// One received byte (QEMU's serial_receive1 with size 1). `stored` = false if it was dropped.
void Uart16550::receive_byte(u8 byte, bool during_instruction, bool* stored) {
  State& s = state_;
  bool kept = true;
  if (s.fcr & kFcrFe) {
    if (s.recv_fifo.num < kFifoSize) {
      fifo_push(s.recv_fifo, byte);
    } else {
      s.lsr |= kLsrOe;  // overruns do not overwrite FIFO contents
      kept = false;
    }
    s.lsr |= kLsrDr;
    s.fifo_timeout_deadline_ns = now_ns(during_instruction) + 4 * s.char_transmit_time;
  } else {
    if (s.lsr & kLsrDr) s.lsr |= kLsrOe;
    s.rbr = byte;
    s.lsr |= kLsrDr;
  }
  update_irq();
  if (stored) *stored = kept;
}

bool Uart16550::receive(u8 byte) {
  bool stored = false;
  receive_byte(byte, false, &stored);
  return stored;
}

unsigned Uart16550::receive_room() const {
  const State& s = state_;
  if (s.fcr & kFcrFe) {
    if (s.recv_fifo.num >= kFifoSize) return 0;
    const unsigned itl = trigger_level();
    return s.recv_fifo.num <= itl ? itl - s.recv_fifo.num : 1;
  }
  return (s.lsr & kLsrDr) ? 0 : 1;
}

// QEMU's serial_xmit when the backend takes the byte at once: a single pass (the transmit FIFO
// never holds more than the byte just written), THRE then TEMT set again.
void Uart16550::transmit() {
  State& s = state_;
  s.tsr = s.thr;  // FIFO mode: popped from the one-entry transmit FIFO, the same byte
  s.lsr |= kLsrThre;
  if (!s.thr_ipending) {
    s.thr_ipending = 1;
    update_irq();
  }
  if (s.mcr & kMcrLoop) {
    receive_byte(s.tsr, true, nullptr);  // loopback: the byte comes straight back in
  } else if (sink_) {
    sink_(s.tsr);
  }
  s.lsr |= kLsrTemt;
}

void Uart16550::fire_due() {
  State& s = state_;
  if (s.fifo_timeout_deadline_ns == kNotArmed || now_ns(false) < s.fifo_timeout_deadline_ns) return;
  s.fifo_timeout_deadline_ns = kNotArmed;
  if (s.recv_fifo.num) {  // QEMU's fifo_timeout_int
    s.timeout_ipending = 1;
    update_irq();
  }
}

void Uart16550::write_register(unsigned reg, u8 v) {
  State& s = state_;
  switch (reg) {
    case kRbrThr:
      if (s.lcr & kLcrDlab) {
        s.divider = static_cast<u16>((s.divider & 0xff00) | v);
        update_parameters();
        break;
      }
      s.thr = v;
      s.thr_ipending = 0;
      s.lsr &= static_cast<u8>(~(kLsrThre | kLsrTemt));
      update_irq();
      transmit();
      break;
    case kIer: {
      if (s.lcr & kLcrDlab) {
        s.divider = static_cast<u16>((s.divider & 0x00ff) | (v << 8));
        update_parameters();
        break;
      }
      const u8 changed = (s.ier ^ v) & 0x0f;
      s.ier = v & 0x0f;
      // Enabling THRI while THR is empty raises the THRE interrupt again (QEMU: "Windows relies
      // on it"); disabling it drops the pending indication.
      if (changed & kIerThri) s.thr_ipending = ((s.ier & kIerThri) && (s.lsr & kLsrThre)) ? 1 : 0;
      if (changed) update_irq();
      break;
    }
    case kIirFcr: {
      u8 val = v;
      if ((val ^ s.fcr) & kFcrFe) val |= kFcrXfr | kFcrRfr;  // enabling/disabling flushes both FIFOs
      if (val & kFcrRfr) {
        s.lsr &= static_cast<u8>(~(kLsrDr | kLsrBi));
        s.fifo_timeout_deadline_ns = kNotArmed;
        s.timeout_ipending = 0;
        fifo_reset(s.recv_fifo);
      }
      if (val & kFcrXfr) {
        s.lsr |= kLsrThre;
        s.thr_ipending = 1;
      }
      write_fcr(val & 0xc9);
      update_irq();
      break;
    }
    case kLcr:
      s.lcr = v;
      update_parameters();
      break;
    case kMcr: s.mcr = v & 0x1f; break;
    case kLsr:
    case kMsr: break;  // read-only
    case kScr: s.scr = v; break;
    default: break;
  }
}

u8 Uart16550::peek_register(unsigned reg) const {
  const State& s = state_;
  const bool dlab = s.lcr & kLcrDlab;
  switch (reg) {
    case kRbrThr:
      if (dlab) return static_cast<u8>(s.divider & 0xff);
      if (s.fcr & kFcrFe) return s.recv_fifo.num ? s.recv_fifo.data[s.recv_fifo.head] : 0;
      return s.rbr;
    case kIer: return dlab ? static_cast<u8>(s.divider >> 8) : s.ier;
    case kIirFcr: return s.iir;
    case kLcr: return s.lcr;
    case kMcr: return s.mcr;
    case kLsr: return s.lsr;
    case kMsr:
      if (s.mcr & kMcrLoop) {
        // Loopback: OUT2 -> DCD, OUT1 -> RI, RTS -> CTS, DTR -> DSR.
        return static_cast<u8>(((s.mcr & 0x0c) << 4) | ((s.mcr & 0x02) << 3) | ((s.mcr & 0x01) << 5));
      }
      return s.msr;
    case kScr: return s.scr;
    default: return 0;
  }
}

u8 Uart16550::read_register(unsigned reg) {
  State& s = state_;
  const u8 value = peek_register(reg);
  switch (reg) {
    case kRbrThr:
      if (s.lcr & kLcrDlab) break;
      if (s.fcr & kFcrFe) {
        if (s.recv_fifo.num) fifo_pop(s.recv_fifo);
        if (s.recv_fifo.num == 0) {
          s.lsr &= static_cast<u8>(~(kLsrDr | kLsrBi));
        } else {
          s.fifo_timeout_deadline_ns = now_ns(true) + 4 * s.char_transmit_time;
        }
        s.timeout_ipending = 0;
      } else {
        s.lsr &= static_cast<u8>(~(kLsrDr | kLsrBi));
      }
      update_irq();
      break;
    case kIirFcr:
      if ((value & kIirId) == kIirThri) {  // reading a THRE indication acknowledges it
        s.thr_ipending = 0;
        update_irq();
      }
      break;
    case kLsr:
      if (s.lsr & (kLsrBi | kLsrOe)) {
        s.lsr &= static_cast<u8>(~(kLsrBi | kLsrOe));
        update_irq();
      }
      break;
    case kMsr:
      if (!(s.mcr & kMcrLoop) && (s.msr & kMsrAnyDelta)) {
        s.msr &= 0xf0;
        update_irq();
      }
      break;
    default: break;
  }
  return value;
}

bool Uart16550::read(u64 offset, unsigned size, u64& value) {
  if (!valid_access(offset, size)) return false;
  value = read_register(static_cast<unsigned>(offset));
  return true;
}

bool Uart16550::peek(u64 offset, unsigned size, u64& value) const {
  if (!valid_access(offset, size)) return false;
  value = peek_register(static_cast<unsigned>(offset));
  return true;
}

bool Uart16550::write(u64 offset, unsigned size, u64 value) {
  if (!valid_access(offset, size)) return false;
  write_register(static_cast<unsigned>(offset), static_cast<u8>(value & 0xff));
  return true;
}

}  // namespace lockstep::devices
