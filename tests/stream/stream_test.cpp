// Tests of snapshot/stream on streams written at test time by Debian's QEMU 7.2 and by StreamWriter.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "snapshot/stream/ram_section.h"
#include "snapshot/stream/stream_reader.h"
#include "snapshot/stream/stream_writer.h"
#include "snapshot/stream/page_hashes.h"
#include "snapshot/stream/vmdesc_walker.h"
#include "tests/qemu_stream.h"
#include "tests/test_files.h"

using namespace lockstep;
using namespace lockstep::snapshot::stream;

namespace {

std::string work_path(const std::string& name) {
  return fmt::format("{}/{}-{}", LOCKSTEP_STREAM_WORK, ::getpid(), name);
}

bool have(const char* path) { return path[0] != '\0' && ::access(path, X_OK) == 0; }

using lockstep::testing::slurp;
using lockstep::testing::spit;

// Runs QEMU paused (-S) with the HMP monitor on stdin: migrate to a file, then quit.
// Paused (-S): the state right after reset.
std::string qemu_stream(const std::string& qemu, const std::string& args, const std::string& name) {
  return testing::write_qemu_stream(qemu, args + " -S", work_path(name));
}

std::string riscv_stream(const std::string& name) {
  return qemu_stream(LOCKSTEP_QEMU_RISCV64,
                     fmt::format("-M virt -m 64M -bios none -kernel {} -serial none", LOCKSTEP_HELLO_ELF), name);
}

struct Expected {
  std::string machine;
  std::vector<std::pair<std::string, std::uint64_t>> blocks;
  std::string loaded_block;  // a block with data pages
};

void check_qemu_stream(const std::string& path, const Expected& e) {
  std::map<std::string, std::vector<std::uint8_t>> fields;
  WalkOptions opts;
  opts.on_field = [&](const SectionHeader& s, const std::string& p, const Json&,
                      std::span<const std::uint8_t> b) -> Status {
    fields[fmt::format("{}#{}:{}", s.idstr, s.instance_id, p)] = std::vector<std::uint8_t>(b.begin(), b.end());
    return Ok{};
  };
  std::uint64_t pages_seen = 0;
  opts.on_page = [&](const RamPage&) -> Status {
    ++pages_seen;
    return Ok{};
  };
  auto r = walk_stream(path, opts);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  const WalkResult& w = r.value();
  CHECK(w.header.version == 3);
  CHECK(w.header.has_configuration);
  CHECK(w.header.machine == e.machine);
  CHECK(w.page_size == 4096);
  CHECK(w.vmdesc["page_size"] == 4096);
  // RAM blocks, names and lengths, in QEMU's order.
  REQUIRE(w.ram_blocks.size() == e.blocks.size());
  std::uint64_t counted = 0;
  for (std::size_t i = 0; i < e.blocks.size(); ++i) {
    const RamBlock& b = w.ram_blocks[i];
    CHECK(b.idstr == e.blocks[i].first);
    CHECK(b.used_length == e.blocks[i].second);
    // The first (bulk) pass sends every page once, as ZERO or PAGE.
    CHECK(b.zero_pages + b.data_pages == b.used_length / 4096);
    counted += b.zero_pages + b.data_pages;
    if (b.idstr == e.loaded_block) CHECK(b.data_pages > 0);
  }
  CHECK(pages_seen == counted);
  // Every device of the vmdesc walked to its footer, each exactly once; RAM sections present.
  std::set<std::pair<std::string, std::uint64_t>> in_desc, walked;
  for (const auto& d : w.vmdesc["devices"]) in_desc.insert({d["name"].get<std::string>(), d["instance_id"].get<std::uint64_t>()});
  int ram_sections = 0;
  for (const auto& s : w.sections) {
    if (s.header.idstr == "ram") {
      ++ram_sections;
      continue;
    }
    CHECK(s.header.type == kFull);
    CHECK(walked.insert({s.header.idstr, s.header.instance_id}).second);
  }
  CHECK(ram_sections >= 2);  // START + END (+ PARTs)
  CHECK(w.sections.front().header.idstr == "ram");
  CHECK(w.sections.front().header.type == kStart);
  CHECK(walked == in_desc);
  // EOF reached, then the vmdesc, then the end of the file.
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(w.end_offset == static_cast<std::uint64_t>(st.st_size));
  CHECK(w.eof_offset < w.end_offset);
  CHECK(fields.size() > 10);
  // The vmdesc in QEMU's JSON layout is reproduced byte for byte.
  auto src = ByteSource::open_file(path);
  REQUIRE(src.ok());
  std::string text(w.end_offset - w.eof_offset - 6, '\0');
  REQUIRE(src.value()->pread_exact(w.eof_offset + 6, text.data(), text.size()).ok());
  CHECK(to_qemu_json(w.vmdesc) == text);
}

// A minimal walk over the event API with a known vmdesc, for damaged copies (no tail search).
Status event_walk(const std::string& path, const Json& vmdesc) {
  LS_TRY_ASSIGN(auto src, ByteSource::open_file(path));
  StreamReader r(*src);
  LS_TRY_ASSIGN(StreamHeader h, r.read_header());
  RamSectionReader ram(4096);
  for (;;) {
    LS_TRY_ASSIGN(Record rec, r.next());
    if (rec.kind == Record::kEof) break;
    if (rec.kind != Record::kSection) continue;
    if (rec.section.idstr == "ram") {
      LS_TRY(ram.read_body(r, rec.section));
    } else {
      const Json* d = nullptr;
      for (const auto& dev : vmdesc["devices"])
        if (dev["name"] == rec.section.idstr && dev["instance_id"] == rec.section.instance_id) d = &dev;
      if (!d) return Error{"unknown device " + rec.section.idstr};
      if (d->contains("fields")) {
        LS_TRY(walk_device_body(r, rec.section, *d));
      } else {
        // old-style device: take its length from the intact original
        return Error{"old-style"};
      }
    }
    LS_TRY(r.end_section());
  }
  LS_TRY_ASSIGN(Json j, r.read_vmdesc());
  (void)j;
  return Ok{};
}

}  // namespace

