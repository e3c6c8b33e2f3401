#pragma once
// The board's half of the input layer (DESIGN.md rule 4): every input from outside the guest that
// is not a pure function of the command line enters here, at a feed point, and nowhere else.
//
// A feed point is one pass of the board's run loop at which devices may take input: after a run of
// the harts ends (a device access, a deadline, WFI, a limit) and before the next begins. The board
// numbers the passes at one instruction count (`InputPoint::pass`: several happen at one icount
// when harts take turns or the clock jumps over an idle stretch); (icount, pass) names a feed point
// exactly, in every run that got there with the same inputs. That pair is the stamp the trace
// records, and a replay delivers each recorded input at the same pair.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace lockstep::machines {

struct InputPoint {
  std::uint64_t icount = 0;
  std::uint32_t pass = 0;  // feed points already passed at this icount
};

// The console receiver (the UART) as an input source sees it: QEMU's chardev can_receive/receive.
class ConsoleReceiver {
 public:
  virtual ~ConsoleReceiver() = default;
  virtual bool can_receive() const = 0;
  virtual void receive(std::uint8_t byte) = 0;
};

// A NIC (virtio-net) as an input source sees it: QEMU's NetClientState can_receive/receive. A
// frame the NIC filters out is still taken (and dropped), as on a wire.
class PacketReceiver {
 public:
  virtual ~PacketReceiver() = default;
  virtual bool can_receive(std::size_t frame_len) const = 0;
  virtual void receive(std::span<const std::uint8_t> frame) = 0;
};

// Everything an input source may deliver to at a feed point.
struct InputReceivers {
  ConsoleReceiver& console;
  // By NIC index: the order of the board's virtio-net devices (-device virtio-net-device, -nic).
  std::span<PacketReceiver* const> nics;
};

class InputSource {
 public:
  enum class Action { Continue, Quit };
  virtual ~InputSource() = default;

  // At every feed point, after the console script's bytes and the machine's own network peers:
  // deliver what is due. Quit ends the run here (the user's Ctrl-A x, or the end of a replayed
  // recording).
  virtual Action feed(const InputPoint& at, const InputReceivers& to) = 0;
  // The icount the harts may not run past before the next feed point: the next recorded event
  // (replay) or the next look at the terminal (live). nullopt: no bound.
  virtual std::optional<std::uint64_t> next_feed_icount(std::uint64_t icount) = 0;
  // Every hart waits for an interrupt and no timer can wake one: block until input may have come
  // (then the board goes round again) or return false (no input can come: the run is stuck).
  virtual bool wait_for_input() = 0;
  // Every hart waits for an interrupt and the next timer is `guest_ns` of virtual time away. True:
  // input the receivers can take is here, so the board goes round again (another feed point at this
  // icount) instead of jumping the clock to the timer. A live source with a network waits for up to
  // that long in host time first (QEMU's sleep=on while idle: a peer's answer arrives before the
  // guest's timeouts run out); a recording logs every true answer, and a replay gives the same ones.
  virtual bool idle_wait(std::uint64_t guest_ns, const InputReceivers& to) {
    (void)guest_ns;
    (void)to;
    return false;
  }
};

}  // namespace lockstep::machines
