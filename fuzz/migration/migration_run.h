#pragma once
// One guest run straight, or cut at instruction counts and migrated in process: at each cut the
// machine is saved to memory, a fresh machine (the next leg's version and engine) loads it, and
// the run goes on there. No fork, no file.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "fuzz/migration/fuzz_guest.h"
#include "jit/jit.h"

namespace lockstep::fuzz::migration {

enum class Engine : std::uint8_t { Interpreter, Jit };
std::string_view engine_name(Engine e);  // "interp", "jit"
std::string_view engine_flag(Engine e);  // the `lockstep run` option: "--jit=off", "--jit=on"

struct EngineOptions {
  // Low, so that compiled code runs in the small guests the fuzzer prefers (the default of
  // `lockstep run`, 2,000,000, would compile nothing in most of them).
  core::u32 jit_threshold = 1000;
};

// Where a run goes between two cuts.
struct Leg {
  std::string version;  // "virt-1.0", ...
  Engine engine = Engine::Interpreter;
};

struct RunEnd {
  machines::virt::RunOutcome outcome;
  u64 icount = 0;
  u64 digest = 0;
  std::string console;
  std::vector<std::uint8_t> state;  // the final machine as a stream (only when captured)
};

struct CutResult {
  u64 icount = 0;
  u64 source_digest = 0;  // of the machine that saved
  u64 loaded_digest = 0;  // of the machine that loaded, before it ran (0 when the load failed)
  std::vector<std::uint8_t> stream;        // what went over the wire (only when captured)
  std::vector<std::uint8_t> loaded_state;  // the loaded machine saved again at once (captured)
  // Sections ("idstr instance") whose whole state, every subsection included whatever needed()
  // says, differs between the two machines right after the load: what a lying needed() hides
  // from the digest.
  std::vector<std::string> whole_state_differs;
  std::vector<std::uint8_t> source_whole, loaded_whole;  // both machines, every subsection (captured)
};

struct MigratedRun {
  std::vector<CutResult> cuts;             // the cuts reached, in order
  std::optional<std::string> load_error;   // the load at cuts.back() was refused: the run stops there
  std::optional<u64> ended_before_cut;     // the guest stopped before this cut
  RunEnd end;                              // when no load was refused
};

// A machine of one guest, one version, one engine. The JIT outlives the machine that uses it.
class FuzzMachine {
 public:
  static Result<FuzzMachine> create(const FuzzGuest& guest, const Leg& leg, const EngineOptions& engine,
                                    std::string* console);
  machines::virt::VirtMachine& vm() { return *vm_; }

  FuzzMachine() = default;
  FuzzMachine(FuzzMachine&& o) noexcept = default;
  // The machine goes first: its code cache still points at the JIT.
  FuzzMachine& operator=(FuzzMachine&& o) noexcept {
    vm_.reset();
    jit_ = std::move(o.jit_);
    vm_ = std::move(o.vm_);
    return *this;
  }
  ~FuzzMachine() { vm_.reset(); }

 private:
  std::unique_ptr<jit::Jit> jit_;
  std::unique_ptr<machines::virt::VirtMachine> vm_;
};

Result<RunEnd> run_straight(const FuzzGuest& guest, const Leg& leg, const EngineOptions& engine,
                            bool capture_state);
// legs.size() == cuts.size() + 1; cuts ascending. check_digests false: loads skip the loader's own
// digest check (for reports: what did the refused load produce?).
Result<MigratedRun> run_migrated(const FuzzGuest& guest, std::span<const u64> cuts, std::span<const Leg> legs,
                                 const EngineOptions& engine, bool capture, bool check_digests = true);

// Sections whose whole state (every subsection) differs between two machines of one configuration.
Result<std::vector<std::string>> whole_state_differences(const machines::virt::VirtMachine& a,
                                                         const machines::virt::VirtMachine& b);

// The stream, and the saved machine's digest (computed by the save from its page hashes).
Result<std::vector<std::uint8_t>> save_to_memory(const machines::virt::VirtMachine& vm, u64* digest = nullptr,
                                                 bool every_subsection = false);

}  // namespace lockstep::fuzz::migration
