#pragma once
#include <array>
#include <functional>
#include <span>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/address_space.h"
#include "core/code_cache.h"
#include "core/hart.h"
#include "core/interpreter.h"
#include "core/result.h"
#include "core/virtual_clock.h"
#include "devices/aclint.h"
#include "devices/goldfish_rtc.h"
#include "devices/htif.h"
#include "devices/net_echo_peer.h"
#include "devices/plic.h"
#include "devices/sifive_test.h"
#include "devices/uart16550.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_mmio.h"
#include "devices/virtio_net.h"
#include "devices/virtio_rng.h"
#include "machines/boot/elf_image.h"
#include "machines/console/console_script.h"
#include "machines/console/input_source.h"
#include "machines/virt/board_devices.h"
#include "machines/virt/board_vmstate.h"
#include "machines/virt/machine_section.h"
#include "machines/virt/machine_versions.h"

namespace lockstep::machines::virt {

using core::u64;

struct VirtioKindRow;  // virtio_kinds.h

// One -drive: a raw image on a virtio-mmio slot.
struct DriveConfig {
  std::string file;
  bool read_only = false;
  bool snapshot = false;  // writes stay in memory; the file is never modified
};

// One virtio-mmio device. They take the slots from the top (0x10008000) in the order listed. Each
// kind is a row of the virtio kind table (virtio_kinds.cpp): how it is built, its section.
struct VirtioDeviceConfig {
  enum class Kind { Blk, Rng, Net } kind = Kind::Blk;
  DriveConfig drive;  // Blk: the disk behind it
  // Net: one NIC (-device virtio-net-device,netdev=ID,mac=M).
  struct Nic {
    std::array<std::uint8_t, 6> mac{0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    std::string netdev;  // the -netdev id ("" without one: frames go nowhere)
    // -netdev echo: lockstep's deterministic test host, part of the machine. Otherwise the netdev
    // is on the host (tools/ opens it) and reaches the guest only through the input layer.
    std::optional<devices::NetEchoPeer::Options> echo;
  } nic;
};

struct VirtConfig {
  std::string machine = "virt";   // "virt" (the newest) or a versioned name, "virt-1.0"
  u64 ram_size = u64{128} << 20;  // QEMU's default for riscv virt
  unsigned smp = 1;
  std::string bios = "default";   // "none", "default" (Debian's OpenSBI fw_dynamic) or a path
  std::string kernel;
  std::string append;
  std::string initrd;
  std::string dtb;  // -dtb: the guest gets this device tree (as QEMU edits it) instead of the board's
  std::vector<VirtioDeviceConfig> virtio;  // -drive if=virtio, then -device, in command-line order
  u64 seed = 0x6c6f636b73746570;      // "lockstep": virtio-rng stream and chosen/rng-seed derive from it
  u64 rtc_base_ns = 1767225600ull * 1000000000ull;  // goldfish RTC at reset: 2026-01-01T00:00:00Z
  bool htif = false;              // HTIF even when the ELF has no tohost symbol
  u64 ns_per_insn = 1;
  u64 smp_quantum = 1000;         // instructions per hart turn with -smp > 1
};

// Debian's OpenSBI fw_dynamic.bin, what -bios default loads; "" when it is not installed.
std::string default_firmware_path();

struct RunOutcome {
  // InputQuit: the input source ended the run (Ctrl-A x, the end of a replayed recording).
  enum Kind { Exited, InsnLimit, Deadlock, ScriptStop, TrapLoop, InputQuit } kind = Exited;
  int exit_code = 0;
  unsigned hart = 0;  // TrapLoop: which hart, at which pc, with which trap cause
  core::u64 pc = 0, cause = 0;
};

// QEMU's riscv virt board: RAM at 0x8000_0000, the reset ROM, CLINT, UART, sifive_test.
class VirtMachine {
 public:
  using ConsoleSink = std::function<void(uint8_t)>;

  // `script` (optional) drives the console: --send-on / --stop-on.
  static Result<std::unique_ptr<VirtMachine>> create(const VirtConfig& config, ConsoleSink console,
                                                     ConsoleScript script = {});

  // Runs until the guest exits, the total instruction count reaches max_insns, or no hart
  // can ever run again.
  RunOutcome run(std::optional<u64> max_insns, const core::TraceSink* trace = nullptr);

  u64 icount() const;
  // XXH3-64 over all architectural state, device state and RAM.
  u64 digest() const;
  // The same digest from per-page hashes already at hand (one vector per RAM block, in order).
  u64 digest(const std::vector<std::vector<u64>>& ram_page_hashes) const;
  // Words of [begin_signature, end_signature) as riscv-arch-test expects them (one 32-bit hex per line).
  Result<std::string> signature() const;

