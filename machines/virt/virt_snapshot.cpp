#include "machines/virt/virt_snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "machines/virt/ram_pages.h"
#include "snapshot/descriptions/run_record.h"
#include "snapshot/stream/json_access.h"
#include "snapshot/diagnosis/diagnosis.h"
#include "snapshot/stream/page_hashes.h"
#include "snapshot/stream/ram_section.h"
#include "snapshot/stream/stream_reader.h"
#include "snapshot/stream/stream_writer.h"
#include "snapshot/stream/zstd_source.h"

namespace lockstep::machines::virt {
namespace {

namespace st = snapshot::stream;
namespace diagnosis = snapshot::diagnosis;
using snapshot::RunRecord;

constexpr std::uint64_t kPageSize = core::kPageSize;
constexpr std::uint32_t kRamSectionId = 0;
constexpr std::uint32_t kPageHashesSectionId = 1;
constexpr std::uint32_t kFirstDeviceSectionId = 2;

Json device_entry(const std::string& idstr, std::uint32_t instance, Json body) {
  Json e = Json::object();
  e.get_ref<Json::object_t&>().reserve(2 + body.size());  // growing would copy the nested descriptions
  e["name"] = idstr;
  e["instance_id"] = instance;
  for (auto& [k, v] : body.items()) e[k] = std::move(v);
  return e;
}

}  // namespace

// How far ahead of a device section the loader looks (peek_n waits for this many bytes or the end
// of the stream). Larger than any device body, and smaller than the VM description that follows the
// last section of every lockstep stream (~18 KiB), so a live source (a socket) never has to send
// more than it already has, nor close, for the last sections to load.
constexpr std::size_t kSectionWindow = 8 * 1024;

Result<SaveStats> save_snapshot(const VirtMachine& m, st::ByteSink& out, const SaveOptions& opts) {
  SaveStats stats;
  st::StreamWriter w(out, kPageSize);
  LS_TRY(w.header());
  LS_TRY(w.configuration(std::string(m.version().name)));

  // RAM: the block list, then every page of every block in one END section (stop-and-copy).
  std::vector<st::RamBlockSpec> specs;
  const auto& blocks = m.const_bus().ram_blocks();
  for (const auto& b : blocks) specs.push_back({b->name, b->size});
  LS_TRY(w.ram_start(kRamSectionId, specs));
  LS_TRY(w.ram_end_begin(kRamSectionId));
  st::PageHashTable hashes;
  hashes.page_size = static_cast<std::uint32_t>(kPageSize);
  std::vector<std::vector<u64>> digest_input;
  for (const auto& b : blocks) {
    st::HashedBlock hb{b->name, b->size, {}};
    hb.hashes.reserve(st::page_count(b->size, kPageSize));
    // Pages the host never touched are zero: no need to read (and fault in) them.
    const std::vector<std::uint8_t> resident = resident_pages(*b);
#ifdef LOCKSTEP_PLANT_SKIP_RAM_PAGE
    bool skipped_one = false;
#endif
    std::uint64_t zero_from = 0, zero_run = 0;  // zero pages not yet written, sent as one run
    for (std::uint64_t i = 0, off = 0; off < b->size; ++i, off += kPageSize) {
      const std::uint8_t* p = b->host + off;
#ifdef LOCKSTEP_PLANT_SKIP_RAM_PAGE
      // Planted bug, defined only by a test build (tests/planted): the first data page past 64 KiB
      // of each block is hashed but never sent.
      if (off >= 0x10000 && !skipped_one && !((!resident.empty() && !resident[i]) || is_zero_page(p))) {
        skipped_one = true;
        hb.hashes.push_back(st::page_hash({p, kPageSize}));
        ++stats.data_pages;
        continue;
      }
#endif
      if ((!resident.empty() && !resident[i]) || is_zero_page(p)) {
        hb.hashes.push_back(zero_page_hash());
        if (zero_run == 0) zero_from = off;
        ++zero_run;
        ++stats.zero_pages;
      } else {
        hb.hashes.push_back(st::page_hash({p, kPageSize}));
        LS_TRY(w.ram_zero_pages(b->name, zero_from, zero_run));
        zero_run = 0;
        LS_TRY(w.ram_page(b->name, off, {p, kPageSize}));
        ++stats.data_pages;
      }
    }
    LS_TRY(w.ram_zero_pages(b->name, zero_from, zero_run));
    digest_input.push_back(hb.hashes);
    hashes.blocks.push_back(std::move(hb));
  }
  LS_TRY(w.ram_end_finish(kRamSectionId));

  Json devices = Json::array();
  LS_TRY(w.section_header(st::kFull, kPageHashesSectionId, st::kPageHashesIdstr, 0, st::kPageHashesVersion));
  LS_TRY(st::write_page_hashes(out, hashes));
  LS_TRY(w.section_footer(kPageHashesSectionId));
  devices.push_back(st::page_hashes_vmdesc_entry(hashes));

  RunRecord run;
  run.icount = m.icount();
  run.virtual_ns = m.clock_now_ns();
  run.input_position = m.input_position();
  run.digest = m.digest(digest_input);
  stats.digest = run.digest;
  std::uint32_t id = kFirstDeviceSectionId;
  for (const auto& sec : m.sections()) {
    snapshot::Writer body;
    Json desc;
    if (Status s = opts.every_subsection ? sec->save_every_subsection(body, &desc) : sec->save(body, &desc); !s) {
      return Error{fmt::format("cannot save '{}' instance {}: {}", sec->idstr(), sec->instance(), s.error().message)};
    }
    LS_TRY(w.full_section(id++, sec->idstr(), sec->instance(), static_cast<std::uint32_t>(sec->wire_version()),
                          body.bytes()));
    devices.push_back(device_entry(sec->idstr(), sec->instance(), std::move(desc)));
    if (run.section_count == run.section_digests.size())
      return Error{fmt::format("more than {} sections to digest", run.section_digests.size())};
    LS_TRY_ASSIGN(run.section_digests[run.section_count++], m.section_digest(*sec));
  }
  {
    snapshot::Writer body;
    Json desc;
    LS_TRY(snapshot::vm::save(snapshot::run_record_vmstate(), run, body, &desc));
    LS_TRY(w.full_section(id, snapshot::kRunRecordIdstr, 0, snapshot::run_record_vmstate().version, body.bytes()));
    devices.push_back(device_entry(snapshot::kRunRecordIdstr, 0, std::move(desc)));
  }
  LS_TRY(w.eof());
  Json vmdesc;
  vmdesc["page_size"] = kPageSize;
  vmdesc["devices"] = std::move(devices);
  LS_TRY(w.vmdesc(vmdesc, /*pad_for_analyzers=*/true));
  LS_TRY(out.flush());
  stats.stream_bytes = out.offset();
  return stats;
}

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

Result<SaveStats> save_snapshot_file(const VirtMachine& m, const std::string& path) {
  LS_TRY_ASSIGN(auto file, st::AtomicFile::create(path));
  SaveStats stats;
  {
    st::ByteSink sink(file->fd(), /*owns_fd=*/false);
    sink.enable_early_writeback();
    if (ends_with(path, ".zst")) LS_TRY(sink.enable_zstd());
    LS_TRY_ASSIGN(stats, save_snapshot(m, sink));
    LS_TRY(sink.finish());
  }
  if (Status s = file->commit(); !s) return Error{fmt::format("cannot write snapshot {}: {}", path, s.error().message)};
  return stats;
}

// ---------------------------------------------------------------------------------------------
// Loading.
namespace {

std::string destination_sections(const VirtMachine& m) {
  std::string out;
  for (const auto& s : m.sections()) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", s->idstr(), s->instance());
  return out;
}

class Loader {
 public:
  Loader(VirtMachine& m, st::ByteSource& in, const LoadOptions& o) : m_(m), in_(in), opts_(o), r_(in) {}