TEST_CASE("qemu_riscv") {
  if (!have(LOCKSTEP_QEMU_RISCV64)) {
    MESSAGE("qemu-system-riscv64 not installed: skipped");
    return;
  }
  std::string path = riscv_stream("riscv.mig");
  check_qemu_stream(path, Expected{"virt",
                                   {{"riscv_virt_board.ram", 64u << 20},
                                    {"virt.flash0", 32u << 20},
                                    {"virt.flash1", 32u << 20},
                                    {"riscv_virt_board.mrom", 0xf000}},
                                   "riscv_virt_board.ram"});
  // Hand-decoded: the UART's divider field is present (2 bytes) in the serial section.
  auto r = walk_stream(path);
  REQUIRE(r.ok());
  bool serial = false;
  for (const auto& s : r.value().sections)
    if (s.header.idstr == "serial") {
      serial = true;
      CHECK(s.header.version_id == 3);
      CHECK(s.body_size == 11);
    }
  CHECK(serial);
  std::remove(path.c_str());
}

TEST_CASE("qemu_x86") {
  if (!have(LOCKSTEP_QEMU_X86_64)) {
    MESSAGE("qemu-system-x86_64 not installed (Debian package qemu-system-x86): skipped");
    return;
  }
  std::string path = qemu_stream(LOCKSTEP_QEMU_X86_64, "-M pc -m 32M", "x86.mig");
  auto r = walk_stream(path);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r.value().header.machine == "pc-i440fx-7.2");
  REQUIRE(!r.value().ram_blocks.empty());
  CHECK(r.value().ram_blocks[0].idstr == "pc.ram");
  CHECK(r.value().ram_blocks[0].used_length == (32u << 20));
  std::vector<std::pair<std::string, std::uint64_t>> blocks;
  for (const auto& b : r.value().ram_blocks) blocks.push_back({b.idstr, b.used_length});
  check_qemu_stream(path, Expected{"pc-i440fx-7.2", blocks, "pc.bios"});
  std::remove(path.c_str());
}

