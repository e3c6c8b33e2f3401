#include "replay/divergence_search.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <unistd.h>
#include <xxhash.h>

#include "machines/virt/ram_pages.h"
#include "machines/virt/virt_snapshot.h"
#include "replay/replay_input.h"
#include "snapshot/descriptions/run_record.h"
#include "snapshot/inspect/diff.h"
#include "snapshot/stream/vmdesc_walker.h"
#include "snapshot/stream/byte_source.h"

namespace lockstep::replay {
namespace {

using machines::virt::VirtMachine;

// What two sides must agree on: every section by name and every RAM page by position.
struct StateSummary {
  std::map<std::pair<std::string, std::uint32_t>, std::uint64_t> sections;
  std::vector<std::vector<std::uint64_t>> pages;
  bool operator==(const StateSummary&) const = default;
};

Result<StateSummary> summarize(const VirtMachine& m) {
  StateSummary s;
  for (const auto& sec : m.sections()) {
    LS_TRY_ASSIGN(std::uint64_t d, m.section_digest(*sec));
    s.sections[{sec->idstr(), sec->instance()}] = d;
  }
  for (const auto& b : m.const_bus().ram_blocks()) s.pages.push_back(machines::virt::page_hashes(*b));
  return s;
}

Result<std::vector<std::uint8_t>> save(const VirtMachine& m, bool every_subsection = false) {
  std::vector<std::uint8_t> stream;
  snapshot::stream::ByteSink sink(&stream);
  machines::virt::SaveOptions o;
  o.every_subsection = every_subsection;
  LS_TRY(machines::virt::save_snapshot(m, sink, o));
  LS_TRY(sink.finish());
  return stream;
}

Status load(VirtMachine& m, const std::vector<std::uint8_t>& stream) {
  auto source = snapshot::stream::ByteSource::from_memory(stream);
  machines::virt::LoadOptions o;
  o.check_digests = false;  // a migration that loses state is what the search is there to show
  return machines::virt::load_snapshot(m, *source, o);
}

// One side: its machine, its own copy of the inputs, and its state kept at the last match.
class Runner {
 public:
  Runner(const SearchSide& side, const SearchOptions& o) : side_(side), options_(o) {}

  Status start() {
    LS_TRY_ASSIGN(vm_, side_.create());
    if (!options_.start_stream.empty()) LS_TRY(load(*vm_, options_.start_stream));
    attach_inputs();
    return Ok{};
  }
  // Runs to `icount`, migrating on the way if this side does (`migrate`) and that point comes, at
  // `icount` included. False when the guest ended first.
  Result<bool> run_to(std::uint64_t icount, const core::TraceSink* trace = nullptr, bool migrate = true) {
    for (;;) {
      const bool pending = migrate && side_.migrate_at && !migrated_;
      if (pending && vm_->icount() == *side_.migrate_at) LS_TRY(this->migrate());
      if (vm_->icount() >= icount) return true;
      std::uint64_t stop = icount;
      if (pending && *side_.migrate_at > vm_->icount() && *side_.migrate_at < stop) stop = *side_.migrate_at;
      if (vm_->run(stop, trace).kind != machines::virt::RunOutcome::InsnLimit) return false;
    }
  }
  // The state at this icount, to come back to. Kept as a snapshot only when that is exact: the side
  // has no engine with a history of its own (compiled code, dropped by a load) and a save and load
  // give back this very state (a migration bug is exactly what would break that). Otherwise
  // restore() re-runs from the last exact one, or the start: slower, never wrong.
  Status keep() {
    kept_icount_ = vm_->icount();
    if (!side_.restorable) return Ok{};
    LS_TRY_ASSIGN(auto stream, save(*vm_));
    LS_TRY_ASSIGN(auto copy, side_.create());
    LS_TRY(load(*copy, stream));
    LS_TRY_ASSIGN(StateSummary original, summarize(*vm_));
    LS_TRY_ASSIGN(StateSummary loaded, summarize(*copy));
    if (original == loaded) {
      exact_ = std::move(stream);
      exact_icount_ = kept_icount_;
      exact_migrated_ = migrated_;
    }
    return Ok{};
  }
  // Back to the kept icount: from the last exact snapshot at or before it (or the start), then on.
  Status restore() {
    if (exact_.empty()) {
      LS_TRY(start());
      migrated_ = false;
    } else {
      LS_TRY_ASSIGN(vm_, side_.create());
      LS_TRY(load(*vm_, exact_));
      migrated_ = exact_migrated_;
      attach_inputs();
    }
    LS_TRY_ASSIGN(bool reached, run_to(kept_icount_));
    if (!reached || vm_->icount() != kept_icount_)
      return Error{fmt::format("side '{}' did not reach icount {} again", side_.name, kept_icount_)};
    return Ok{};
  }
  VirtMachine& vm() { return *vm_; }