  Status run() {
    Status s = load();
    if (!s) {
      for (const auto& sec : m_.sections()) sec->discard();
      return Error{"load of migration failed: " + s.error().message};
    }
    return s;
  }

 private:
  Status load() {
    LS_TRY_ASSIGN(st::StreamHeader h, r_.read_header());
    if (!h.has_configuration)
      return Error{fmt::format("the stream has no configuration section (at offset {}); lockstep needs the machine "
                               "type to check it",
                               h.end_offset)};
    const std::string local(m_.version().name);
    if (h.machine != local) {
      std::string cause = "the destination was started with another -M than the source";
      if (auto v = find_machine_version(h.machine))
        cause = fmt::format("the source ran -M {}; start the destination with -M {} (a stream loads only into the "
                            "machine version that wrote it)",
                            h.machine, h.machine);
      return Error{fmt::format("Machine type received is '{}' and local is '{}'\n  likely cause: {}", h.machine,
                               local, cause)};
    }
    if (h.target_page_bits && *h.target_page_bits != 12)
      return Error{fmt::format("target page bits {} differ from this machine's 12", *h.target_page_bits)};

    for (;;) {
      LS_TRY_ASSIGN(st::Record rec, r_.next());
      if (rec.kind == st::Record::kEof) break;
      if (rec.kind == st::Record::kCommand)
        return Error{fmt::format("migration command {} at offset {} is not supported (lockstep streams carry none)",
                                 rec.command.cmd, rec.offset)};
      LS_TRY(load_section(rec.section));
    }
    LS_TRY(r_.check_vmdesc());
    LS_TRY(check_complete());
    for (const auto& sec : m_.sections()) sec->commit();
    m_.drop_translations();
    m_.resync_clock();
    m_.restore_input_position(run_->input_position);
    if (!opts_.check_digests) return Ok{};
    return check_digests();
  }

