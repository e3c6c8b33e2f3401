// The trace format: chunks survive a round trip, damage is found, a cut file reads up to its cut.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <xxhash.h>

#include "replay/trace_reader.h"
#include "replay/trace_writer.h"

namespace {

using namespace lockstep::replay;

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string("lockstep-trace-") + std::to_string(::getpid()) + "-" + name))
      .string();
}

std::vector<std::uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& b) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

TraceEvent digest_at(std::uint64_t icount) {
  TraceEvent e;
  e.kind = TraceEvent::Kind::Digest;
  e.icount = icount;
  e.digest = 0x1234 + icount;
  e.sections = {1, 2, icount};
  e.ram = {icount * 3};
  return e;
}

// A small trace: header, two event chunks, a checkpoint, the end.
std::string write_sample(const char* name) {
  const std::string path = temp_path(name);
  auto w = TraceWriter::create(path, {{"format", kTraceFormatVersion}, {"command_line", {"-kernel", "x.elf"}}});
  REQUIRE(w);
  w.value()->add(digest_at(0));
  w.value()->add(TraceEvent::input(5, 0, "ab"));
  w.value()->add(TraceEvent::input(5, 2, "\x01"));
  REQUIRE(w.value()->flush(100));
  REQUIRE(w.value()->checkpoint(100, std::vector<std::uint8_t>(5000, 7)));
  w.value()->add(digest_at(100));
  w.value()->add(TraceEvent::input(150, 1, std::string(300, 'z')));
  w.value()->add(TraceEvent::quit(170, 3));
  REQUIRE(w.value()->finish(170, {{"outcome", "quit"}, {"icount", 170}}));
  return path;
}

}  // namespace

TEST_CASE("events and chunks survive a round trip") {
  const std::string path = write_sample("roundtrip");
  auto t = read_trace(path);
  REQUIRE(t);
  CHECK_FALSE(t->damage);
  REQUIRE(t->end);
  CHECK((*t->end)["outcome"] == "quit");
  CHECK(t->header["command_line"][1] == "x.elf");
  CHECK(t->complete_until == 170);
  REQUIRE(t->events.size() == 6);
  CHECK(t->events[0].kind == TraceEvent::Kind::Digest);
  CHECK(t->events[0].sections == std::vector<std::uint64_t>{1, 2, 0});
  CHECK(t->events[2].pass == 2);
  CHECK(t->events[2].bytes == "\x01");
  CHECK(t->events[4].bytes == std::string(300, 'z'));
  CHECK(t->events[5].kind == TraceEvent::Kind::Quit);
  CHECK(t->events[5].icount == 170);
  REQUIRE(t->checkpoints.size() == 1);
  auto stream = read_checkpoint(path, t->checkpoints[0]);
  REQUIRE(stream);
  CHECK(stream.value() == std::vector<std::uint8_t>(5000, 7));
  std::remove(path.c_str());
}

TEST_CASE("a flipped byte in any chunk is found by its checksum") {
  const std::string path = write_sample("flip");
  const auto good = file_bytes(path);
  auto t = read_trace(path);
  REQUIRE(t);
  // Every byte (lengths included): the reader must never take a damaged trace for a whole or cut one.
  for (std::size_t at = 0; at < good.size(); at += 3) {
    auto bad = good;
    bad[at] ^= 0x20;
    write_bytes(path, bad);
    auto r = read_trace(path);
    CAPTURE(at);
    if (!r) continue;  // the magic or the header chunk: refused outright
    REQUIRE(r->damage);
    CHECK(r->damage->kind == TraceDamage::Kind::Corrupt);
  }
  std::remove(path.c_str());
}

