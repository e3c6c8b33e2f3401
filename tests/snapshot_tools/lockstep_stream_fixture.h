#pragma once
// Writes lockstep-format streams for the tests (and for the 1 GiB measurement tool) until
// `lockstep run --save-at` exists: the hart as section "cpu", one RAM block, lockstep/page-hashes and
// lockstep/run, through StreamWriter and the vm descriptions, as the real saver will.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/hart.h"
#include "snapshot/descriptions/hart_vmstate.h"
#include "snapshot/descriptions/run_record.h"
#include "snapshot/stream/page_hashes.h"
#include "snapshot/stream/stream_writer.h"

namespace lockstep::test {

struct LockstepStreamSpec {
  std::string machine = "virt-2.0";
  std::string ram_block = "riscv_virt_board.ram";
  std::uint64_t ram_bytes = 1u << 20;
  // Pages with data (all others are written as zero pages): page index -> fills the page.
  std::function<bool(std::uint64_t page, std::uint8_t* data)> page_data;
  core::Hart hart;
  snapshot::RunRecord run;
  bool page_hashes = true;
};

inline Status write_lockstep_stream(const std::string& path, const LockstepStreamSpec& spec) {
  namespace st = snapshot::stream;
  constexpr std::uint64_t kPage = 4096;
  LS_TRY_ASSIGN(auto sink, st::ByteSink::create_file(path));
  st::StreamWriter w(*sink, kPage);
  LS_TRY(w.header());
  LS_TRY(w.configuration(spec.machine, 12));
  LS_TRY(w.ram_start(2, {{spec.ram_block, spec.ram_bytes}}));
  LS_TRY(w.ram_end_begin(2));
  st::PageHashTable table;
  table.page_size = kPage;
  table.blocks.push_back(st::HashedBlock{spec.ram_block, spec.ram_bytes, {}});
  std::vector<std::uint8_t> page(kPage);
  const std::vector<std::uint8_t> zero(kPage, 0);
  const std::uint64_t zero_hash = st::page_hash(zero);
  for (std::uint64_t p = 0; p < spec.ram_bytes / kPage; ++p) {
    if (spec.page_data && spec.page_data(p, page.data())) {
      LS_TRY(w.ram_page(spec.ram_block, p * kPage, page));
      table.blocks[0].hashes.push_back(st::page_hash(page));
    } else {
      LS_TRY(w.ram_zero_page(spec.ram_block, p * kPage));
      table.blocks[0].hashes.push_back(zero_hash);
    }
  }
  LS_TRY(w.ram_end_finish(2));
  namespace vm = snapshot::vm;
  LS_TRY_ASSIGN(auto cpu_body, vm::save_bytes(snapshot::kHartVmstate, spec.hart));
  LS_TRY(w.full_section(3, "cpu", 0, snapshot::kHartVmstate.version, cpu_body));
  st::Json devices = st::Json::array();
  LS_TRY_ASSIGN(auto cpu_desc, vm::vmdesc_entry(snapshot::kHartVmstate, spec.hart, "cpu", 0));
  devices.push_back(cpu_desc);
  if (spec.page_hashes) {
    LS_TRY(w.section_header(st::kFull, 4, st::kPageHashesIdstr, 0, st::kPageHashesVersion));
    LS_TRY(st::write_page_hashes(w.sink(), table));
    LS_TRY(w.section_footer(4));
    devices.push_back(st::page_hashes_vmdesc_entry(table));
  }
  const auto& run_desc = snapshot::run_record_vmstate();
  LS_TRY_ASSIGN(auto run_body, vm::save_bytes(run_desc, spec.run));
  LS_TRY(w.full_section(5, snapshot::kRunRecordIdstr, 0, run_desc.version, run_body));
  LS_TRY_ASSIGN(auto run_entry, vm::vmdesc_entry(run_desc, spec.run, snapshot::kRunRecordIdstr, 0));
  devices.push_back(run_entry);
  LS_TRY(w.eof());
  LS_TRY(w.vmdesc(st::Json{{"page_size", kPage}, {"devices", devices}}));
  return w.sink().flush();
}

}  // namespace lockstep::test
