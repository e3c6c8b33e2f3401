#include "replay/gdb/checkpoints.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <xxhash.h>

#include "core/code_cache.h"
#include "machines/virt/ram_pages.h"
#include "snapshot/wire.h"

namespace lockstep::replay::gdb {
namespace {

static_assert(CheckpointStore::kPageBytes == core::kPageSize);

bool all_zero(const std::uint8_t* p, std::size_t len) {
  if (len == CheckpointStore::kPageBytes) return machines::virt::is_zero_page(p);
  return std::all_of(p, p + len, [](std::uint8_t b) { return b == 0; });
}

std::size_t page_len(const core::RamBlock& b, std::uint64_t page) {
  return static_cast<std::size_t>(std::min<std::uint64_t>(CheckpointStore::kPageBytes, b.size - page * CheckpointStore::kPageBytes));
}

bool any_dirty(const core::RamBlock& b, std::uint64_t first, std::uint64_t count) {
  for (std::uint64_t p = first; p < first + count;) {
    if (p % 64 == 0 && p + 64 <= first + count) {
      if (b.dirty_bitmap[p / 64]) return true;
      p += 64;
      continue;
    }
    if (b.page_dirty(p)) return true;
    ++p;
  }
  return false;
}

}  // namespace

CheckpointStore::CheckpointStore(machines::virt::VirtMachine& vm, CheckpointOptions options)
    : vm_(vm), options_(options) {}

void CheckpointStore::flush_harts() {
  for (unsigned k = 0; k < vm_.hart_count(); ++k) core::flush_translations(vm_.hart(k));
}

CheckpointStore::PageRef CheckpointStore::intern(const std::uint8_t* page, std::size_t len) {
  if (all_zero(page, len)) return nullptr;
  PageData data{};
  std::memcpy(data.bytes.data(), page, len);
  const std::uint64_t hash = XXH3_64bits(data.bytes.data(), kPageBytes);
  auto& bucket = pool_[hash];
  for (const auto& weak : bucket)
    if (auto p = weak.lock(); p && p->bytes == data.bytes) return p;
  if (pool_entries_ > 2 * live_->pages + 1024) {
    // Forget pages no checkpoint holds any more (their memory went with their last user).
    pool_entries_ = 0;
    for (auto it = pool_.begin(); it != pool_.end();) {
      std::erase_if(it->second, [](const auto& w) { return w.expired(); });
      pool_entries_ += it->second.size();
      it = it->second.empty() && &it->second != &bucket ? pool_.erase(it) : std::next(it);
    }
  }
  // Not make_shared: a page's memory must go with its last user, while the pool's weak reference
  // (the control block) stays until the next sweep.
  ++live_->pages;
  PageRef p(new PageData(data), [live = live_](const PageData* d) {
    --live->pages;
    delete d;
  });
  bucket.push_back(p);
  ++pool_entries_;
  return p;
}

std::shared_ptr<const CheckpointStore::Chunk> CheckpointStore::new_chunk(const Chunk& from) {
  ++live_->chunks;
  return std::shared_ptr<const Chunk>(new Chunk(from), [live = live_](const Chunk* c) {
    --live->chunks;
    delete c;
  });
}

std::uint64_t CheckpointStore::bytes() const {
  // A page's control block and pool entry cost about 64 bytes more.
  return live_->pages * (kPageBytes + 64) + live_->chunks * sizeof(Chunk) + section_bytes_;
}

void CheckpointStore::sync_ram() {
  const auto& blocks = vm_.bus().ram_blocks();
  const bool first = base_.empty();
  if (first) base_.resize(blocks.size());
  for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
    core::RamBlock& b = *blocks[bi];
    const std::uint64_t pages = b.page_count();
    auto& table = base_[bi];
    if (first) {
      // Pages the host never touched are zero without reading them.
      const std::vector<std::uint8_t> resident = machines::virt::resident_pages(b);
      table.resize((pages + kChunkPages - 1) / kChunkPages);
      for (std::size_t ci = 0; ci < table.size(); ++ci) {
        Chunk chunk;
        for (std::uint64_t i = 0, p = ci * kChunkPages; i < kChunkPages && p < pages; ++i, ++p)
          if (resident.empty() || resident[p]) chunk.pages[i] = intern(b.host + p * kPageBytes, page_len(b, p));
        table[ci] = new_chunk(chunk);
      }
    } else {
      for (std::size_t ci = 0; ci < table.size(); ++ci) {
        const std::uint64_t first_page = ci * kChunkPages, count = std::min<std::uint64_t>(kChunkPages, pages - first_page);
        if (!any_dirty(b, first_page, count)) continue;
        std::optional<Chunk> copy;  // copy on write: older checkpoints keep the old table
        for (std::uint64_t i = 0; i < count; ++i) {
          const std::uint64_t p = first_page + i;
          if (!b.page_dirty(p)) continue;
          PageRef now = intern(b.host + p * kPageBytes, page_len(b, p));
          if (now == table[ci]->pages[i]) continue;
          if (!copy) copy.emplace(*table[ci]);
          copy->pages[i] = std::move(now);
        }
        if (copy) table[ci] = new_chunk(*copy);
      }
    }
    b.clear_all_dirty();
  }
  flush_harts();  // the dirty log's rule: after clearing bits, the next store to each page is seen
}

