#include "machines/virt/virt_machine.h"

#include <filesystem>

#include <fmt/format.h>
#include <xxhash.h>

#include "core/csr.h"
#include "machines/virt/device_tree.h"
#include "machines/virt/qemu_seeded_random.h"
#include "machines/virt/memory_map.h"
#include "machines/virt/ram_pages.h"
#include "machines/virt/virtio_kinds.h"
#include "devices/net_echo_peer_vmstate.h"
#include "snapshot/descriptions/hart_vmstate.h"

namespace lockstep::machines::virt {
namespace {

constexpr u64 kMiB = u64{1} << 20;
constexpr const char* kDefaultBios[] = {
    "/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin",
    "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin",
};

// fw_dynamic_info (OpenSBI's fw_dynamic.S), right after the reset code, as QEMU writes it.
constexpr u64 kFwDynamicMagic = 0x4942534f;  // "OSBI"
constexpr u64 kFwDynamicVersion = 2;
constexpr u64 kNextModeS = 1;

u64 align_up(u64 v, u64 a) { return (v + a - 1) & ~(a - 1); }

void reset_hart(core::Hart& h, unsigned id) {
  core::AddressSpace* bus = h.bus;
  core::CodeCache* code = h.code;
  core::VirtualClock* clock = h.clock;
  auto read_time = h.read_time;
  void* time_ctx = h.time_ctx;
  const bool sdtrig = h.sdtrig;
  h = core::Hart{};
  h.bus = bus;
  h.code = code;
  h.clock = clock;
  h.read_time = read_time;
  h.time_ctx = time_ctx;
  h.sdtrig = sdtrig;
  h.csr.mhartid = id;
  h.pc = map_row(Region::Mrom).base;
  core::set_priv(h, core::Priv::M);
  core::flush_translations(h);
}

// Hashes fixed-width fields one at a time, so padding and layout never reach the digest.
struct Digest {
  XXH3_state_t* state = XXH3_createState();
  Digest() { XXH3_64bits_reset(state); }
  ~Digest() { XXH3_freeState(state); }
  template <typename T>
  void add(const T& v) {
    static_assert(std::is_integral_v<T> || std::is_enum_v<T>);
    XXH3_64bits_update(state, &v, sizeof(v));
  }
  void bytes(const void* p, size_t n) { XXH3_64bits_update(state, p, n); }
  u64 value() const { return XXH3_64bits_digest(state); }
};

}  // namespace

std::string default_firmware_path() {
  for (const char* candidate : kDefaultBios)
    if (std::filesystem::exists(candidate)) return candidate;
  return {};
}

VirtMachine::VirtMachine(const VirtConfig& config, ConsoleSink console, ConsoleScript script)
    : config_(config),
      version_(find_machine_version(config.machine).value_or(newest_machine_version())),
      quantum_left_(config.smp_quantum),
      console_(std::move(console)),
      script_(std::move(script)) {}

Result<std::unique_ptr<VirtMachine>> VirtMachine::create(const VirtConfig& config, ConsoleSink console,
                                                         ConsoleScript script) {
  if (!find_machine_version(config.machine))
    return Error{fmt::format("unsupported machine type '{}' (use -M help for a list)", config.machine)};
  if (config.smp < 1 || config.smp > 8) return Error{fmt::format("invalid -smp {}: this board supports 1 to 8 harts", config.smp)};
  if (config.ram_size < kMiB || config.ram_size % core::kPageSize != 0) {
    return Error{fmt::format("invalid RAM size {}: must be a multiple of 4 KiB and at least 1 MiB", config.ram_size)};
  }
  if (config.ram_size > (u64{16} << 30)) {
    return Error{fmt::format("invalid RAM size {}: at most 16G is supported", config.ram_size)};
  }
  std::unique_ptr<VirtMachine> m(new VirtMachine(config, std::move(console), std::move(script)));
  if (Status s = m->build(); !s) return s.error();
  m->wire_nics();
  if (Status s = m->load_images(); !s) return s.error();
  m->register_sections();
  return m;
}

Status VirtMachine::build() {
  clock_.ns_per_insn = config_.ns_per_insn;
  if (!bus_.add_ram(std::string(version_.compat.main_ram_id), map_row(Region::Dram).base, config_.ram_size) ||
      !bus_.add_ram("riscv_virt_board.mrom", map_row(Region::Mrom).base, map_row(Region::Mrom).size, true)) {
    return Error{fmt::format("cannot allocate {} bytes of guest RAM", config_.ram_size)};
  }

  std::vector<core::Hart*> harts;
  for (unsigned k = 0; k < config_.smp; ++k) {
    harts_.push_back(std::make_unique<core::Hart>());
    harts.push_back(harts_.back().get());
  }
  LS_TRY(attach_virtio());
  std::vector<devices::VirtioDevice*> slots(virtio_slot_count(), nullptr);
  for (unsigned i = 0; i < virtio_devices_.size(); ++i) slots[slots.size() - 1 - i] = virtio_devices_[i].get();
  BoardContext ctx{.config = config_,
                   .bus = bus_,
                   .clock = clock_,
                   .harts = harts,
                   .power = power_,
                   .console = [this](uint8_t c) { console_output(c); },
                   .virtio_slots = slots};
  LS_TRY(devices_.build(ctx));
  uart_ = devices_.find<devices::Uart16550>();
  mtimer_ = devices_.find<devices::AclintMtimer>();
  if (!uart_ || !mtimer_) return Error{"board table: the board needs a UART and an ACLINT mtimer"};
  bus_.set_code_write_handler(
      [](void* code, u64 pa, u64 len) { static_cast<core::CodeCache*>(code)->invalidate_range(pa, len); }, &code_);

  for (unsigned k = 0; k < config_.smp; ++k) {
    core::Hart& h = *harts_[k];
    h.bus = &bus_;
    h.code = &code_;
    code_.attach(h);
    h.clock = &clock_;
    h.read_time = devices::AclintMtimer::read_time_csr;
    h.time_ctx = mtimer_;
    h.sdtrig = version_.compat.cpu_debug;
    reset_hart(h, k);
  }
  // MTIP from mtimecmp = 0, now that the harts are wired (the board's other devices start reset).
  mtimer_->reset();

  return Ok{};
}

// The devices behind the virtio-mmio slots, built by their kind's row in command-line order; the
// slots take them from the top (board_devices.cpp).
Status VirtMachine::attach_virtio() {
  std::vector<unsigned> built_of_kind(virtio_kind_rows().size(), 0);
  for (const VirtioDeviceConfig& v : config_.virtio) {
    const VirtioKindRow* kind = find_virtio_kind(v.kind);
    if (!kind)
      return Error{fmt::format("virtio device kind {} has no row in the virtio kind table", static_cast<int>(v.kind))};
    unsigned& index = built_of_kind[static_cast<std::size_t>(kind - virtio_kind_rows().data())];
    auto dev = kind->make(VirtioBuild{config_, v, index++});
    if (!dev) return dev.error();
    virtio_devices_.push_back(std::move(dev.value()));
    virtio_kinds_.push_back(kind);
  }
  if (virtio_devices_.size() > virtio_slot_count())
    return Error{fmt::format("at most {} virtio devices fit on this board", virtio_slot_count())};
  return Ok{};
}

void VirtMachine::console_output(uint8_t c) {
  if (console_) console_(c);
  script_.observe_output(static_cast<char>(c));
}

// Scripted input enters the UART only between runs of the hart, which end at instruction-
// determined points (device accesses, deadlines): the same bytes arrive at the same icount.
InputSource::Action VirtMachine::feed_console_input() {
  while (script_.has_input() && uart_->can_receive()) {
    uart_->receive(static_cast<uint8_t>(script_.next_input()));
    script_.pop_input();
  }
  // The echo hosts' answers: machine state, a function of what the guest sent, not outside input.
  for (auto& nic : nics_) {
    if (!nic->echo) continue;
    while (nic->echo->frame_due(clock_.now_ns()) && nic->can_receive(nic->echo->front().size())) {
      nic->receive(nic->echo->front());
      nic->echo->pop();
    }
  }
  if (!input_) return InputSource::Action::Continue;
  const u64 now = icount();
  if (now != feed_icount_) {
    feed_icount_ = now;
    feed_pass_ = 0;
  }
  return input_->feed(InputPoint{now, feed_pass_++}, input_receivers());
}

// The device timers and the echo hosts' answers still on the wire. An answer that has arrived but
// finds no receive buffer is no deadline: it waits for the guest's refill (then the next feed point).
u64 VirtMachine::next_deadline_ns() const {
  u64 deadline = devices_.next_deadline_ns();
  const u64 now = clock_.now_ns();
  for (const auto& nic : nics_)
    if (nic->echo && nic->echo->next_deadline_ns() > now) deadline = std::min(deadline, nic->echo->next_deadline_ns());
  return deadline;
}

InputReceivers VirtMachine::input_receivers() {
  console_receiver_.uart = uart_;
  console_receiver_.delivered = &external_input_delivered_;
  return InputReceivers{console_receiver_, nic_receivers_};
}

// Each NIC's frames go to its echo host when the netdev is one, else to set_nic_transmit's sink.
void VirtMachine::wire_nics() {
  for (std::size_t i = 0; i < virtio_devices_.size(); ++i) {
    if (virtio_kinds_[i]->kind != VirtioDeviceConfig::Kind::Net) continue;
    auto nic = std::make_unique<Nic>();
    nic->device = static_cast<devices::VirtioNet*>(virtio_devices_[i].get());
    // Device i sits in slot (slots - 1 - i): the slots fill from the top.
    nic->slot = devices_.find<devices::VirtioMmio>(virtio_slot_count() - 1 - static_cast<unsigned>(i));
    const auto& echo = config_.virtio[i].nic.echo;
    if (echo) nic->echo = std::make_unique<devices::NetEchoPeer>(*echo);
    Nic* n = nic.get();
    nic->device->set_transmit([this, n](std::span<const std::uint8_t> frame) {
      if (n->echo) n->echo->from_guest(frame, clock_.now_ns());
      else if (n->transmit) n->transmit(frame);
    });
    nic_receivers_.push_back(n);
    nics_.push_back(std::move(nic));
  }
}

void VirtMachine::set_nic_transmit(unsigned nic, std::function<void(std::span<const std::uint8_t>)> transmit) {
  if (nic < nics_.size()) nics_[nic]->transmit = std::move(transmit);
}

std::string VirtMachine::migration_blocker() const {
  std::uint32_t blk = 0;
  for (std::size_t i = 0; i < virtio_devices_.size(); ++i) {
    if (virtio_kinds_[i]->kind != VirtioDeviceConfig::Kind::Blk) continue;
    const auto& disk = static_cast<const devices::VirtioBlk&>(*virtio_devices_[i]);
    const u64 held = const_cast<devices::VirtioBlk&>(disk).backend().overlay_bytes();
    if (held)
      return fmt::format("State blocked by non-migratable device 'virtio-blk' instance {}: '{}' is snapshot=on and its "
                         "{} KiB of writes live only in this process (the destination cannot have them)",
                         blk, config_.virtio[i].drive.file, held / 1024);
    ++blk;
  }
  return {};
}

void VirtMachine::restore_input_position(u64 position) {
  external_input_delivered_ = position >= script_.delivered() ? position - script_.delivered() : 0;
  feed_icount_ = ~u64{0};  // the loaded machine has passed no feed point yet
}

Status VirtMachine::load_images() {
  const u64 dram = map_row(Region::Dram).base;
  const u64 dram_end = dram + config_.ram_size;
  // What is loaded where: QEMU refuses overlapping images ("rom: requested regions overlap"), and so
  // do we — a device tree written over the kernel would leave a guest that traps forever.
  struct Loaded {
    u64 start, end;
    std::string what;
  };
  std::vector<Loaded> loaded;
  auto claim = [&](u64 start, u64 size, std::string what) -> Status {
    for (const Loaded& l : loaded)
      if (start < l.end && l.start < start + size)
        return Error{fmt::format("rom: requested regions overlap ({} 0x{:x}-0x{:x} and {} 0x{:x}-0x{:x}): give the "
                                 "guest more RAM (-m)",
                                 what, start, start + size - 1, l.what, l.start, l.end - 1)};
    loaded.push_back({start, start + size, std::move(what)});
    return Ok{};
  };
  auto load_segments = [&](const ElfImage& img, const std::string& path) -> Status {
    for (const ElfSegment& s : img.segments) {
      if (s.paddr < dram || s.paddr + s.memsz > dram_end) {
        return Error{fmt::format("'{}': segment at 0x{:x} (0x{:x} bytes) is outside guest RAM 0x{:x}-0x{:x}", path,
                                 s.paddr, s.memsz, dram, dram_end - 1)};
      }
      if (s.memsz) LS_TRY(claim(s.paddr, s.memsz, fmt::format("'{}'", path)));
      bus_.load_image(s.paddr, s.data.data(), s.data.size());
    }
    return Ok{};
  };
  auto load_raw = [&](const std::vector<uint8_t>& data, u64 at, const std::string& path) -> Status {
    if (at < dram || data.size() > dram_end - at) {
      return Error{fmt::format("'{}' ({} bytes) does not fit in guest RAM at 0x{:x}", path, data.size(), at)};
    }
    if (!data.empty()) LS_TRY(claim(at, data.size(), fmt::format("'{}'", path)));
    bus_.load_image(at, data.data(), data.size());
    return Ok{};
  };

  // Firmware (-bios).
  u64 firmware_end = dram;
  std::string bios = config_.bios;
  if (bios == "default") {
    bios = default_firmware_path();
    if (bios.empty()) return Error{"no default firmware found (install Debian's opensbi package, or use -bios none)"};
  }
  if (bios != "none") {
    auto bytes = read_file(bios, config_.ram_size);
    if (!bytes) return bytes.error();
    if (looks_like_elf(bytes.value())) {
      auto img = parse_elf(bytes.value(), bios);
      if (!img) return img.error();
      if (Status s = load_segments(img.value(), bios); !s) return s;
      firmware_end = img->highest_address();
    } else {
      if (Status s = load_raw(bytes.value(), dram, bios); !s) return s;
      firmware_end = dram + bytes->size();
    }
  }

  // Kernel (-kernel): ELF at its addresses, raw where OpenSBI's fw_jump expects it.
  u64 kernel_entry = 0;
  if (!config_.kernel.empty()) {
    auto bytes = read_file(config_.kernel, config_.ram_size);
    if (!bytes) return bytes.error();
    if (looks_like_elf(bytes.value())) {
      auto img = parse_elf(bytes.value(), config_.kernel);
      if (!img) return img.error();
      if (Status s = load_segments(img.value(), config_.kernel); !s) return s;
      kernel_entry = img->entry;
      kernel_elf_ = std::move(img.value());
    } else {
      const u64 start = align_up(firmware_end, 2 * kMiB);
      if (Status s = load_raw(bytes.value(), start, config_.kernel); !s) return s;
      kernel_entry = start;
    }
  }

  // HTIF (riscv-tests, riscv-arch-test): when the ELF defines tohost, or on request.
  if (kernel_elf_ && kernel_elf_->symbols.count("tohost")) {
    const u64 tohost = kernel_elf_->symbols.at("tohost");
    const u64 fromhost = kernel_elf_->symbols.count("fromhost") ? kernel_elf_->symbols.at("fromhost") : tohost + 8;
    if (!bus_.find_ram(tohost, 8)) return Error{fmt::format("tohost symbol at 0x{:x} is not in guest RAM", tohost)};
    htif_ = std::make_unique<devices::Htif>(bus_, tohost, fromhost, power_, console_);
    bus_.add_store_watch(tohost, 8, htif_.get());
  } else if (config_.htif) {
    return Error{"--htif needs a -kernel ELF that defines the tohost symbol"};
  }

  // The initial ram disk, where QEMU puts it: kernel start + min(RAM / 2, 128 MiB).
  u64 initrd_start = 0, initrd_end = 0;
  if (!config_.initrd.empty()) {
    if (config_.kernel.empty()) return Error{"-initrd needs -kernel"};
    auto bytes = read_file(config_.initrd, config_.ram_size);
    if (!bytes) return bytes.error();
    initrd_start = kernel_entry + std::min(config_.ram_size / 2, 128 * kMiB);
    if (Status s = load_raw(bytes.value(), initrd_start, config_.initrd); !s) return s;
    initrd_end = initrd_start + bytes->size();
  }
  Result<std::vector<uint8_t>> fdt = std::vector<uint8_t>{};
  if (config_.dtb.empty()) {
    fdt = build_device_tree(
        DeviceTreeParams{config_.ram_size, config_.smp, config_.append, initrd_start, initrd_end, config_.seed});
  } else {
    auto text = read_file(config_.dtb, kMaxUserDeviceTree);
    if (!text) return text.error();
    // QEMU's guest sees the seed its reset handler rewrites: under -seed N, the draws after the two
    // each vCPU thread takes and the eight create_fdt takes. --seed plays QEMU's -seed here.
    const std::vector<uint8_t> rng_seed = qemu_seeded_random_bytes(config_.seed, 2 * config_.smp + 8, 32);
    fdt = user_device_tree(text.value(), config_.dtb, config_.append, rng_seed, initrd_start, initrd_end);
  }
  if (!fdt) return fdt.error();
  fdt_ = std::move(fdt.value());
  fdt_addr_ = device_tree_address(dram, config_.ram_size, fdt_.size());
  if (fdt_addr_ < dram || fdt_addr_ + fdt_.size() > dram_end) return Error{"the device tree does not fit in guest RAM"};
  LS_TRY(claim(fdt_addr_, fdt_.size(), "the device tree"));
  bus_.load_image(fdt_addr_, fdt_.data(), fdt_.size());
  // With -bios none an ELF kernel starts at its entry; otherwise execution starts at RAM base.
  const u64 start = (bios == "none" && kernel_elf_) ? kernel_entry : dram;
  write_reset_rom(start, kernel_entry);
  return Ok{};
}

void VirtMachine::write_reset_rom(u64 start, u64 fw_dynamic_next) {
  // QEMU's riscv_setup_rom_reset_vec for RV64, word for word (guests can read the ROM).
  const uint32_t code[] = {
      0x00000297,  // auipc t0, 0
      0x02828613,  // addi a2, t0, 40    (fw_dynamic_info)
      0xf1402573,  // csrr a0, mhartid
      0x0202b583,  // ld a1, 32(t0)      (device tree)
      0x0182b283,  // ld t0, 24(t0)      (start address)
      0x00028067,  // jr t0
  };
  const u64 data[] = {start, fdt_addr_, kFwDynamicMagic, kFwDynamicVersion, fw_dynamic_next, kNextModeS, 0, 0};
  const u64 rom = map_row(Region::Mrom).base;
  bus_.load_image(rom, reinterpret_cast<const uint8_t*>(code), sizeof(code));
  bus_.load_image(rom + sizeof(code), reinterpret_cast<const uint8_t*>(data), sizeof(data));
}

u64 VirtMachine::icount() const {
  u64 total = 0;
  for (auto& h : harts_) total += h->icount;
  return total;
}

RunOutcome VirtMachine::run(std::optional<u64> max_insns, const core::TraceSink* trace) {
  unsigned& current = current_hart_;
  u64& quantum_left = quantum_left_;
  for (;;) {
    if (power_.kind == devices::PowerRequest::Exit) return RunOutcome{RunOutcome::Exited, power_.exit_code};
    if (power_.kind == devices::PowerRequest::Reset) {
      power_ = {};
      for (unsigned k = 0; k < harts_.size(); ++k) reset_hart(*harts_[k], k);
      code_.invalidate_all();
      devices_.reset();
      for (auto& nic : nics_)
        if (nic->echo) nic->echo->reset();  // answers in flight are lost with the NIC's reset
      if (Status s = load_images(); !s) return RunOutcome{RunOutcome::Exited, 1};
    }
    const u64 total = icount();
    if (max_insns && total >= *max_insns) return RunOutcome{RunOutcome::InsnLimit, 0};
    clock_.running_icount = nullptr;
    clock_.other_harts_icount = total;
    devices_.fire_due();
    if (feed_console_input() == InputSource::Action::Quit) return RunOutcome{RunOutcome::InputQuit, 0};
    if (script_.stop_requested()) return RunOutcome{RunOutcome::ScriptStop, 0};

    auto runnable = [](const core::Hart& h) { return !h.waiting_for_interrupt || (h.csr.mip & h.csr.mie); };
    bool any = false;
    for (auto& h : harts_) any |= runnable(*h);
    if (!any) {
      // Every hart sleeps in WFI: the clock jumps to the next timer deadline (QEMU sleep=off).
      const u64 deadline = next_deadline_ns();
      if (deadline == ~u64{0}) {
        if (input_ && input_->wait_for_input()) continue;
        return RunOutcome{RunOutcome::Deadlock, 0};
      }
      // A live network may answer first (the input layer waits in host time and logs the wake).
      if (deadline > clock_.now_ns() && input_ && input_->idle_wait(deadline - clock_.now_ns(), input_receivers()))
        continue;
      if (deadline > clock_.now_ns()) clock_.offset_ns += deadline - clock_.now_ns();
      continue;
    }
    core::Hart& h = *harts_[current];
    if (!runnable(h) || quantum_left == 0) {
      current = (current + 1) % harts_.size();
      quantum_left = config_.smp_quantum;
      continue;
    }
    clock_.other_harts_icount = total - h.icount;
    clock_.running_icount = &h.icount;
    u64 limit = h.icount + (max_insns ? *max_insns - total : ~u64{0} - h.icount);
    if (harts_.size() > 1) limit = std::min(limit, h.icount + quantum_left);
    const u64 deadline = next_deadline_ns();
    if (deadline != ~u64{0}) limit = std::min(limit, clock_.running_icount_at(deadline));
    // Inputs due at this icount come at its later feed points (passes), never by running no instruction.
    if (input_)
      if (auto feed = input_->next_feed_icount(total); feed && *feed > total) limit = std::min(limit, h.icount + (*feed - total));
    const u64 before = h.icount;
    if (core::run_hart(h, limit, trace) == core::StopReason::TrapLoop) {
      RunOutcome o{RunOutcome::TrapLoop, 0};
      o.hart = current;
      o.pc = h.pc;
      o.cause = h.trap.cause;
      return o;
    }
    if (harts_.size() > 1) quantum_left -= std::min(quantum_left, h.icount - before);
  }
}

// Every described field of every section (at the description's newest version, whatever the
// machine version writes) and every RAM page: the same bytes a snapshot carries.
u64 VirtMachine::digest() const {
  std::vector<std::vector<u64>> hashes;
  for (const auto& b : bus_.ram_blocks()) hashes.push_back(page_hashes(*b));
  return digest(hashes);
}

// RAM enters as the XXH3 of each page (what lockstep/page-hashes carries), so a snapshot's saver and
// loader, which hash every page anyway, get the digest without a second pass over guest memory.
u64 VirtMachine::digest(const std::vector<std::vector<u64>>& ram_page_hashes) const {
  Digest d;
  snapshot::Writer w;
  for (const auto& sec : sections_) {
    w = snapshot::Writer{};
    d.bytes(sec->idstr().data(), sec->idstr().size());
    d.add(sec->instance());
    // Saving cannot fail for a running machine's own state except by a pre_save refusal, which
    // then shows up in the digest as the empty body of that section.
    (void)sec->save_full(w);
    d.add(static_cast<u64>(w.size()));
    d.bytes(w.bytes().data(), w.size());
  }
  const auto& blocks = bus_.ram_blocks();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    d.bytes(blocks[i]->name.data(), blocks[i]->name.size());
    d.add(blocks[i]->size);
    if (i < ram_page_hashes.size()) d.bytes(ram_page_hashes[i].data(), ram_page_hashes[i].size() * sizeof(u64));
  }
  return d.value();
}