  core::AddressSpace& bus() { return bus_; }
  const core::AddressSpace& const_bus() const { return bus_; }
  u64 clock_now_ns() const { return clock_.now_ns(); }
  core::Hart& hart(unsigned k) { return *harts_[k]; }
  unsigned hart_count() const { return static_cast<unsigned>(harts_.size()); }
  const std::vector<uint8_t>& device_tree() const { return fdt_; }
  // The input layer's source of outside input (terminal, recorded trace); null: none. Not owned.
  void set_input_source(InputSource* input) { input_ = input; }
  // Console input bytes delivered so far, scripted and from the input source: the input log's
  // position (lockstep/run's input_position). A load sets it from the stream.
  u64 input_position() const { return script_.delivered() + external_input_delivered_; }
  void restore_input_position(u64 position);
  // The NICs (virtio-net devices, in command-line order). Frames the guest sends on NIC k go to its
  // echo host, or to `transmit` (the host backend tools/ opened; unset: nowhere, as in a replay).
  unsigned nic_count() const { return static_cast<unsigned>(nics_.size()); }
  void set_nic_transmit(unsigned nic, std::function<void(std::span<const std::uint8_t>)> transmit);
  // Why this machine's state cannot be migrated now (QEMU's "State blocked by non-migratable
  // device ..."), or "" if it can: a snapshot=on disk holding writes the destination cannot have.
  std::string migration_blocker() const;
  // What the console script still waits for ("" when done or without a script).
  std::string script_pending() const { return script_.pending_description(); }
  u64 fdt_address() const { return fdt_addr_; }

  // Snapshots (machines/virt/virt_snapshot.h): the machine version this board plays, every
  // migratable section in stream order, and what a load must reset afterwards.
  const MachineVersion& version() const { return version_; }
  const VirtConfig& config() const { return config_; }
  const std::vector<std::unique_ptr<MachineSection>>& sections() const { return sections_; }
  const ConsoleScript& const_console_script() const { return script_; }
  // After a load: decoded code and cached translations belong to the old memory contents.
  void drop_translations();
  // After a load: the clock counts the loaded harts' instructions (run() keeps it current while
  // running; without this a save before the next run() would record the pre-load time).
  void resync_clock();
  // XXH3-64 of one section's full state (its digest input), or of the sections and RAM (digest()).
  Result<u64> section_digest(const MachineSection& s) const;

 private:
  explicit VirtMachine(const VirtConfig& config, ConsoleSink console, ConsoleScript script);
  Status build();
  Status attach_virtio();
  Status load_images();
  void write_reset_rom(u64 start, u64 fw_dynamic_next);
  void console_output(uint8_t c);
  InputSource::Action feed_console_input();
  void wire_nics();
  u64 next_deadline_ns() const;
  InputReceivers input_receivers();
  void register_sections();
  BoardState board_state() const;
  void restore_board(const BoardState& b);

  VirtConfig config_;
  MachineVersion version_;
  // Round-robin scheduler position: state, because a run cut at any instruction must resume in
  // the same turn (migrated in section "virt-board").
  unsigned current_hart_ = 0;
  u64 quantum_left_ = 0;
  std::vector<std::unique_ptr<MachineSection>> sections_;
  mutable BoardState board_snapshot_;  // what the board/console sections read (built on demand)
  mutable ConsoleScript::Progress console_snapshot_;
  ConsoleSink console_;
  ConsoleScript script_;
  InputSource* input_ = nullptr;
  u64 external_input_delivered_ = 0;
  // Feed points passed at the current icount (InputPoint::pass).
  u64 feed_icount_ = ~u64{0};
  std::uint32_t feed_pass_ = 0;
  core::AddressSpace bus_;
  core::VirtualClock clock_;
  core::CodeCache code_;
  std::vector<std::unique_ptr<core::Hart>> harts_;
  devices::PowerRequest power_;
  // Every device of the board table (board_devices.cpp); the two the board itself talks to:
  BoardDevices devices_;
  devices::Uart16550* uart_ = nullptr;       // console input goes in here
  devices::AclintMtimer* mtimer_ = nullptr;  // the harts' time CSR reads it
  std::unique_ptr<devices::Htif> htif_;       // only with a tohost symbol: set up by load_images
  // The devices behind the virtio-mmio slots, in command-line order, with their kind table rows.
  std::vector<std::unique_ptr<devices::VirtioDevice>> virtio_devices_;
  std::vector<const VirtioKindRow*> virtio_kinds_;
  // A NIC as the input layer sees it (and the echo host behind it, when there is one).
  struct Nic final : PacketReceiver {
    devices::VirtioNet* device = nullptr;
    devices::VirtioMmio* slot = nullptr;
    std::unique_ptr<devices::NetEchoPeer> echo;
    std::function<void(std::span<const std::uint8_t>)> transmit;
    // A look that changes nothing: the input layer asks whether or not it then delivers.
    bool can_receive(std::size_t len) const override { return device->has_room(slot->transport(), len); }
    void receive(std::span<const std::uint8_t> frame) override { (void)device->receive(slot->transport(), frame); }
  };
  std::vector<std::unique_ptr<Nic>> nics_;
  std::vector<PacketReceiver*> nic_receivers_;
  // The UART as input sources see it, counting what it is given (the input position).
  struct CountingConsole final : ConsoleReceiver {
    devices::Uart16550* uart = nullptr;
    u64* delivered = nullptr;
    bool can_receive() const override { return uart->can_receive(); }
    void receive(uint8_t byte) override {
      uart->receive(byte);
      ++*delivered;
    }
  } console_receiver_;
  std::optional<ElfImage> kernel_elf_;
  std::vector<uint8_t> fdt_;
  u64 fdt_addr_ = 0;
};

}  // namespace lockstep::machines::virt