Result<std::unique_ptr<CheckpointStore::Checkpoint>> CheckpointStore::capture(InputHistory::Cursor cursor) {
  auto cp = std::make_unique<Checkpoint>();
  cp->icount = vm_.icount();
  for (unsigned k = 0; k < vm_.hart_count(); ++k) cp->hart_icounts.push_back(vm_.hart(k).icount);
  cp->input_position = vm_.input_position();
  cp->cursor = cursor;
  for (const auto& sec : vm_.sections()) {
    snapshot::Writer w;
    if (Status st = sec->save_full(w); !st)
      return Error{fmt::format("checkpoint: section '{}' {}: {}", sec->idstr(), sec->instance(), st.error().message)};
    cp->sections.push_back(w.bytes());
  }
  sync_ram();
  cp->ram = base_;
  if (options_.verify) cp->digest = vm_.digest();
  return cp;
}

Result<const CheckpointStore::Checkpoint*> CheckpointStore::take(InputHistory::Cursor cursor, bool replace) {
  const std::uint64_t icount = vm_.icount();
  auto at = std::lower_bound(ring_.begin(), ring_.end(), icount, [](const auto& c, std::uint64_t i) { return c->icount < i; });
  if (at != ring_.end() && (*at)->icount == icount) {
    if (!replace) return static_cast<const Checkpoint*>(at->get());
    LS_TRY_ASSIGN(auto cp, capture(cursor));
    for (const auto& sec : (*at)->sections) section_bytes_ -= sec.size();
    for (const auto& sec : cp->sections) section_bytes_ += sec.size();
    *at = std::move(cp);
    return static_cast<const Checkpoint*>(at->get());
  }
  LS_TRY_ASSIGN(auto cp, capture(cursor));
  const Checkpoint* raw = cp.get();
  for (const auto& sec : cp->sections) section_bytes_ += sec.size();
  ring_.insert(at, std::move(cp));
  thin();
  return raw;
}

Result<std::unique_ptr<CheckpointStore::Checkpoint>> CheckpointStore::copy(InputHistory::Cursor cursor) {
  return capture(cursor);
}

