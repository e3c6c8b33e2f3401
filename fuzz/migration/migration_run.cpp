#include "fuzz/migration/migration_run.h"

#include <algorithm>

#include <fmt/format.h>

#include "machines/virt/virt_snapshot.h"
#include "snapshot/stream/byte_source.h"

namespace lockstep::fuzz::migration {

using machines::virt::RunOutcome;
using machines::virt::VirtMachine;

std::string_view engine_name(Engine e) { return e == Engine::Jit ? "jit" : "interp"; }
std::string_view engine_flag(Engine e) { return e == Engine::Jit ? "--jit=on" : "--jit=off"; }

Result<FuzzMachine> FuzzMachine::create(const FuzzGuest& guest, const Leg& leg, const EngineOptions& engine,
                                        std::string* console) {
  machines::virt::VirtConfig config = guest.config;
  config.machine = leg.version;
  FuzzMachine m;
  if (leg.engine == Engine::Jit) {
    jit::JitOptions options;
    options.threshold = engine.jit_threshold;
    m.jit_ = jit::Jit::create(options);
  }
  LS_TRY_ASSIGN(m.vm_, VirtMachine::create(config, [console](std::uint8_t c) { console->push_back(char(c)); },
                                           guest.script));
  if (m.jit_) m.vm_->hart(0).code->tier = m.jit_.get();
  return m;
}

Result<std::vector<std::uint8_t>> save_to_memory(const VirtMachine& vm, u64* digest, bool every_subsection) {
  std::vector<std::uint8_t> bytes;
  snapshot::stream::ByteSink sink(&bytes);
  LS_TRY_ASSIGN(machines::virt::SaveStats stats,
                machines::virt::save_snapshot(vm, sink, machines::virt::SaveOptions{.every_subsection = every_subsection}));
  LS_TRY(sink.finish());
  if (digest) *digest = stats.digest;
  return bytes;
}

Result<std::vector<std::string>> whole_state_differences(const VirtMachine& a, const VirtMachine& b) {
  std::vector<std::string> differ;
  const auto& sa = a.sections();
  const auto& sb = b.sections();
  if (sa.size() != sb.size()) return Error{"the two machines have different sections"};
  for (std::size_t i = 0; i < sa.size(); ++i) {
    snapshot::Writer wa, wb;
    LS_TRY(sa[i]->save_every_subsection(wa, nullptr));
    LS_TRY(sb[i]->save_every_subsection(wb, nullptr));
    if (wa.bytes().size() != wb.bytes().size() ||
        !std::equal(wa.bytes().begin(), wa.bytes().end(), wb.bytes().begin()))
      differ.push_back(fmt::format("'{}' instance {}", sa[i]->idstr(), sa[i]->instance()));
  }
  return differ;
}

namespace {

std::optional<u64> limit_of(const FuzzGuest& guest) {
  return guest.max_insns ? std::optional<u64>(guest.max_insns) : std::nullopt;
}

Status finish_run(FuzzMachine& m, const FuzzGuest& guest, bool capture, RunEnd& end) {
  end.outcome = m.vm().run(limit_of(guest));
  end.icount = m.vm().icount();
  end.digest = m.vm().digest();
  if (capture) {
    LS_TRY_ASSIGN(end.state, save_to_memory(m.vm()));
  }
  return Ok{};
}

}  // namespace

Result<RunEnd> run_straight(const FuzzGuest& guest, const Leg& leg, const EngineOptions& engine, bool capture_state) {
  RunEnd end;
  LS_TRY_ASSIGN(FuzzMachine m, FuzzMachine::create(guest, leg, engine, &end.console));
  LS_TRY(finish_run(m, guest, capture_state, end));
  return end;
}

Result<MigratedRun> run_migrated(const FuzzGuest& guest, std::span<const u64> cuts, std::span<const Leg> legs,
                                 const EngineOptions& engine, bool capture, bool check_digests) {
  if (legs.size() != cuts.size() + 1) return Error{"run_migrated: one leg more than cuts expected"};
  MigratedRun run;
  LS_TRY_ASSIGN(FuzzMachine m, FuzzMachine::create(guest, legs[0], engine, &run.end.console));
  for (std::size_t k = 0; k < cuts.size(); ++k) {
    const u64 cut = cuts[k];
    const auto limit = limit_of(guest);
    if (limit && cut >= *limit) break;
    const RunOutcome o = m.vm().run(cut);
    if (o.kind != RunOutcome::InsnLimit || m.vm().icount() != cut) {
      run.ended_before_cut = cut;
      run.end.outcome = o;
      run.end.icount = m.vm().icount();
      run.end.digest = m.vm().digest();
      if (capture) {
        LS_TRY_ASSIGN(run.end.state, save_to_memory(m.vm()));
      }
      return run;
    }
    CutResult& c = run.cuts.emplace_back();
    c.icount = cut;
    LS_TRY_ASSIGN(std::vector<std::uint8_t> stream, save_to_memory(m.vm(), &c.source_digest));
    LS_TRY_ASSIGN(FuzzMachine next, FuzzMachine::create(guest, legs[k + 1], engine, &run.end.console));
    auto source = snapshot::stream::ByteSource::from_memory(stream);
    machines::virt::LoadOptions load_options;
    load_options.check_digests = check_digests;
    if (Status s = machines::virt::load_snapshot(next.vm(), *source, load_options); !s) {
      run.load_error = s.error().message;
      if (capture) c.stream = std::move(stream);
      return run;
    }
    c.loaded_digest = next.vm().digest();
    LS_TRY_ASSIGN(c.whole_state_differs, whole_state_differences(m.vm(), next.vm()));
    if (capture) {
      c.stream = std::move(stream);
      LS_TRY_ASSIGN(c.loaded_state, save_to_memory(next.vm()));
      LS_TRY_ASSIGN(c.source_whole, save_to_memory(m.vm(), nullptr, true));
      LS_TRY_ASSIGN(c.loaded_whole, save_to_memory(next.vm(), nullptr, true));
    }
    m = std::move(next);
  }
  LS_TRY(finish_run(m, guest, capture, run.end));
  return run;
}

}  // namespace lockstep::fuzz::migration