 private:
  Status migrate() {
    LS_TRY_ASSIGN(auto stream, save(*vm_));
    LS_TRY_ASSIGN(vm_, side_.create());
    LS_TRY(load(*vm_, stream));
    migrated_ = true;
    attach_inputs();
    return Ok{};
  }
  void attach_inputs() {
    input_ = std::make_unique<ReplayInput>(options_.inputs);
    input_->skip_before(vm_->icount());
    vm_->set_input_source(input_.get());
  }
  const SearchSide& side_;
  const SearchOptions& options_;
  std::unique_ptr<VirtMachine> vm_;
  std::unique_ptr<ReplayInput> input_;
  std::uint64_t kept_icount_ = 0;
  std::vector<std::uint8_t> exact_;  // the last kept state a save and load give back exactly
  std::uint64_t exact_icount_ = 0;
  bool migrated_ = false, exact_migrated_ = false;
};


// A state as a file: `snapshot diff` and the field walker read files (they seek to the vmdesc).
class TempStream {
 public:
  static Result<TempStream> of(const VirtMachine& m, const char* tag) {
    LS_TRY_ASSIGN(auto bytes, save(m, true));
    TempStream t((std::filesystem::temp_directory_path() / fmt::format("lockstep-divergence-{}-{}.mig", ::getpid(), tag)).string());
    std::FILE* f = std::fopen(t.path_.c_str(), "wb");
    if (!f) return Error{fmt::format("cannot write {}", t.path_)};
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    std::fclose(f);
    if (!ok) return Error{fmt::format("cannot write {}", t.path_)};
    return t;
  }
  TempStream(TempStream&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  ~TempStream() {
    if (!path_.empty()) std::remove(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempStream(std::string p) : path_(std::move(p)) {}
  std::string path_;
};

// The `snapshot diff` of the two states, whole (every subsection, needed or not).
Result<snapshot::inspect::DiffResult> diff_states(const VirtMachine& a, const VirtMachine& b) {
  LS_TRY_ASSIGN(TempStream sa, TempStream::of(a, "a"));
  LS_TRY_ASSIGN(TempStream sb, TempStream::of(b, "b"));
  return snapshot::inspect::diff_streams(sa.path(), sb.path());
}

// Machines whose layouts differ (another machine version: a subsection one has and the other
// lacks) are compared by the fields both have: "section#instance/path" -> XXH3 of the bytes.
using FieldHashes = std::map<std::string, std::uint64_t>;
Result<FieldHashes> field_hashes(const VirtMachine& m) {
  LS_TRY_ASSIGN(TempStream s, TempStream::of(m, "fields"));
  FieldHashes out;
  snapshot::stream::WalkOptions o;
  o.on_field = [&](const snapshot::stream::SectionHeader& h, const std::string& path, const snapshot::stream::Json&,
                   std::span<const std::uint8_t> bytes) -> Status {
    if (h.idstr != snapshot::kRunRecordIdstr)  // its digests differ whenever the layouts do
      out[fmt::format("{}#{}/{}", h.idstr, h.instance_id, path)] = XXH3_64bits(bytes.data(), bytes.size());
    return Ok{};
  };
  LS_TRY(snapshot::stream::walk_stream(s.path(), o));
  return out;
}

// by_common_fields: the layouts differ, compare what both have (slower: a stream walk per side).
Result<bool> same(Runner& a, Runner& b, bool by_common_fields) {
  if (a.vm().icount() != b.vm().icount()) return false;
  if (!by_common_fields) {
    LS_TRY_ASSIGN(StateSummary sa, summarize(a.vm()));
    LS_TRY_ASSIGN(StateSummary sb, summarize(b.vm()));
    return sa == sb;
  }
  LS_TRY_ASSIGN(FieldHashes fa, field_hashes(a.vm()));
  LS_TRY_ASSIGN(FieldHashes fb, field_hashes(b.vm()));
  for (const auto& [key, hash] : fa)
    if (auto it = fb.find(key); it != fb.end() && it->second != hash) return false;
  LS_TRY_ASSIGN(StateSummary sa, summarize(a.vm()));
  LS_TRY_ASSIGN(StateSummary sb, summarize(b.vm()));
  return sa.pages == sb.pages;
}

}  // namespace

Result<SearchResult> find_divergence(const SearchSide& sa, const SearchSide& sb, const SearchOptions& o) {
  Runner a(sa, o), b(sb, o);
  LS_TRY(a.start());
  LS_TRY(b.start());
  bool by_common_fields = false;
  SearchResult result;

  // States equal after `lo` instructions (kept), different after `hi`: say what ran and what differs.
  auto report = [&](std::uint64_t hi, bool at_start) -> Result<SearchResult> {
    Divergence d;
    d.icount = hi;
    d.before_any_instruction = at_start;
    if (!at_start) {
      for (const SearchSide* s : {&sa, &sb}) {
        if (s->migrate_at != hi) continue;
        // The last instruction agreed and the migration after it did not keep the state.
        LS_TRY(a.restore());
        LS_TRY(b.restore());
        LS_TRY(a.run_to(hi, nullptr, false));
        LS_TRY(b.run_to(hi, nullptr, false));
        LS_TRY_ASSIGN(bool equal, same(a, b, by_common_fields));
        d.at_migration = equal;
      }
      LS_TRY(a.restore());
      LS_TRY(b.restore());
      std::vector<std::uint64_t> icounts, pcs;
      for (unsigned k = 0; k < a.vm().hart_count(); ++k) {
        icounts.push_back(a.vm().hart(k).icount);
        pcs.push_back(a.vm().hart(k).pc);
      }
      char* text = nullptr;
      std::size_t len = 0;
      std::FILE* mem = ::open_memstream(&text, &len);
      if (!mem) return Error{"open_memstream failed"};
      const core::TraceSink sink{mem};
      auto ran = a.run_to(hi, &sink);
      std::fclose(mem);
      d.instruction.assign(text ? text : "", len);
      std::free(text);
      LS_TRY(ran);
      // The trace's last line is the instruction that made the states differ.
      while (!d.instruction.empty() && d.instruction.back() == '\n') d.instruction.pop_back();
      if (auto nl = d.instruction.rfind('\n'); nl != std::string::npos) d.instruction.erase(0, nl + 1);
      for (unsigned k = 0; k < a.vm().hart_count(); ++k)
        if (a.vm().hart(k).icount != icounts[k]) d.hart = k, d.pc = pcs[k];
      LS_TRY(b.run_to(hi));
    }
    LS_TRY_ASSIGN(auto diff, diff_states(a.vm(), b.vm()));
    if (by_common_fields)  // fields one side does not have are the layout, not the divergence
      std::erase_if(diff.fields, [](const auto& f) { return f.a.is_null() || f.b.is_null(); });
    d.differences = snapshot::inspect::difference_lines(diff);
    // The run record (icount, digests) differs whenever anything does: least telling, last.
    std::stable_partition(d.differences.begin(), d.differences.end(),
                          [](const std::string& l) { return l.find(snapshot::kRunRecordIdstr) == std::string::npos; });
    result.divergence = std::move(d);
    return result;
  };

  std::uint64_t lo = a.vm().icount();
  LS_TRY(a.run_to(lo));  // a migration at the very start
  LS_TRY(b.run_to(lo));
  LS_TRY_ASSIGN(bool equal, same(a, b, false));
  if (!equal) {
    // Only fields that one side lacks (another machine version's subsection)? Then compare the rest.
    LS_TRY_ASSIGN(auto diff, diff_states(a.vm(), b.vm()));
    bool layout_only = !diff.error && diff.sections.empty() && diff.ram.empty() && !diff.fields.empty();
    for (const auto& f : diff.fields)
      layout_only &= f.a.is_null() || f.b.is_null() || f.section == snapshot::kRunRecordIdstr;
    if (layout_only) {
      by_common_fields = true;
      for (const auto& f : diff.fields)
        if (f.section != snapshot::kRunRecordIdstr)
          result.layout_only.push_back(fmt::format("{} ({}) {}", f.section, f.instance, f.field));
      LS_TRY_ASSIGN(equal, same(a, b, true));
    }
    if (!equal) return report(lo, true);
  }
  LS_TRY(a.keep());
  LS_TRY(b.keep());
  // Steps, each side's migration point a step boundary of its own.
  std::optional<std::uint64_t> hi;
  while (!hi && lo < o.end) {
    std::uint64_t next = std::min(o.end, lo + o.step);
    for (const SearchSide* s : {&sa, &sb})
      if (s->migrate_at && *s->migrate_at > lo && *s->migrate_at < next) next = *s->migrate_at;
    LS_TRY_ASSIGN(bool ra, a.run_to(next));
    LS_TRY_ASSIGN(bool rb, b.run_to(next));
    LS_TRY_ASSIGN(equal, same(a, b, by_common_fields));
    if (!equal) {
      hi = next;
    } else if (!ra || !rb) {
      return result;  // both ended at one point, in one state
    } else {
      lo = next;
      LS_TRY(a.keep());
      LS_TRY(b.keep());
    }
  }
  if (!hi) return result;
  while (*hi - lo > 1) {
    const std::uint64_t mid = lo + (*hi - lo) / 2;
    LS_TRY(a.restore());
    LS_TRY(b.restore());
    LS_TRY_ASSIGN(bool ra, a.run_to(mid));
    LS_TRY_ASSIGN(bool rb, b.run_to(mid));
    LS_TRY_ASSIGN(equal, same(a, b, by_common_fields));
    if (equal && ra && rb) {
      lo = mid;
      LS_TRY(a.keep());
      LS_TRY(b.keep());
    } else {
      hi = mid;
    }
  }
  return report(*hi, false);
}

}  // namespace lockstep::replay