  Status load_section(const st::SectionHeader& s) {
    if (s.idstr == "ram") return load_ram(s);
    if (s.type != st::kFull)
      return Error{fmt::format("section '{}' instance {} arrives as {} at offset {}; only RAM is iterative here",
                               s.idstr, s.instance_id, st::section_type_name(s.type), s.offset)};
    if (s.idstr == st::kPageHashesIdstr) return load_page_hashes(s);
    if (s.idstr == snapshot::kRunRecordIdstr) return load_run_record(s);
    MachineSection* sec = nullptr;
    for (const auto& c : m_.sections())
      if (c->idstr() == s.idstr && c->instance() == s.instance_id) sec = c.get();
    if (!sec) {
      bool same_idstr = false;
      for (const auto& c : m_.sections()) same_idstr |= c->idstr() == s.idstr;
      return Error{diagnosis::unknown_section_message(s.idstr, s.instance_id) +
                   fmt::format("\n  at offset {} (section id {})\n  the source wrote: {}\n  this destination has: "
                               "{}\n  likely cause: {}",
                               s.offset, s.section_id, diagnosis::source_wrote(opts_.source_vmdesc, s.idstr, s.instance_id),
                               destination_sections(m_), diagnosis::unknown_section_cause(same_idstr))};
    }
    if (sec->staged())
      return Error{fmt::format("section '{}' instance {} sent twice (second copy at offset {})", s.idstr,
                               s.instance_id, s.offset)};
    const auto vid = static_cast<int>(std::min<std::uint32_t>(s.version_id, 0x7fffffff));
    if (vid > sec->version() || vid < sec->min_version()) {
      const bool too_new = vid > sec->version();
      return Error{fmt::format("savevm: unsupported version {} for '{}' v{}\n  {}\n  at offset {}\n  the source wrote: "
                               "{}\n  likely cause: {}",
                               s.version_id, s.idstr, sec->version(),
                               diagnosis::version_message(s.idstr, static_cast<std::uint64_t>(vid),
                                                          static_cast<std::uint64_t>(sec->version()),
                                                          static_cast<std::uint64_t>(sec->min_version())),
                               s.offset, diagnosis::source_wrote(opts_.source_vmdesc, s.idstr, s.instance_id),
                               diagnosis::version_cause(too_new))};
    }
    // Device bodies are small (the largest, a hart, is ~1 KiB; the console's ~4.4 KiB at most): load
    // from a bounded window.
    LS_TRY_ASSIGN(auto window, in_.peek_n(kSectionWindow));
    snapshot::Reader rd(window, in_.offset());
    Status loaded = sec->stage(rd, vid);
    if (!loaded)
      return Error{fmt::format("error while loading state for instance 0x{:x} of device '{}'\n  {}\n  the source "
                               "wrote: {}\n  this destination reads: {} v{}: {}\n  likely cause: {}",
                               s.instance_id, s.idstr, loaded.error().message,
                               diagnosis::source_wrote(opts_.source_vmdesc, s.idstr, s.instance_id), s.idstr, vid,
                               sec->expected_fields(vid),
                               cause_for(*sec, s, vid, diagnosis::field_error_cause(loaded.error().kind)))};
    LS_TRY(in_.skip(rd.pos()));
    Status footer = r_.end_section();
    if (!footer)
      return Error{fmt::format(
          "{}\n  the source wrote: {}\n  this destination read {} bytes as {} v{}: {}\n  likely cause: {}",
          footer.error().message, diagnosis::source_wrote(opts_.source_vmdesc, s.idstr, s.instance_id), rd.pos(), s.idstr, vid,
          sec->expected_fields(vid),
          cause_for(*sec, s, vid, diagnosis::layout_change_cause(s.idstr)))};
    return Ok{};
  }