TEST_CASE("writer_roundtrip") {
  std::string path = work_path("writer.mig");
  std::vector<std::uint8_t> page(4096);
  for (std::size_t i = 0; i < page.size(); ++i) page[i] = static_cast<std::uint8_t>(i * 7 + 1);
  std::vector<std::uint8_t> body = {0x00, 0x0c, 0x11, 0x22};  // "dev": u16 a, u8 b, u8 c
  Json desc = {{"page_size", 4096},
                         {"devices",
                          {{{"name", "dev"},
                            {"instance_id", 0},
                            {"vmsd_name", "dev"},
                            {"version", 2},
                            {"fields",
                             {{{"name", "a"}, {"type", "uint16"}, {"size", 2}},
                              {{"name", "b"}, {"type", "uint8"}, {"size", 1}, {"array_len", 2}}}}}}}};
  {
    auto sink = ByteSink::create_file(path);
    REQUIRE(sink.ok());
    StreamWriter w(*sink.value());
    REQUIRE(w.header().ok());
    REQUIRE(w.configuration("virt-2.0", 12).ok());
    REQUIRE(w.ram_start(2, {{"lockstep.ram", 4 * 4096}, {"lockstep.rom", 4096}}).ok());
    REQUIRE(w.ram_end_begin(2).ok());
    REQUIRE(w.ram_page("lockstep.ram", 0, page).ok());
    REQUIRE(w.ram_zero_page("lockstep.ram", 4096).ok());
    REQUIRE(w.ram_zero_page("lockstep.ram", 2 * 4096).ok());
    REQUIRE(w.ram_page("lockstep.rom", 0, page).ok());
    REQUIRE(w.ram_page("lockstep.ram", 3 * 4096, page).ok());
    REQUIRE(w.ram_end_finish(2).ok());
    REQUIRE(w.full_section(7, "dev", 0, 2, body).ok());
    REQUIRE(w.eof().ok());
    REQUIRE(w.vmdesc(desc).ok());
    REQUIRE(w.sink().flush().ok());
  }
  std::vector<std::string> seen;
  WalkOptions opts;
  opts.on_page = [&](const RamPage& p) -> Status {
    seen.push_back(fmt::format("{}@{:x}:{}", p.block.idstr, p.offset, p.zero ? "z" : "d"));
    if (!p.zero) CHECK(std::equal(p.data.begin(), p.data.end(), page.begin()));
    return Ok{};
  };
  std::vector<std::string> fields;
  opts.on_field = [&](const SectionHeader&, const std::string& f, const Json&,
                      std::span<const std::uint8_t> b) -> Status {
    fields.push_back(fmt::format("{}={:02x}", f, fmt::join(b, "")));
    return Ok{};
  };
  auto r = walk_stream(path, opts);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r.value().header.machine == "virt-2.0");
  CHECK(r.value().header.target_page_bits == 12u);
  CHECK(seen == std::vector<std::string>{"lockstep.ram@0:d", "lockstep.ram@1000:z", "lockstep.ram@2000:z",
                                         "lockstep.rom@0:d", "lockstep.ram@3000:d"});
  CHECK(fields == std::vector<std::string>{"a=000c", "b[0]=11", "b[1]=22"});
  REQUIRE(r.value().ram_blocks.size() == 2);
  CHECK(r.value().ram_blocks[0].data_pages == 2);
  CHECK(r.value().ram_blocks[0].zero_pages == 2);
  CHECK(r.value().sections.size() == 3);
  CHECK(r.value().vmdesc == desc);
  std::remove(path.c_str());
}