Result<u64> VirtMachine::section_digest(const MachineSection& sec) const {
  snapshot::Writer w;
  if (Status st = sec.save_full(w); !st) return st.error();
  return snapshot::vm::digest_bytes(w.bytes());
}

BoardState VirtMachine::board_state() const {
  BoardState b;
  b.clock_offset_ns = clock_.offset_ns;
  b.ns_per_insn = clock_.ns_per_insn;
  b.quantum_left = quantum_left_;
  b.current_hart = current_hart_;
  b.hart_count = static_cast<std::uint32_t>(harts_.size());
  return b;
}

void VirtMachine::restore_board(const BoardState& b) {
  clock_.offset_ns = b.clock_offset_ns;
  quantum_left_ = b.quantum_left;
  current_hart_ = b.current_hart;
}

void VirtMachine::drop_translations() {
  code_.invalidate_all();
  for (auto& h : harts_) core::flush_translations(*h);
}

void VirtMachine::resync_clock() {
  clock_.running_icount = nullptr;
  clock_.other_harts_icount = icount();
}

// Stream order: harts, then the board table's devices (board_devices.cpp, QEMU's registration order
// on this board), then the virtio devices in command-line order, then the board and the input layer. idstrs and instance ids are QEMU's where QEMU has the device.
void VirtMachine::register_sections() {
  sections_.clear();
  for (unsigned k = 0; k < harts_.size(); ++k) {
    core::Hart* h = harts_[k].get();
    sections_.push_back(std::make_unique<DescribedSection<core::Hart>>(
        "cpu", k, "riscv-cpu", snapshot::kHartVmstate, [h]() -> const core::Hart& { return *h; },
        [h](const core::Hart& s) { *h = s; }));
  }
  devices_.add_sections(sections_, version_.compat);
  std::vector<std::uint32_t> of_kind(virtio_kind_rows().size(), 0);
  for (std::size_t i = 0; i < virtio_devices_.size(); ++i) {
    const VirtioKindRow& kind = *virtio_kinds_[i];
    std::uint32_t& instance = of_kind[static_cast<std::size_t>(&kind - virtio_kind_rows().data())];
    WireOptions wire = kind.wire ? kind.wire(version_.compat) : WireOptions{};
    sections_.push_back(
        kind.section(*virtio_devices_[i], std::string(kind.idstr), instance++, std::string(kind.type_name), std::move(wire)));
  }
  for (std::uint32_t k = 0; k < nics_.size(); ++k) {
    devices::NetEchoPeer* echo = nics_[k]->echo.get();
    if (!echo) continue;
    // Instance: the NIC's index, so a destination with the echo host on another NIC refuses it.
    sections_.push_back(std::make_unique<DescribedSection<devices::NetEchoPeer::State>>(
        "lockstep/netdev-echo", k, "lockstep-netdev-echo", devices::net_echo_peer_vmstate(),
        [echo]() -> const devices::NetEchoPeer::State& { return echo->state(); },
        [echo](const devices::NetEchoPeer::State& st) { echo->restore_state(st); }));
  }
  board_snapshot_ = board_state();
  sections_.push_back(std::make_unique<DescribedSection<BoardState>>(
      "virt-board", 0, "virt-board", board_vmstate(),
      [this]() -> const BoardState& {
        board_snapshot_ = board_state();
        return board_snapshot_;
      },
      [this](const BoardState& b) { restore_board(b); }));
  sections_.push_back(std::make_unique<DescribedSection<ConsoleScript::Progress>>(
      "lockstep/console", 0, "lockstep-console", console_progress_vmstate(),
      [this]() -> const ConsoleScript::Progress& {
        auto p = script_.progress();
        console_snapshot_ = p ? p.value() : ConsoleScript::Progress{};
        // Too much queued input: an out-of-range length makes the save fail on field 'input'.
        if (!p) console_snapshot_.input_len = ConsoleScript::kMaxPendingInput + 1;
        return console_snapshot_;
      },
      [this](const ConsoleScript::Progress& p) { (void)script_.restore(p); }));
}

Result<std::string> VirtMachine::signature() const {
  if (!kernel_elf_ || !kernel_elf_->symbols.count("begin_signature") || !kernel_elf_->symbols.count("end_signature")) {
    return Error{"--signature needs a -kernel ELF that defines begin_signature and end_signature"};
  }
  const u64 begin = kernel_elf_->symbols.at("begin_signature");
  const u64 end = kernel_elf_->symbols.at("end_signature");
  const core::RamBlock* b = bus_.find_ram(begin, end > begin ? end - begin : 1);
  if (end < begin || !b) return Error{"the signature region is not in guest RAM"};
  std::string out;
  for (u64 a = begin; a + 4 <= end; a += 4) {
    uint32_t word;
    std::memcpy(&word, b->host + (a - b->base), 4);
    out += fmt::format("{:08x}\n", word);
  }
  return out;
}

}  // namespace lockstep::machines::virt
