#include <doctest/doctest.h>

#include "tools/option_values.h"

using namespace lockstep::tools;

TEST_CASE("-m takes QEMU's spellings") {
  CHECK(parse_memory_size("256M").value() == 256ull << 20);
  CHECK(parse_memory_size("256").value() == 256ull << 20);  // bare number = MiB
  CHECK(parse_memory_size("1G").value() == 1ull << 30);
  CHECK(parse_memory_size("1g").value() == 1ull << 30);
  CHECK(parse_memory_size("0.5G").value() == 512ull << 20);
  CHECK(parse_memory_size("512k").value() == 512ull << 10);
  CHECK(parse_memory_size("size=2G").value() == 2ull << 30);
  CHECK(parse_memory_size("64MB").value() == 64ull << 20);
  for (const char* bad : {"", "abc", "0", "-5", "12Q", "1.5.2G", "M", ".5G", "5.G", "0.1B", "99999999999999999999T"}) {
    INFO(bad);
    CHECK_FALSE(parse_memory_size(bad).ok());
  }
}

TEST_CASE("counts are plain decimal numbers") {
  CHECK(parse_count("0", "n").value() == 0);
  CHECK(parse_count("18446744073709551615", "n").value() == ~0ull);
  for (const char* bad : {"", "-1", "+1", "1e3", "0x10", "18446744073709551616", "12 "}) {
    INFO(bad);
    CHECK_FALSE(parse_count(bad, "n").ok());
  }
}

TEST_CASE("-drive takes QEMU's key=value list") {
  auto d = parse_drive("file=disk.img,format=raw,if=virtio,readonly=on,snapshot=on");
  REQUIRE(d.ok());
  CHECK(d->file == "disk.img");
  CHECK(d->read_only);
  CHECK(d->snapshot);
  auto comma = parse_drive("file=a,,b.img,if=virtio");
  REQUIRE(comma.ok());
  CHECK(comma->file == "a,b.img");
  CHECK_FALSE(comma->read_only);
  for (const char* bad : {"", "format=raw", "file=x,format=qcow2", "file=x,if=ide", "file=x,readonly=maybe",
                          "file=x,cache=none", "file=x,junk"}) {
    INFO(bad);
    CHECK_FALSE(parse_drive(bad).ok());
  }
}