// Reads a QEMU stream with the event API and writes it again with StreamWriter: the bytes must match.
TEST_CASE("qemu_rewrite_byte_exact") {
  if (!have(LOCKSTEP_QEMU_RISCV64)) {
    MESSAGE("qemu-system-riscv64 not installed: skipped");
    return;
  }
  std::string in_path = riscv_stream("rewrite-in.mig");
  std::string out_path = work_path("rewrite-out.mig");
  auto walked = walk_stream(in_path);
  REQUIRE(walked.ok());
  std::map<std::uint64_t, const SectionInfo*> by_offset;
  for (const auto& s : walked.value().sections) by_offset[s.header.offset] = &s;
  auto in = ByteSource::open_file(in_path);
  REQUIRE(in.ok());
  auto raw = ByteSource::open_file(in_path);  // second handle for the raw device bodies
  REQUIRE(raw.ok());
  {
    auto sink = ByteSink::create_file(out_path);
    REQUIRE(sink.ok());
    StreamWriter w(*sink.value());
    StreamReader r(*in.value());
    auto h = r.read_header();
    REQUIRE(h.ok());
    REQUIRE(w.header().ok());
    REQUIRE(w.configuration(h.value().machine, h.value().target_page_bits).ok());
    RamSectionReader ram(4096);
    for (;;) {
      auto rec = r.next();
      REQUIRE_MESSAGE(rec.ok(), (rec.ok() ? "" : rec.error().message));
      if (rec.value().kind == Record::kEof) break;
      REQUIRE(rec.value().kind == Record::kSection);
      const SectionHeader& s = rec.value().section;
      if (s.idstr == "ram" && s.type == kStart) {
        REQUIRE(ram.read_body(r, s).ok());
        std::vector<RamBlockSpec> specs;
        for (const auto& b : ram.blocks()) specs.push_back({b.idstr, b.used_length});
        REQUIRE(w.ram_start(s.section_id, specs).ok());
      } else if (s.idstr == "ram") {
        REQUIRE(w.section_header(s.type, s.section_id, s.idstr, s.instance_id, s.version_id).ok());
        auto st = ram.read_body(r, s, [&](const RamPage& p) -> Status {
          return p.zero ? w.ram_zero_page(p.block.idstr, p.offset, p.fill) : w.ram_page(p.block.idstr, p.offset, p.data);
        });
        REQUIRE(st.ok());
        REQUIRE(w.ram_section_finish(s.section_id).ok());
      } else {
        const SectionInfo* info = by_offset.at(s.offset);
        std::vector<std::uint8_t> body(info->body_size);
        REQUIRE(raw.value()->pread_exact(s.body_offset, body.data(), body.size()).ok());
        REQUIRE(r.body().skip(body.size()).ok());
        REQUIRE(w.full_section(s.section_id, s.idstr, s.instance_id, s.version_id, body).ok());
      }
      REQUIRE(r.end_section().ok());
    }
    auto desc = r.read_vmdesc();
    REQUIRE(desc.ok());
    REQUIRE(w.eof().ok());
    REQUIRE(w.vmdesc(desc.value()).ok());
    REQUIRE(w.sink().flush().ok());
  }
  auto a = slurp(in_path), b = slurp(out_path);
  CHECK(a.size() == b.size());
  std::size_t first_diff = 0;
  while (first_diff < std::min(a.size(), b.size()) && a[first_diff] == b[first_diff]) ++first_diff;
  CHECK_MESSAGE(a == b, "first difference at offset " << first_diff);
  std::remove(in_path.c_str());
  std::remove(out_path.c_str());
}

