#pragma once
// In-memory checkpoints of a running VirtMachine: what makes reverse execution cheap. A reverse
// step goes back to the latest checkpoint before the target and re-runs forward to it exactly.
//
// Storage. A checkpoint holds every machine section's bytes (harts, devices, board: the same
// save_full bytes the digest hashes, a few KiB) and a RAM image: per RAM block a table of chunks,
// each naming 512 pages. Pages are immutable and content-addressed (XXH3-64, then compared byte
// for byte), so a page that did not change, or that holds the same bytes as another, is stored
// once; chunks are copy-on-write, so a checkpoint costs one chunk table per chunk it changed.
// Which pages changed since the last checkpoint comes from the RAM dirty log
// (RamBlock::dirty_bitmap), which the store owns while the debugger runs: it clears the bits at
// each checkpoint and restore (and flushes the harts' translations, as that log requires).
//
// Restore writes back only the pages that differ from what RAM holds (pages dirty since the last
// sync, or different between the synced image and the target), drops the decoded code on each
// page it writes, loads every section (stage + commit, as a snapshot load does) and flushes the
// harts' translations.
//
// Memory cap: beyond it the store thins the ring, removing the checkpoint whose removal leaves
// the smallest gap, never the first (the start of history) nor the newest.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "machines/virt/virt_machine.h"
#include "replay/gdb/input_history.h"

namespace lockstep::replay::gdb {

struct CheckpointOptions {
  // Instructions between checkpoints while the guest runs ahead of its history: the most a
  // reverse step re-runs (2^22: ~30 ms at the interpreter's ~130 MIPS).
  std::uint64_t interval = std::uint64_t{1} << 22;
  // Checkpoint storage (pages, chunk tables, device state) before old checkpoints are thinned.
  std::uint64_t memory_cap = std::uint64_t{1} << 30;
  // A landing (reverse step, goto) further than this from its checkpoint leaves a checkpoint
  // near it, so that the next reverse step re-runs little.
  std::uint64_t landing_gap = std::uint64_t{1} << 16;
  // Compare the machine's digest after every restore with the one at the checkpoint (tests).
  bool verify = false;
};

class CheckpointStore {
 public:
  static constexpr std::size_t kPageBytes = 4096;
  static constexpr std::size_t kChunkPages = 512;
  struct PageData {
    std::array<std::uint8_t, kPageBytes> bytes;
  };
  using PageRef = std::shared_ptr<const PageData>;  // nullptr: a zero page
  struct Chunk {
    std::array<PageRef, kChunkPages> pages;
  };
  using RamImage = std::vector<std::vector<std::shared_ptr<const Chunk>>>;  // block, chunk

  struct Checkpoint {
    std::uint64_t icount = 0;
    std::vector<std::uint64_t> hart_icounts;
    std::uint64_t input_position = 0;
    InputHistory::Cursor cursor;
    std::vector<std::vector<std::uint8_t>> sections;  // save_full bytes, in vm.sections() order
    RamImage ram;
    std::uint64_t digest = 0;  // with CheckpointOptions::verify
  };

  struct Stats {
    std::size_t checkpoints = 0;
    std::uint64_t pages = 0;  // distinct stored pages
    std::uint64_t bytes = 0;  // pages + chunk tables + section bytes
    std::uint64_t first_icount = 0, last_icount = 0;
  };

  CheckpointStore(machines::virt::VirtMachine& vm, CheckpointOptions options);

  const CheckpointOptions& options() const { return options_; }
  // Takes a checkpoint of the machine as it is and keeps it in the ring. One already at this icount
  // is kept instead, unless `replace` (the debugger changed the machine: the old one is another
  // history). `cursor`: the input history's pass count (restored with the checkpoint).
  Result<const Checkpoint*> take(InputHistory::Cursor cursor, bool replace = false);
  // The same, held by the caller and not counted in the ring (an exact copy to come back to).
  Result<std::unique_ptr<Checkpoint>> copy(InputHistory::Cursor cursor);
  Status restore(const Checkpoint& cp);

  const Checkpoint* latest_at_or_before(std::uint64_t icount) const;
  // The latest checkpoint where hart `hart` had retired fewer than `hart_icount` instructions.
  const Checkpoint* latest_before_hart(unsigned hart, std::uint64_t hart_icount) const;
  const Checkpoint* first() const { return ring_.empty() ? nullptr : ring_.front().get(); }
  // Removes the checkpoints after `icount` (the debugger changed the guest there).
  void drop_after(std::uint64_t icount);
  Stats stats() const;

 private:
  Result<std::unique_ptr<Checkpoint>> capture(InputHistory::Cursor cursor);
  // Brings base_ up to date with RAM (the dirty pages since the last sync) and clears the log.
  void sync_ram();
  PageRef intern(const std::uint8_t* page, std::size_t len);
  std::shared_ptr<const Chunk> new_chunk(const Chunk& from);
  std::uint64_t bytes() const;
  void thin();
  void flush_harts();

  machines::virt::VirtMachine& vm_;
  CheckpointOptions options_;
  // Pages and chunks alive, counted by their deleters (which may run after the store is gone:
  // a copy() outlives it).
  struct Live {
    std::uint64_t pages = 0, chunks = 0;
  };
  std::shared_ptr<Live> live_ = std::make_shared<Live>();
  std::uint64_t section_bytes_ = 0;  // of the checkpoints in the ring
  // XXH3-64 of a page's bytes -> the stored pages with that hash; expired entries are swept when
  // they outnumber the live pages.
  std::unordered_map<std::uint64_t, std::vector<std::weak_ptr<const PageData>>> pool_;
  std::size_t pool_entries_ = 0;
  RamImage base_;  // what RAM held at the last take or restore (plus the dirty pages since)
  std::vector<std::unique_ptr<Checkpoint>> ring_;  // by icount
};

}  // namespace lockstep::replay::gdb