Status CheckpointStore::restore(const Checkpoint& cp) {
  const auto& blocks = vm_.bus().ram_blocks();
  core::CodeCache* code = vm_.hart(0).code;
  for (std::size_t bi = 0; bi < blocks.size(); ++bi) {
    core::RamBlock& b = *blocks[bi];
    const std::uint64_t pages = b.page_count();
    for (std::size_t ci = 0; ci < cp.ram[bi].size(); ++ci) {
      const Chunk& from = *base_[bi][ci];
      const Chunk& to = *cp.ram[bi][ci];
      const std::uint64_t first_page = ci * kChunkPages, count = std::min<std::uint64_t>(kChunkPages, pages - first_page);
      if (&from == &to && !any_dirty(b, first_page, count)) continue;
      for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t p = first_page + i;
        if (from.pages[i] == to.pages[i] && !b.page_dirty(p)) continue;
        std::uint8_t* dst = b.host + p * kPageBytes;
        const std::size_t len = page_len(b, p);
        const PageRef& src = to.pages[i];
        if (src ? std::memcmp(dst, src->bytes.data(), len) == 0 : all_zero(dst, len)) continue;
        if (src) {
          std::memcpy(dst, src->bytes.data(), len);
        } else {
          std::memset(dst, 0, len);
        }
        // Decoded instructions from the old bytes must go (the JIT's too, through block_dropped).
        if (code) code->invalidate_range(b.base + p * kPageBytes, len);
      }
    }
    b.clear_all_dirty();
  }
  base_ = cp.ram;
  const auto& sections = vm_.sections();
  for (std::size_t i = 0; i < sections.size(); ++i) {
    snapshot::Reader r(cp.sections[i]);
    if (Status st = sections[i]->stage(r, sections[i]->version()); !st) {
      for (const auto& s : sections) s->discard();
      return Error{fmt::format("checkpoint restore: section '{}' {}: {}", sections[i]->idstr(),
                               sections[i]->instance(), st.error().message)};
    }
  }
  for (const auto& s : sections) s->commit();
  flush_harts();
  vm_.resync_clock();
  vm_.restore_input_position(cp.input_position);
  if (options_.verify && cp.digest && vm_.digest() != cp.digest)
    return Error{fmt::format("checkpoint restore at icount {}: the machine's digest differs from the checkpoint's",
                             cp.icount)};
  return Ok{};
}

const CheckpointStore::Checkpoint* CheckpointStore::latest_at_or_before(std::uint64_t icount) const {
  auto it = std::upper_bound(ring_.begin(), ring_.end(), icount, [](std::uint64_t i, const auto& c) { return i < c->icount; });
  return it == ring_.begin() ? nullptr : std::prev(it)->get();
}

const CheckpointStore::Checkpoint* CheckpointStore::latest_before_hart(unsigned hart, std::uint64_t hart_icount) const {
  for (auto it = ring_.rbegin(); it != ring_.rend(); ++it)
    if (hart < (*it)->hart_icounts.size() && (*it)->hart_icounts[hart] < hart_icount) return it->get();
  return nullptr;
}

void CheckpointStore::drop_after(std::uint64_t icount) {
  auto it = std::upper_bound(ring_.begin(), ring_.end(), icount, [](std::uint64_t i, const auto& c) { return i < c->icount; });
  while (ring_.end() != it) {
    for (const auto& sec : ring_.back()->sections) section_bytes_ -= sec.size();
    ring_.pop_back();
  }
}

CheckpointStore::Stats CheckpointStore::stats() const {
  Stats s;
  s.checkpoints = ring_.size();
  s.pages = live_->pages;
  s.bytes = bytes();
  if (!ring_.empty()) {
    s.first_icount = ring_.front()->icount;
    s.last_icount = ring_.back()->icount;
  }
  return s;
}

void CheckpointStore::thin() {
  while (ring_.size() > 2 && bytes() > options_.memory_cap) {
    std::size_t victim = 1;
    std::uint64_t best = ~std::uint64_t{0};
    for (std::size_t i = 1; i + 1 < ring_.size(); ++i) {
      const std::uint64_t gap = ring_[i + 1]->icount - ring_[i - 1]->icount;
      if (gap < best) {
        best = gap;
        victim = i;
      }
    }
    for (const auto& sec : ring_[victim]->sections) section_bytes_ -= sec.size();
    ring_.erase(ring_.begin() + static_cast<std::ptrdiff_t>(victim));
  }
}

}  // namespace lockstep::replay::gdb