TEST_CASE("damaged") {
  if (!have(LOCKSTEP_QEMU_RISCV64)) {
    MESSAGE("qemu-system-riscv64 not installed: skipped");
    return;
  }
  std::string path = riscv_stream("damaged-src.mig");
  const auto orig = slurp(path);
  auto good = walk_stream(path);
  REQUIRE(good.ok());
  const WalkResult& w = good.value();
  const std::string bad = work_path("damaged.mig");

  auto walk_err = [&](const std::vector<std::uint8_t>& d) {
    spit(bad, d);
    auto r = walk_stream(bad);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  auto event_err = [&](const std::vector<std::uint8_t>& d) -> std::string {
    spit(bad, d);
    auto st = event_walk(bad, w.vmdesc);
    return st.ok() ? std::string("OK") : st.error().message;
  };

  SUBCASE("truncated") {
    // Offsets: every byte of the header/config/RAM setup, many spread through, every byte near the end.
    std::set<std::size_t> cuts;
    for (std::size_t i = 0; i < 400 && i < orig.size(); ++i) cuts.insert(i);
    for (std::size_t i = 400; i < orig.size(); i += orig.size() / 300 + 1) cuts.insert(i);
    for (const auto& s : w.sections) {
      cuts.insert(s.header.offset);
      cuts.insert(s.header.offset + 1);
      cuts.insert(s.header.body_offset);
      cuts.insert(s.header.body_offset + s.body_size);
      cuts.insert(s.header.body_offset + s.body_size + 3);
    }
    for (std::size_t i = w.eof_offset - 10; i < w.eof_offset + 200; ++i) cuts.insert(i);
    for (std::size_t i = orig.size() - 64; i < orig.size(); ++i) cuts.insert(i);
    int checked = 0;
    for (std::size_t cut : cuts) {
      if (cut >= orig.size()) continue;
      std::vector<std::uint8_t> d(orig.begin(), orig.begin() + static_cast<std::ptrdiff_t>(cut));
      INFO("cut at " << cut);
      // The tail search fails: the vmdesc is gone (or, cut right after EOF, absent).
      std::string m = walk_err(d);
      if (cut < 4) CHECK(m.find("Not a migration stream") != std::string::npos);
      else if (cut <= w.header.end_offset)
        CHECK_MESSAGE(m.find(fmt::format("truncated stream at offset {}", cut)) != std::string::npos, m);
      else
        CHECK_MESSAGE(m.find("no VM description found") != std::string::npos, m);
      // The event reader names the exact offset where the bytes ran out.
      std::string e = event_err(d);
      if (cut < 4) {
        CHECK(e.find("Not a migration stream") != std::string::npos);
      } else if (cut == w.eof_offset + 1) {
        CHECK(e == "OK");  // a stream may end right after EOF (no vmdesc)
      } else {
        CHECK_MESSAGE(e.find(fmt::format("truncated stream at offset {}", cut)) != std::string::npos, e);
      }
      ++checked;
    }
    CHECK(checked > 500);
  }
  SUBCASE("magic") {
    auto d = orig;
    d[1] ^= 0x20;
    CHECK(walk_err(d).find("Not a migration stream") != std::string::npos);
    CHECK(event_err(d).find("Not a migration stream") != std::string::npos);
  }
  SUBCASE("version") {
    auto d = orig;
    d[7] = 4;
    CHECK(walk_err(d).find("Unsupported migration stream file version 4") != std::string::npos);
    d[7] = 2;
    CHECK(walk_err(d).find("version 2") != std::string::npos);
  }
  SUBCASE("footer") {
    for (const auto& s : w.sections) {
      if (s.header.idstr == "ram") continue;
      auto d = orig;
      d[s.header.body_offset + s.body_size] ^= 0xff;
      INFO("section " << s.header.idstr);
      std::string m = walk_err(d);
      std::string want = "Missing section footer for " + s.header.idstr;
      if (!s.layout_from_vmdesc) want = "no footer within";
      CHECK_MESSAGE(m.find(want) != std::string::npos, m);
      if (s.layout_from_vmdesc) CHECK(event_err(d).find("Missing section footer for " + s.header.idstr) != std::string::npos);
      // a wrong id in the footer
      d = orig;
      d[s.header.body_offset + s.body_size + 4] ^= 0x40;
      m = walk_err(d);
      if (s.layout_from_vmdesc) CHECK_MESSAGE(m.find("Mismatched section id in footer for " + s.header.idstr) != std::string::npos, m);
    }
    // The RAM END section's footer.
    const SectionInfo* last_ram = nullptr;
    for (const auto& s : w.sections)
      if (s.header.idstr == "ram") last_ram = &s;
    REQUIRE(last_ram);
    auto d = orig;
    d[last_ram->header.body_offset + last_ram->body_size] = 0x00;
    CHECK(walk_err(d).find("Missing section footer for ram") != std::string::npos);
  }
  SUBCASE("vmdesc_length") {
    for (std::uint32_t len : {0xfffffff0u, 0x00ffffffu, 0u, 1u}) {
      auto d = orig;
      std::size_t p = w.eof_offset + 1;
      REQUIRE(d[p] == kVmDescription);
      d[p + 1] = static_cast<std::uint8_t>(len >> 24);
      d[p + 2] = static_cast<std::uint8_t>(len >> 16);
      d[p + 3] = static_cast<std::uint8_t>(len >> 8);
      d[p + 4] = static_cast<std::uint8_t>(len);
      INFO("length " << len);
      CHECK(walk_err(d).find("no VM description found") != std::string::npos);
      std::string e = event_err(d);
      if (len == 0xfffffff0u) CHECK_MESSAGE(e.find("over the limit") != std::string::npos, e);
      else if (len == 0x00ffffffu) CHECK_MESSAGE(e.find("truncated stream at offset") != std::string::npos, e);
      else CHECK_MESSAGE((e.find("does not parse") != std::string::npos || e.find("bytes after") != std::string::npos), e);
    }
  }
  SUBCASE("garbage_everywhere") {
    // Flip one byte at many positions: any result but a crash or hang; errors have text.
    for (std::size_t i = 0; i < orig.size(); i += orig.size() / 200 + 1) {
      auto d = orig;
      d[i] ^= 0xa5;
      spit(bad, d);
      auto r = walk_stream(bad);
      if (!r.ok()) CHECK(!r.error().message.empty());
      auto e = event_walk(bad, w.vmdesc);
      if (!e.ok()) CHECK(!e.error().message.empty());
    }
  }
  std::remove(bad.c_str());
  std::remove(path.c_str());
}


TEST_CASE("page_hashes") {
  PageHashTable t;
  t.page_size = 4096;
  std::vector<std::uint8_t> page(4096, 0);
  HashedBlock a{"riscv_virt_board.ram", 3 * 4096 + 100, {}};
  for (int i = 0; i < 4; ++i) {
    page[7] = static_cast<std::uint8_t>(i);
    a.hashes.push_back(page_hash(page));
  }
  t.blocks.push_back(a);
  t.blocks.push_back(HashedBlock{"riscv_virt_board.mrom", 4096, {page_hash(std::vector<std::uint8_t>(4096, 0))}});
  CHECK(page_count(a.used_length, 4096) == 4);
  CHECK(a.hashes[0] != a.hashes[1]);

  const std::string path = work_path("page-hashes.bin");
  {
    auto sink = ByteSink::create_file(path);
    REQUIRE(sink.ok());
    REQUIRE(write_page_hashes(*sink.value(), t).ok());
    REQUIRE(sink.value()->flush().ok());
  }
  auto bytes = slurp(path);
  CHECK(bytes.size() == page_hashes_body_size(t));
  CHECK(page_hashes_vmdesc_entry(t)["fields"][0]["size"] == bytes.size());
  {
    auto src = ByteSource::open_file(path);
    REQUIRE(src.ok());
    auto back = read_page_hash_table(*src.value());
    REQUIRE(back.ok());
    REQUIRE(back.value().blocks.size() == 2);
    CHECK(back.value().blocks[0].idstr == "riscv_virt_board.ram");
    CHECK(back.value().blocks[0].hashes == a.hashes);
    CHECK(back.value().find("riscv_virt_board.mrom") != nullptr);
    CHECK(back.value().find("nope") == nullptr);
  }
  // Every truncation is an error, never a crash or an allocation from a length.
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    spit(path, std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)));
    auto src = ByteSource::open_file(path);
    REQUIRE(src.ok());
    CHECK_FALSE(read_page_hash_table(*src.value()).ok());
  }
  // Hostile headers.
  auto hostile = bytes;
  hostile[0] = 0, hostile[1] = 0, hostile[2] = 0x10, hostile[3] = 1;  // page size 0x1001
  spit(path, hostile);
  {
    auto src = ByteSource::open_file(path);
    auto r = read_page_hash_table(*src.value());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("page size") != std::string::npos);
  }
  hostile = bytes;
  hostile[4] = 0xff;  // block count 0xff000002
  spit(path, hostile);
  {
    auto src = ByteSource::open_file(path);
    auto r = read_page_hash_table(*src.value());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("limit") != std::string::npos);
  }
  std::remove(path.c_str());
}

