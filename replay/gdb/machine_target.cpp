#include "replay/gdb/machine_target.h"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "machines/virt/virt_snapshot.h"
#include "replay/gdb/guest_memory.h"
#include "replay/gdb/riscv_registers.h"
#include "snapshot/inspect/diff.h"

namespace lockstep::replay::gdb {
namespace {

constexpr std::string_view kHelp =
    "lockstep monitor commands:\n"
    "  icount            the machine's instruction count (and each hart's)\n"
    "  goto ICOUNT       move to that icount, backwards or forwards (then: maint flush register-cache)\n"
    "  digest            XXH3-64 of the whole machine state (lockstep run --digest's)\n"
    "  diff-at ICOUNT    what differs between the state at ICOUNT and now (lockstep snapshot diff)\n"
    "  checkpoints       the reverse-execution history: checkpoints, memory, span\n"
    "  phys on|off       memory reads and writes address physical memory (off: the selected hart's view)\n"
    "  xp ADDR [LEN]     physical memory in hex (LEN bytes, 64 by default, at most 4096)\n";

// A number as typed: decimal, or hex with 0x.
std::optional<std::uint64_t> parse_number(std::string_view text) {
  int base = 10;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    text.remove_prefix(2);
    base = 16;
  }
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto start = text.find_first_not_of(" \t\n");
    if (start == std::string_view::npos) break;
    text.remove_prefix(start);
    const auto end = text.find_first_of(" \t\n");
    out.push_back(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end);
  }
  return out;
}

const char* priv_name(core::Priv p) { return p == core::Priv::M ? "M" : p == core::Priv::S ? "S" : "U"; }