  // Layout comparison when the source's vmdesc is known, else the message-based guess.
  std::string cause_for(const MachineSection& sec, const st::SectionHeader& s, int vid, const std::string& fallback) {
    const Json* src = diagnosis::source_entry(opts_.source_vmdesc, s.idstr, s.instance_id);
    if (!src) return fallback;
    std::string diff = diagnosis::first_layout_difference(*src, sec.vmdesc_at(vid), "", sec.subsection_names());
    return diff.empty() ? fallback : diff;
  }

  Status load_ram(const st::SectionHeader& s) {
    ram_.merge_zero_runs(true);
    Status body = ram_.read_body(r_, s, [this](const st::RamPage& p) { return store_page(p); });
    if (!body && body.error().kind == ErrorKind::kUnknownRamBlock)
      // The block list was checked at START: a page naming another block contradicts the stream itself.
      return Error{fmt::format("{}\n  likely cause: a page names a block missing from the stream's own block list "
                               "(a corrupt stream)",
                               body.error().message),
                   ErrorKind::kUnknownRamBlock};
    if (!body) return body.error();
    if (s.type == st::kStart) LS_TRY(check_ram_blocks());
    return r_.end_section();
  }

  // A block name this machine does not have; `detail` follows QEMU's message line.
  Error unknown_ramblock(const std::string& block, const std::string& detail) const {
    std::string cause = diagnosis::unknown_ramblock_cause();
    std::string versions;
    for (const MachineVersion& v : machine_versions())
      if (v.compat.main_ram_id == block && v.compat.main_ram_id != m_.version().compat.main_ram_id)
        versions += fmt::format("{}{}", versions.empty() ? "" : ", ", v.name);
    if (!versions.empty())
      cause = fmt::format("that is main RAM's id on {}; on this machine version ({}) it is \"{}\": the two sides "
                          "run different machine versions",
                          versions, m_.version().name, m_.version().compat.main_ram_id);
    return Error{fmt::format("{}{}\n  likely cause: {}", diagnosis::unknown_ramblock_message(block), detail, cause),
                 ErrorKind::kUnknownRamBlock};
  }

  Error ram_size_mismatch(const std::string& block, std::uint64_t sent, std::uint64_t local) const {
    return Error{fmt::format("{}\n  the source's block is {} MiB, this destination's {} MiB\n  likely cause: {}",
                             diagnosis::ram_size_message(block, sent, local), sent >> 20, local >> 20,
                             diagnosis::ram_size_cause(block == m_.version().compat.main_ram_id)),
                 ErrorKind::kRamBlockSize};
  }