// Zero pages go out as runs (StreamWriter::ram_zero_pages) and come back as runs when the reader is
// asked to merge them: the pages, fills and counts must be exactly those of one record at a time.
TEST_CASE("zero_page_runs") {
  std::vector<std::uint8_t> page(4096, 0x3c);
  std::vector<std::uint8_t> bytes;
  {
    ByteSink sink(&bytes);
    StreamWriter w(sink);
    REQUIRE(w.header().ok());
    REQUIRE(w.ram_start(2, {{"ram", 1300 * 4096}, {"rom", 2 * 4096}}).ok());
    REQUIRE(w.ram_end_begin(2).ok());
    REQUIRE(w.ram_zero_pages("ram", 0, 600).ok());
    REQUIRE(w.ram_page("ram", 600 * 4096, page).ok());
    REQUIRE(w.ram_zero_page("ram", 601 * 4096, 7).ok());
    REQUIRE(w.ram_zero_page("ram", 602 * 4096, 7).ok());
    REQUIRE(w.ram_zero_pages("ram", 603 * 4096, 697).ok());
    REQUIRE(w.ram_zero_pages("rom", 0, 2).ok());
    REQUIRE(w.ram_zero_pages("ram", 0, 0).ok());  // an empty run writes nothing
    REQUIRE(w.ram_end_finish(2).ok());
    REQUIRE(sink.flush().ok());
  }
  auto read = [&](bool merge, std::vector<std::string>& pages, int& calls) {
    auto src = ByteSource::from_memory(bytes);
    StreamReader r(*src);
    REQUIRE(r.read_header().ok());
    RamSectionReader ram(4096);
    ram.merge_zero_runs(merge);
    for (int i = 0; i < 2; ++i) {
      auto rec = r.next();
      REQUIRE(rec.ok());
      REQUIRE(ram.read_body(r, rec.value().section, [&](const RamPage& p) -> Status {
                   ++calls;
                   for (std::uint64_t k = 0; k < p.count; ++k)
                     pages.push_back(fmt::format("{}@{:x}:{}", p.block.idstr, p.offset + k * 4096,
                                                 p.zero ? fmt::format("z{}", p.fill) : "d"));
                   return Ok{};
                 }).ok());
      REQUIRE(r.end_section().ok());
    }
    CHECK(ram.blocks()[0].zero_pages == 1299);
    CHECK(ram.blocks()[1].zero_pages == 2);
  };
  std::vector<std::string> one_by_one, merged;
  int one_calls = 0, merged_calls = 0;
  read(false, one_by_one, one_calls);
  read(true, merged, merged_calls);
  REQUIRE(one_by_one.size() == 1302);
  CHECK(one_by_one[600] == "ram@258000:d");
  CHECK(one_by_one[601] == "ram@259000:z7");
  CHECK(one_by_one[1300] == "rom@0:z0");
  CHECK(merged == one_by_one);
  CHECK(one_calls == 1302);
  CHECK(merged_calls == 5);  // 600 zero, the data page, 2 filled with 7, 697 zero, the ROM's 2
}

// Page hashes are handed over a run at a time; a block longer than one run arrives whole and in order.
TEST_CASE("page_hash_runs") {
  PageHashTable t;
  t.page_size = 4096;
  HashedBlock b{"ram", 1300 * 4096, {}};
  for (std::uint64_t i = 0; i < 1300; ++i) b.hashes.push_back(i * 0x9e3779b97f4a7c15ull);
  t.blocks.push_back(b);
  std::vector<std::uint8_t> bytes;
  {
    ByteSink sink(&bytes);
    REQUIRE(write_page_hashes(sink, t).ok());
    REQUIRE(sink.flush().ok());
  }
  auto src = ByteSource::from_memory(bytes);
  std::vector<std::uint64_t> got;
  PageHashVisitor v;
  v.on_hashes = [&](std::uint64_t first, std::span<const std::uint64_t> hs) -> Status {
    CHECK(first == got.size());
    got.insert(got.end(), hs.begin(), hs.end());
    return Ok{};
  };
  REQUIRE(read_page_hashes(*src, v).ok());
  CHECK(got == b.hashes);
}
