// Measurement helper (not a test): writes a lockstep-format stream with page hashes.
//   snapshot_tools_make_stream OUT RAM_MIB TOUCHED_MIB VARIANT [nohash]
// Pages below TOUCHED_MIB carry data (a pattern of the page index); VARIANT changes x[3] and, when
// non-zero, the contents of every 1024th touched page, so two variants differ in a known way.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "lockstep_stream_fixture.h"

int main(int argc, char** argv) {
  if (argc != 5 && !(argc == 6 && std::strcmp(argv[5], "nohash") == 0)) {
    std::fprintf(stderr, "usage: %s OUT RAM_MIB TOUCHED_MIB VARIANT [nohash]\n", argv[0]);
    return 2;
  }
  lockstep::test::LockstepStreamSpec spec;
  spec.ram_bytes = std::strtoull(argv[2], nullptr, 10) << 20;
  const std::uint64_t touched_pages = (std::strtoull(argv[3], nullptr, 10) << 20) / 4096;
  const std::uint64_t variant = std::strtoull(argv[4], nullptr, 10);
  spec.page_data = [&](std::uint64_t p, std::uint8_t* d) {
    if (p >= touched_pages) return false;
    for (std::size_t i = 0; i < 4096; i += 8) std::memcpy(d + i, &p, 8);
    if (variant && p % 1024 == 0) d[100] ^= static_cast<std::uint8_t>(variant);
    return true;
  };
  spec.page_hashes = argc == 5;
  spec.hart.x[3] = 0x1000 + variant;
  spec.run.icount = 1000000 + variant;
  auto st = lockstep::test::write_lockstep_stream(argv[1], spec);
  if (!st) {
    std::fprintf(stderr, "%s\n", st.error().message.c_str());
    return 1;
  }
  return 0;
}
