// vm::save with SaveOptions{.version}, vm::struct_array and vm::fixed_value on a small struct.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "snapshot/vmstate.h"

namespace {

namespace vm = lockstep::snapshot::vm;
using Bytes = std::vector<std::uint8_t>;

struct E {
  std::uint16_t x = 0;
};
struct S {
  std::uint8_t a = 0;
  std::uint8_t b = 0;     // since 3
  std::uint8_t c = 0;     // exists_if: only in v2 streams
  std::array<E, 2> es{};
};

constexpr vm::Field<E> kEFields[] = {vm::u16<&E::x>("x")};
constexpr vm::Section<E> kE{.name = "E", .version = 1, .min_version = 1, .fields = kEFields};
constexpr vm::Field<S> kFields[] = {
    vm::u8<&S::a>("a"),
    vm::u8<&S::b>("b").since(3),
    vm::u8<&S::c>("c").exists_if([](const S&, int v) { return v == 2; }),
    vm::struct_array<&S::es, &kE>("es"),
    vm::fixed_value<S, std::uint32_t, 7>("seven"),
};
constexpr vm::Section<S> kS{.name = "s", .version = 3, .min_version = 2, .fields = kFields};

}  // namespace

TEST_CASE("save as an older version: fields absent there are left out, the vmdesc says so") {
  const S s{.a = 1, .b = 2, .c = 3, .es = {E{0x1122}, E{0x3344}}};
  auto v3 = vm::save_bytes(kS, s);
  REQUIRE(v3.ok());
  CHECK(v3.value() == Bytes{1, 2, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 7});
  auto v2 = vm::save_bytes(kS, s, {.version = 2});
  REQUIRE(v2.ok());
  CHECK(v2.value() == Bytes{1, 3, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 7});
  auto e = vm::vmdesc_entry(kS, s, "s", 0, {.version = 2});
  REQUIRE(e.ok());
  CHECK(e.value().dump() ==
        R"({"name":"s","instance_id":0,"vmsd_name":"s","version":2,"fields":[)"
        R"({"name":"a","type":"uint8","size":1},{"name":"c","type":"uint8","size":1},)"
        R"({"name":"es","array_len":2,"type":"struct","struct":{"vmsd_name":"E","version":1,"fields":[)"
        R"({"name":"x","type":"uint16","size":2}]},"size":2},{"name":"seven","type":"uint32","size":4}]})");
  // What was saved as v2 loads as v2 and keeps b.
  S d{.b = 9};
  REQUIRE(vm::load_bytes(kS, d, v2.value(), 2).ok());
  CHECK(d.a == 1);
  CHECK(d.b == 9);
  CHECK(d.c == 3);
  CHECK(d.es[1].x == 0x3344);
  CHECK_FALSE(vm::save_bytes(kS, s, {.version = 1}).ok());
  CHECK_FALSE(vm::save_bytes(kS, s, {.version = 4}).ok());
}

TEST_CASE("fixed_value refuses any other value on load, naming the field") {
  Bytes b{1, 2, 0, 0, 0, 0, 0, 0, 0, 8};
  S d;
  auto st = vm::load_bytes(kS, d, b, 3);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("'seven'") != std::string::npos);
  CHECK(d.a == 0);
}