TEST_CASE("a cut trace reads up to its last complete chunk") {
  const std::string path = write_sample("cut");
  const auto good = file_bytes(path);
  auto whole = read_trace(path);
  REQUIRE(whole);
  for (std::size_t len = whole->checkpoints[0].offset; len < good.size(); len += 13) {
    write_bytes(path, {good.begin(), good.begin() + static_cast<std::ptrdiff_t>(len)});
    auto r = read_trace(path);
    CAPTURE(len);
    REQUIRE(r);
    REQUIRE(r->damage);
    CHECK(r->damage->kind == TraceDamage::Kind::Cut);
    CHECK_FALSE(r->end);
    CHECK(r->complete_until >= 100);
    for (const auto& e : r->events) CHECK(e.icount <= r->complete_until);
  }
  std::remove(path.c_str());
}

TEST_CASE("hostile chunk headers and events are refused without allocating their claims") {
  std::vector<std::uint8_t> head(kChunkHeaderSize, 0);
  head[0] = 'L', head[1] = 'S', head[2] = 'C', head[3] = 'K', head[4] = 2;
  head[8] = head[9] = head[10] = head[11] = 0xff;  // stored length 4 GiB
  head[12] = head[13] = head[14] = head[15] = 0xff;
  const std::uint64_t check = XXH3_64bits(head.data(), 32);  // a header that checks out, with absurd lengths
  for (unsigned k = 0; k < 8; ++k) head[32 + k] = static_cast<std::uint8_t>(check >> (8 * k));
  CHECK_FALSE(decode_chunk_header(head));
  head[4] = 9;
  head[8] = head[9] = head[10] = head[11] = head[12] = head[13] = head[14] = head[15] = 0;
  CHECK_FALSE(decode_chunk_header(head));
  // An events payload: until 10, a digest event claiming 2^60 section digests.
  const std::vector<std::uint8_t> events = {10, 3, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10};
  CHECK_FALSE(decode_events(events));
  // An event past the chunk's end icount.
  CHECK_FALSE(decode_events(std::vector<std::uint8_t>{10, 1, 11, 0, 1, 'a'}));
  // A console event with no bytes.
  CHECK_FALSE(decode_events(std::vector<std::uint8_t>{10, 1, 5, 0, 0}));
}

TEST_CASE("network frames and wakes survive the events encoding; hostile ones are refused") {
  EventBatch batch;
  batch.until = 500;
  batch.events.push_back(TraceEvent::input(100, 0, "ab"));
  std::string frame(1514, '\0');
  for (std::size_t k = 0; k < frame.size(); ++k) frame[k] = static_cast<char>(k * 7);
  batch.events.push_back(TraceEvent::frame(100, 0, 1, frame));
  batch.events.push_back(TraceEvent::wake(100, 0));
  batch.events.push_back(TraceEvent::frame(300, 2, 0, "\x01\x02\x03"));
  auto back = decode_events(encode_events(batch));
  REQUIRE(back);
  REQUIRE(back->events.size() == 4);
  CHECK(back->events[1].kind == TraceEvent::Kind::NetFrame);
  CHECK(back->events[1].nic == 1);
  CHECK(back->events[1].bytes == frame);
  CHECK(back->events[2].kind == TraceEvent::Kind::Wake);
  CHECK(back->events[2].icount == 100);
  CHECK(back->events[3].icount == 300);
  CHECK(back->events[3].pass == 2);
  CHECK(back->events[3].bytes == "\x01\x02\x03");
  // A frame for NIC 300, an empty frame, one longer than any frame can be.
  CHECK_FALSE(decode_events(std::vector<std::uint8_t>{10, 4, 5, 0, 0xac, 0x02, 1, 'a'}));
  CHECK_FALSE(decode_events(std::vector<std::uint8_t>{10, 4, 5, 0, 0, 0}));
  CHECK_FALSE(decode_events(std::vector<std::uint8_t>{10, 4, 5, 0, 0, 0x80, 0x80, 0x08, 'a'}));
  // An unknown kind.
  CHECK_FALSE(decode_events(std::vector<std::uint8_t>{10, 6, 5, 0}));
}