  // The block list from the START section against this machine's RAM blocks.
  Status check_ram_blocks() {
    for (const auto& b : ram_.blocks()) {
      const core::RamBlock* local = find_block(b.idstr);
      if (!local) {
        std::string have;
        for (const auto& l : m_.const_bus().ram_blocks()) have += fmt::format("{}\"{}\"", have.empty() ? "" : ", ", l->name);
        return unknown_ramblock(b.idstr, fmt::format("\n  this destination has: {}", have));
      }
      if (local->size != b.used_length) return ram_size_mismatch(b.idstr, b.used_length, local->size);
    }
    return Ok{};
  }

  core::RamBlock* find_block(const std::string& name) {
    for (const auto& l : m_.bus().ram_blocks())
      if (l->name == name) return l.get();
    return nullptr;
  }

  Status store_page(const st::RamPage& p) {
    if (p.block_index >= block_map_.size()) block_map_.resize(p.block_index + 1, nullptr);
    core::RamBlock*& b = block_map_[p.block_index];
    if (!b) {
      b = find_block(p.block.idstr);
      if (!b) return unknown_ramblock(p.block.idstr, "");
      if (b->size != p.block.used_length) return ram_size_mismatch(p.block.idstr, p.block.used_length, b->size);
    }
    std::uint8_t* dst = b->host + p.offset;
    if (p.zero) {
      // Untouched guest RAM is already zero: nothing to read (each read would fault a page in)
      // and nothing to write.
      if (p.count > (b->size - p.offset) / kPageSize)
        return Error{fmt::format("RAM: a run of {} zero pages at 0x{:x} passes the end of \"{}\"", p.count, p.offset,
                                 b->name)};
      const std::vector<std::uint8_t>& resident = residency(*b);
      for (std::uint64_t i = 0, page = p.offset / kPageSize; i < p.count; ++i, ++page, dst += kPageSize) {
        const bool untouched = page < resident.size() && !resident[page];
        if (p.fill != 0 || (!untouched && !is_zero_page(dst))) std::memset(dst, p.fill, kPageSize);
      }
    } else {
      std::memcpy(dst, p.data.data(), kPageSize);
    }
    return Ok{};
  }

  // Which pages of `b` were untouched when the load began (empty: unknown).
  const std::vector<std::uint8_t>& residency(const core::RamBlock& b) {
    auto it = residency_.find(&b);
    if (it == residency_.end()) it = residency_.emplace(&b, resident_pages(b)).first;
    return it->second;
  }

  Status load_page_hashes(const st::SectionHeader& s) {
    if (s.version_id != st::kPageHashesVersion)
      return Error{fmt::format("savevm: unsupported version {} for '{}' v{}", s.version_id, s.idstr,
                               st::kPageHashesVersion)};
    core::RamBlock* block = nullptr;
    std::string name;
    std::uint64_t mismatches = 0;
    std::string first;
    std::uint32_t page_size = 0;
    st::PageHashVisitor v;
    v.on_header = [&](std::uint32_t ps, std::uint32_t) -> Status {
      page_size = ps;
      if (ps != kPageSize) return Error{fmt::format("{}: page size {} is not {}", s.idstr, ps, kPageSize)};
      return Ok{};
    };
    std::vector<std::uint8_t> resident;
    std::vector<u64>* verified = nullptr;
    v.on_block = [&](const std::string& idstr, std::uint64_t used) -> Status {
      name = idstr;
      block = find_block(idstr);
      if (block) resident = resident_pages(*block);  // after the RAM arrived: untouched pages are zero
      verified = &verified_hashes_[idstr];
      verified->clear();
      verified->reserve(st::page_count(used, kPageSize));
      if (!block) return unknown_ramblock(idstr, fmt::format(" (in {})", s.idstr));
      if (block->size != used) return ram_size_mismatch(idstr, used, block->size);
      return Ok{};
    };
    const std::uint64_t zero_hash = zero_page_hash();
    v.on_hashes = [&](std::uint64_t first_page, std::span<const std::uint64_t> hashes) -> Status {
      for (std::uint64_t page = first_page; const std::uint64_t hash : hashes) {
        const std::uint64_t off = page * page_size;
        const std::uint64_t len = std::min<std::uint64_t>(page_size, block->size - off);
        const bool untouched = len == kPageSize && page < resident.size() && !resident[page];
        const std::uint64_t local = untouched ? zero_hash : st::page_hash({block->host + off, len});
        verified->push_back(local);
        if (local != hash) {
          if (mismatches < 8) first += fmt::format("{}{}+0x{:x}", first.empty() ? "" : ", ", name, off);
          ++mismatches;
        }
        ++page;
      }
      return Ok{};
    };
    LS_TRY(st::read_page_hashes(in_, v));
    LS_TRY(r_.end_section());
    if (mismatches && opts_.check_digests)
      return Error{fmt::format("page hash mismatch after load: {} page(s) differ from the source's at the cut: {}{}\n "
                               " likely cause: pages the source changed were not sent (lost by dirty tracking) or "
                               "were damaged in transit",
                               mismatches, first, mismatches > 8 ? ", ..." : "")};
    hashes_checked_ = true;
    return Ok{};
  }

