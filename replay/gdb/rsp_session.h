#pragma once
// The GDB remote protocol's meaning, one packet at a time, over a DebugTarget: what gdb asks
// (registers, memory, breakpoints, threads, resume and reverse, monitor commands) turned into
// calls, and the target's answers turned into replies. Knows nothing of sockets (replies leave
// through a callback) nor of how the target runs (debug_engine.h; a fake one in the unit tests).
//
// Threads are harts: thread id = hart + 1. Bad input (unparsable numbers, bad hex, huge lengths,
// unknown packets) gets an error or the empty reply, never a crash or an unbounded allocation.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lockstep::replay::gdb {

// Z/z packet types.
enum class PointKind { Software = 0, Hardware = 1, Write = 2, Read = 3, Access = 4 };

struct StopReply {
  // Error: nothing ran (the reply is E01 after `message`).
  enum class Kind { Signal, SwBreak, HwBreak, Watch, ReadWatch, AccessWatch, HistoryBegin, HistoryEnd, Exited, Error };
  Kind kind = Kind::Signal;
  int signal = 5;  // Signal: SIGTRAP 5, SIGINT 2, SIGSEGV 11
  unsigned hart = 0;
  std::uint64_t address = 0;  // watch kinds: the data address that triggered
  int exit_code = 0;          // Exited
  std::string message;        // shown on gdb's console before the reply
};

enum class Resume { Continue, Step, ReverseContinue, ReverseStep };

class DebugTarget {
 public:
  virtual ~DebugTarget() = default;
  virtual unsigned hart_count() const = 0;
  virtual const std::string& target_xml() const = 0;
  // Registers 0 .. n-1 (gdb numbering) make up the 'g' packet; the rest are read one by one.
  virtual unsigned g_register_count() const = 0;
  virtual Result<std::vector<std::uint8_t>> read_register(unsigned hart, unsigned regnum) = 0;
  virtual Status write_register(unsigned hart, unsigned regnum, std::span<const std::uint8_t> value) = 0;
  // As many bytes as can be read from addr on; an error when not even the first can.
  virtual Result<std::vector<std::uint8_t>> read_memory(unsigned hart, std::uint64_t addr, std::size_t len) = 0;
  virtual Status write_memory(unsigned hart, std::uint64_t addr, std::span<const std::uint8_t> bytes) = 0;
  virtual Status insert_point(PointKind kind, std::uint64_t addr, std::uint64_t len) = 0;
  virtual Status remove_point(PointKind kind, std::uint64_t addr, std::uint64_t len) = 0;
  // Runs until a stop; `interrupted` is polled while running (Ctrl-C). `hart`: the thread gdb
  // steps (Step, ReverseStep) or has selected.
  virtual StopReply resume(Resume how, unsigned hart, const std::function<bool()>& interrupted) = 0;
  virtual StopReply last_stop() const = 0;
  // `monitor ...` (qRcmd): text to show, or an error to show.
  virtual Result<std::string> monitor(std::string_view command) = 0;
  virtual std::string thread_info(unsigned hart) = 0;
  // gdb detached or went away: its breakpoints and watchpoints go.
  virtual void detached() = 0;
};

class RspSession {
 public:
  struct Wire {
    std::function<Status(std::string_view)> send;  // one reply packet
    std::function<bool()> interrupted;             // Ctrl-C arrived
    std::function<void()> stop_acknowledging;      // after the reply to QStartNoAckMode
  };
  RspSession(DebugTarget& target, Wire wire) : target_(target), wire_(std::move(wire)) {}

  enum class Next { Serve, Detach, Kill, Exited };
  // Handles one packet (its reply is sent); an error when the reply could not be sent.
  Result<Next> handle(std::string_view packet);
  // A packet longer than the announced PacketSize.
  Status too_long() { return wire_.send("E01"); }

  static std::string stop_text(const StopReply& stop);

 private:
  Result<Next> resume(Resume how, unsigned hart);
  Status query(std::string_view packet);
  Status v_packet(std::string_view packet, Next& next);
  Status monitor(std::string_view hex_command);
  // Text for gdb's console (allowed before a stop reply and as monitor output).
  Status console_output(std::string_view text);
  // "0" (any), "-1" (all) or a thread id; the hart it names (or `current` for any/all).
  std::optional<unsigned> parse_thread(std::string_view text, unsigned current) const;

  DebugTarget& target_;
  Wire wire_;
  unsigned g_hart_ = 0;  // Hg: registers and memory
  unsigned c_hart_ = 0;  // Hc: stepping
};

}  // namespace lockstep::replay::gdb