// A path for a scratch snapshot file (removed when this goes).
class ScratchFile {
 public:
  ScratchFile() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lockstep-gdb-XXXXXX").string();
    const int fd = ::mkstemp(pattern.data());
    if (fd >= 0) {
      ::close(fd);
      path_ = pattern;
    }
  }
  ~ScratchFile() {
    if (!path_.empty()) std::filesystem::remove(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

unsigned MachineTarget::hart_count() const { return engine_.machine().hart_count(); }
const std::string& MachineTarget::target_xml() const { return riscv_target_xml(); }
unsigned MachineTarget::g_register_count() const { return kGPacketRegisters; }

Result<std::vector<std::uint8_t>> MachineTarget::read_register(unsigned hart, unsigned regnum) {
  return gdb::read_register(engine_.machine().hart(hart), regnum);
}

Status MachineTarget::write_register(unsigned hart, unsigned regnum, std::span<const std::uint8_t> value) {
  LS_TRY(gdb::write_register(engine_.machine().hart(hart), regnum, value));
  return engine_.modified();
}

Result<std::vector<std::uint8_t>> MachineTarget::read_memory(unsigned hart, std::uint64_t addr, std::size_t len) {
  return read_guest(engine_.machine().hart(hart), addr, len, physical_);
}

Status MachineTarget::write_memory(unsigned hart, std::uint64_t addr, std::span<const std::uint8_t> bytes) {
  LS_TRY(write_guest(engine_.machine().hart(hart), addr, bytes, physical_));
  return engine_.modified();
}

Status MachineTarget::insert_point(PointKind kind, std::uint64_t addr, std::uint64_t len) {
  return engine_.insert(kind, addr, len);
}

Status MachineTarget::remove_point(PointKind kind, std::uint64_t addr, std::uint64_t len) {
  return engine_.remove(kind, addr, len);
}

StopReply MachineTarget::reply_for(const EngineStop& s, const std::function<bool()>& interrupted) {
  StopReply r;
  r.hart = s.hart;
  r.message = s.message;
  switch (s.kind) {
    case EngineStop::Kind::Breakpoint: r.kind = s.hardware ? StopReply::Kind::HwBreak : StopReply::Kind::SwBreak; break;
    case EngineStop::Kind::Watchpoint:
      r.kind = s.watch == PointKind::Read     ? StopReply::Kind::ReadWatch
               : s.watch == PointKind::Access ? StopReply::Kind::AccessWatch
                                              : StopReply::Kind::Watch;
      r.address = s.address;
      break;
    case EngineStop::Kind::Step: break;
    case EngineStop::Kind::Interrupted: r.signal = 2; break;
    case EngineStop::Kind::Exited:
      r.kind = StopReply::Kind::Exited;
      r.exit_code = s.exit_code;
      break;
    case EngineStop::Kind::HistoryBegin: r.kind = StopReply::Kind::HistoryBegin; break;
    case EngineStop::Kind::HistoryEnd: r.kind = StopReply::Kind::HistoryEnd; break;
    case EngineStop::Kind::Deadlock:
      // An idle guest: wait, as QEMU would, until the user interrupts.
      while (interrupted && !interrupted()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      r.signal = 2;
      break;
    case EngineStop::Kind::TrapLoop: r.signal = 11; break;
    case EngineStop::Kind::Refused: r.kind = StopReply::Kind::Error; break;
  }
  return r;
}

StopReply MachineTarget::resume(Resume how, unsigned hart, const std::function<bool()>& interrupted) {
  EngineStop s;
  switch (how) {
    case Resume::Continue: s = engine_.cont(interrupted); break;
    case Resume::Step: s = engine_.step(hart, interrupted); break;
    case Resume::ReverseContinue: s = engine_.reverse_cont(interrupted); break;
    case Resume::ReverseStep: s = engine_.reverse_step(hart); break;
  }
  StopReply r = reply_for(s, interrupted);
  if (r.kind != StopReply::Kind::Error) last_stop_ = r;
  return r;
}

std::string MachineTarget::thread_info(unsigned hart) {
  const core::Hart& h = engine_.machine().hart(hart);
  return fmt::format("hart {}, {}-mode{}, {} instructions", hart, priv_name(h.priv),
                     h.waiting_for_interrupt ? ", in wfi" : "", h.icount);
}

Result<std::string> MachineTarget::diff_at(std::uint64_t icount) {
  machines::virt::VirtMachine& vm = engine_.machine();
  ScratchFile then, now;
  if (then.path().empty() || now.path().empty()) return Error{"diff-at: cannot create a scratch file"};
  LS_TRY(machines::virt::save_snapshot_file(vm, now.path()));
  LS_TRY(engine_.visit(icount, [&]() -> Status {
    LS_TRY(machines::virt::save_snapshot_file(vm, then.path()));
    return Ok{};
  }));
  const snapshot::inspect::DiffResult d = snapshot::inspect::diff_streams(then.path(), now.path());
  if (d.error) return Error{fmt::format("diff-at: {}", *d.error)};
  std::string out = fmt::format("a: the state at icount {}, b: the state now (icount {})\n", icount, vm.icount());
  out += d.identical() ? "no difference\n" : snapshot::inspect::diff_text(d, false);
  return out;
}

Result<std::string> MachineTarget::monitor(std::string_view command) {
  const auto w = words(command);
  machines::virt::VirtMachine& vm = engine_.machine();
  if (w.empty() || w[0] == "help") return std::string(kHelp);
  if (w[0] == "icount") {
    std::string harts;
    for (unsigned k = 0; k < vm.hart_count(); ++k) harts += fmt::format("{}hart {}: {}", k ? ", " : "", k, vm.hart(k).icount);
    return fmt::format("icount {} ({})\n", vm.icount(), harts);
  }
  if (w[0] == "digest") return fmt::format("digest {:016x} at icount {}\n", vm.digest(), vm.icount());
  if (w[0] == "goto" || w[0] == "diff-at") {
    auto n = w.size() == 2 ? parse_number(w[1]) : std::nullopt;
    if (!n) return Error{fmt::format("usage: monitor {} ICOUNT", w[0])};
    if (w[0] == "diff-at") return diff_at(*n);
    const EngineStop s = engine_.go_to(*n, nullptr);
    if (s.kind == EngineStop::Kind::Refused) return Error{s.message};
    last_stop_ = reply_for(s, nullptr);
    std::string out = fmt::format("at icount {}", vm.icount());
    if (s.kind != EngineStop::Kind::Step) out += fmt::format(" (the run stopped early: {})", s.message.empty() ? "see ?" : s.message);
    return out + "; gdb's registers are stale until: maint flush register-cache\n";
  }
  if (w[0] == "checkpoints") {
    const auto st = engine_.checkpoints().stats();
    const auto& o = engine_.checkpoints().options();
    return fmt::format(
        "{} checkpoints from icount {} to {}, {:.1f} MiB ({} distinct pages) of a {:.0f} MiB cap, one every {} "
        "instructions{}\n",
        st.checkpoints, st.first_icount, st.last_icount, st.bytes / 1048576.0, st.pages, o.memory_cap / 1048576.0,
        o.interval, engine_.reverse_refusal().empty() ? "" : "\nreverse execution is off: " + engine_.reverse_refusal());
  }
  if (w[0] == "phys") {
    if (w.size() != 2 || (w[1] != "on" && w[1] != "off")) return Error{"usage: monitor phys on|off"};
    physical_ = w[1] == "on";
    return fmt::format("memory accesses are {}\n", physical_ ? "physical" : "virtual (the selected hart's)");
  }
  if (w[0] == "xp") {
    auto addr = w.size() >= 2 ? parse_number(w[1]) : std::nullopt;
    auto len = w.size() == 3 ? parse_number(w[2]) : std::optional<std::uint64_t>(64);
    if (!addr || !len || *len == 0 || *len > 4096 || w.size() > 3) return Error{"usage: monitor xp ADDR [LEN], LEN 1 to 4096"};
    LS_TRY_ASSIGN(auto bytes, read_guest(vm.hart(0), *addr, static_cast<std::size_t>(*len), true));
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 16) {
      out += fmt::format("{:016x}:", *addr + i);
      for (std::size_t j = i; j < std::min(bytes.size(), i + 16); ++j) out += fmt::format(" {:02x}", bytes[j]);
      out += "\n";
    }
    return out;
  }
  return Error{fmt::format("unknown monitor command '{}' (monitor help lists them)", w[0])};
}

}  // namespace lockstep::replay::gdb