  Status load_run_record(const st::SectionHeader& s) {
    const auto& d = snapshot::run_record_vmstate();
    if (s.version_id > static_cast<std::uint32_t>(d.version) || s.version_id < static_cast<std::uint32_t>(d.min_version))
      return Error{fmt::format("savevm: unsupported version {} for '{}' v{}", s.version_id, s.idstr, d.version)};
    LS_TRY_ASSIGN(auto window, in_.peek_n(kSectionWindow));
    snapshot::Reader rd(window, in_.offset());
    RunRecord run;
    if (Status l = snapshot::vm::load(d, run, rd, static_cast<int>(s.version_id)); !l)
      return Error{fmt::format("error while loading state for instance 0x0 of device '{}'\n  {}", s.idstr,
                               l.error().message)};
    LS_TRY(in_.skip(rd.pos()));
    LS_TRY(r_.end_section());
    run_ = run;
    return Ok{};
  }

  // Every section of this machine must have received state; QEMU would keep the reset state silently.
  Status check_complete() {
    std::string missing;
    for (const auto& sec : m_.sections())
      if (!sec->staged()) missing += fmt::format("\n  '{}' instance {}", sec->idstr(), sec->instance());
    for (const auto& b : m_.const_bus().ram_blocks()) {
      bool sent = false;
      for (const auto& rb : ram_.blocks()) sent |= rb.idstr == b->name;
      if (!sent) missing += fmt::format("\n  RAM block \"{}\"", b->name);
    }
    if (!missing.empty())
      return Error{fmt::format("these parts of the destination received no state (QEMU would run them from their "
                               "reset state without a word):{}\n  likely cause: the source had fewer devices or "
                               "another machine version",
                               missing)};
    if (!run_) return Error{fmt::format("the stream has no {} section: not a complete lockstep snapshot", snapshot::kRunRecordIdstr)};
    if (!hashes_checked_)
      return Error{fmt::format("the stream has no {} section: not a complete lockstep snapshot", st::kPageHashesIdstr)};
    return Ok{};
  }

