#pragma once
// The DebugTarget the protocol session talks to for a real machine: registers and memory of the
// VirtMachine's harts, the engine's breakpoints, runs and reverse runs, and the monitor commands
// (`monitor help` lists them).
#include <functional>
#include <string>

#include "replay/gdb/debug_engine.h"
#include "replay/gdb/rsp_session.h"

namespace lockstep::replay::gdb {

class MachineTarget final : public DebugTarget {
 public:
  explicit MachineTarget(DebugEngine& engine) : engine_(engine) {}

  unsigned hart_count() const override;
  const std::string& target_xml() const override;
  unsigned g_register_count() const override;
  Result<std::vector<std::uint8_t>> read_register(unsigned hart, unsigned regnum) override;
  Status write_register(unsigned hart, unsigned regnum, std::span<const std::uint8_t> value) override;
  Result<std::vector<std::uint8_t>> read_memory(unsigned hart, std::uint64_t addr, std::size_t len) override;
  Status write_memory(unsigned hart, std::uint64_t addr, std::span<const std::uint8_t> bytes) override;
  Status insert_point(PointKind kind, std::uint64_t addr, std::uint64_t len) override;
  Status remove_point(PointKind kind, std::uint64_t addr, std::uint64_t len) override;
  StopReply resume(Resume how, unsigned hart, const std::function<bool()>& interrupted) override;
  StopReply last_stop() const override { return last_stop_; }
  Result<std::string> monitor(std::string_view command) override;
  std::string thread_info(unsigned hart) override;
  void detached() override { engine_.clear_points(); }

  // How the engine's stops read to gdb (waits for Ctrl-C on a deadlock, as an idle QEMU would).
  static StopReply reply_for(const EngineStop& stop, const std::function<bool()>& interrupted);

 private:
  Result<std::string> diff_at(std::uint64_t icount);
  DebugEngine& engine_;
  StopReply last_stop_;
  bool physical_ = false;  // `monitor phys on`: m/M packets address physical memory
};

}  // namespace lockstep::replay::gdb
