#pragma once
// Page-level views of guest RAM for snapshots and digests: which pages the host never touched (so
// are zero without reading them), zero tests, and per-page XXH3 hashes.
#include <cstdint>
#include <vector>

#include "core/address_space.h"

namespace lockstep::machines::virt {

inline constexpr std::uint64_t kSnapshotPageSize = 4096;

// resident[i] == 0: page i of the block was never touched since the mapping was created, so it
// reads as zero. Empty when that cannot be known (mincore failed, or swap is configured: a page
// swapped out is not resident yet not zero). Reading an untouched page costs a page fault each;
// this lets savers, loaders and digests skip three quarters of a mostly empty 1 GiB guest for free.
std::vector<std::uint8_t> resident_pages(const core::RamBlock& b);

bool is_zero_page(const std::uint8_t* p);
// XXH3-64 of one page of zeros (what every untouched page hashes to).
std::uint64_t zero_page_hash();

// XXH3-64 of every page of the block (a short last page hashes its used bytes).
std::vector<std::uint64_t> page_hashes(const core::RamBlock& b);

}  // namespace lockstep::machines::virt