  // After commit: the state the destination holds must be the source's, section by section.
  Status check_digests() {
    const RunRecord& run = *run_;
    if (run.section_count != m_.sections().size())
      return Error{fmt::format("the source digested {} sections, this destination has {}", run.section_count,
                               m_.sections().size())};
    std::string lost;
    for (std::size_t i = 0; i < m_.sections().size(); ++i) {
      const MachineSection& sec = *m_.sections()[i];
      LS_TRY_ASSIGN(u64 d, m_.section_digest(sec));
      if (d != run.section_digests[i])
        lost += fmt::format("\n  '{}' instance {} (wire format v{})", sec.idstr(), sec.instance(), sec.wire_version());
    }
    // Only what the evidence shows: the digests say which sections differ, not whether the stream
    // lacks the state or this side's load path drops it.
    if (!lost.empty())
      return Error{fmt::format("state lost in migration: after loading, these sections differ from the source's "
                               "state at the cut:{}\n  likely cause: state the stream does not carry (a field this "
                               "machine version ({}) does not send, a subsection not sent) or a load path that does "
                               "not restore what it read; `lockstep snapshot diff` of the source's stream and a save "
                               "right after the load names the field",
                               lost, m_.version().name)};
    if (m_.icount() != run.icount)
      return Error{fmt::format("instruction count after load is {}, the source's was {}", m_.icount(), run.icount)};
    std::vector<std::vector<u64>> ram;
    for (const auto& b : m_.const_bus().ram_blocks()) ram.push_back(verified_hashes_[b->name]);
    const u64 digest = m_.digest(ram);
    if (digest != run.digest)
      return Error{fmt::format("state digest after load is {:016x}, the source's was {:016x}", digest, run.digest)};
    return Ok{};
  }

  VirtMachine& m_;
  st::ByteSource& in_;
  const LoadOptions& opts_;
  st::StreamReader r_;
  st::RamSectionReader ram_{kPageSize};
  std::vector<core::RamBlock*> block_map_;
  std::optional<RunRecord> run_;
  bool hashes_checked_ = false;
  std::map<const core::RamBlock*, std::vector<std::uint8_t>> residency_;
  std::map<std::string, std::vector<u64>> verified_hashes_;  // this side's page hashes, checked equal
};

}  // namespace

Status load_snapshot(VirtMachine& m, st::ByteSource& in, const LoadOptions& opts) {
  return Loader(m, in, opts).run();
}

Status load_snapshot_file(VirtMachine& m, const std::string& path) {
  LS_TRY_ASSIGN(bool compressed, st::is_zstd_file(path));
  if (compressed) {
    LS_TRY_ASSIGN(st::OpenedStream opened, st::open_stream_file(path));
    return load_snapshot(m, *opened.source);
  }
  // read(2), not a mapping: a file truncated under a running load is an error, not a SIGBUS.
  LS_TRY_ASSIGN(auto raw, st::ByteSource::open_file(path));
  // A plain file: read the source's vmdesc first, so errors can say what the source wrote.
  std::optional<Json> vmdesc;
  if (auto d = st::locate_vmdesc(*raw, 4u << 20); d) vmdesc = std::move(d.value());
  LoadOptions opts;
  if (vmdesc) opts.source_vmdesc = &*vmdesc;
  return load_snapshot(m, *raw, opts);
}

Json dump_vmstate(const VirtMachine& m) {
  Json out;
  out["vmschkmachine"] = Json{{"Name", std::string(m.version().name)}};
  for (const auto& sec : m.sections()) {
    if (out.contains(sec->type_name())) continue;  // one entry per type, as QEMU lists device classes
    out[sec->type_name()] = sec->dump_vmstate_entry();
  }
  return out;
}

Json describe_destination(const VirtMachine& m) {
  Json d;
  d["machine"] = std::string(m.version().name);
  d["page_size"] = kPageSize;
  Json blocks = Json::array();
  for (const auto& b : m.const_bus().ram_blocks()) blocks.push_back(Json{{"name", b->name}, {"length", b->size}});
  d["ram_blocks"] = std::move(blocks);
  Json sections = Json::array();
  Json sendable = Json::object();
  for (const auto& sec : m.sections()) {
    sections.push_back(Json{{"idstr", sec->idstr()}, {"instance_id", sec->instance()}, {"vmsd_name", sec->vmsd_name()}});
    if (!sendable.contains(sec->type_name())) sendable[sec->type_name()] = sec->sendable_subsections();
  }
  d["sections"] = std::move(sections);
  d["sendable_subsections"] = std::move(sendable);
  d["vmstate"] = dump_vmstate(m);
  return d;
}

}  // namespace lockstep::machines::virt
