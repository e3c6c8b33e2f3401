// The vmstate walker on a small hand-described struct: golden wire bytes, versions, subsections,
// *_equal, hostile input, the vmdesc JSON and the -dump-vmstate schema.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "snapshot/vmstate.h"

namespace {

namespace vm = lockstep::snapshot::vm;
using Bytes = std::vector<std::uint8_t>;

struct Inner {
  std::uint16_t p = 0;
  std::uint8_t q = 0;
};

struct T {
  std::uint8_t a = 0;
  std::uint16_t b = 0;
  std::uint32_t c = 0;
  std::uint64_t d = 0;
  bool e = false;
  std::int32_t f = 0;
  std::array<std::uint16_t, 3> g{};
  std::array<std::uint8_t, 4> buf{};
  std::uint32_t magic = 0xcafe;
  std::uint32_t n = 0;
  std::array<std::uint8_t, 8> v{};
  Inner in;
  std::uint32_t extra = 0x5a5a5a5a;  // reset value; only v2 streams carry it
  std::uint8_t sub_x = 0;
  int post_loads = 0;
};

constexpr vm::Field<Inner> kInnerFields[] = {
    vm::u16<&Inner::p>("p"),
    vm::u8<&Inner::q>("q"),
};
constexpr vm::Section<Inner> kInner{.name = "test_inner", .version = 1, .min_version = 1, .fields = kInnerFields};

constexpr vm::Field<T> kSubFields[] = {vm::u8<&T::sub_x>("sub_x")};
constexpr vm::Subsection<T> kSub{
    .name = "test/sub",
    .version = 1,
    .min_version = 1,
    .needed = [](const T& t) { return t.sub_x != 0; },
    .absent = [](T& t) { t.sub_x = 0; },
    .fields = kSubFields,
};

constexpr vm::Field<T> kFields[] = {
    vm::u8<&T::a>("a"),
    vm::u16<&T::b>("b"),
    vm::u32<&T::c>("c"),
    vm::u64<&T::d>("d"),
    vm::boolean<&T::e>("e"),
    vm::i32<&T::f>("f"),
    vm::u16_array<&T::g>("g"),
    vm::buffer<&T::buf>("buf"),
    vm::u32_equal<&T::magic>("magic"),
    vm::u32<&T::n>("n"),
    vm::varray<&T::v, &T::n>("v"),
    vm::structure<&T::in, &kInner>("in"),
    vm::u32<&T::extra>("extra").since(2),
};
constexpr const vm::Subsection<T>* kSubs[] = {&kSub};
constexpr vm::Section<T> kTest{
    .name = "test",
    .version = 2,
    .min_version = 1,
    .fields = kFields,
    .subsections = kSubs,
    .post_load =
        [](T& t, int) -> lockstep::Status {
          ++t.post_loads;
          return lockstep::Ok{};
        },
};

// A kind over a member of another type does not compile (u16 over a u8, u32 over an i32, a
// scalar kind over an array, an array kind over the wrong element type).
template <auto... Ms>
concept CanU8 = requires { vm::u8<Ms...>("x"); };
template <auto... Ms>
concept CanU16 = requires { vm::u16<Ms...>("x"); };
template <auto... Ms>
concept CanU32 = requires { vm::u32<Ms...>("x"); };
template <auto... Ms>
concept CanU8Array = requires { vm::u8_array<Ms...>("x"); };
template <auto... Ms>
concept CanU16Array = requires { vm::u16_array<Ms...>("x"); };
static_assert(CanU8<&T::a>);
static_assert(!CanU16<&T::a>);
static_assert(!CanU32<&T::f>);
static_assert(!CanU8<&T::buf>);
static_assert(!CanU8Array<&T::g>);
static_assert(CanU16Array<&T::g>);
static_assert(!CanU8<&T::in, &Inner::p>);
static_assert(CanU16<&T::in, &Inner::p>);

T sample() {
  T t;
  t.a = 0x11;
  t.b = 0x2233;
  t.c = 0x44556677;
  t.d = 0x8899aabbccddeeffull;
  t.e = true;
  t.f = -2;
  t.g = {1, 2, 0x0304};
  t.buf = {0xde, 0xad, 0xbe, 0xef};
  t.n = 3;
  t.v = {7, 8, 9, 0xee, 0xee, 0xee, 0xee, 0xee};
  t.in = {0x0a0b, 0x0c};
  t.extra = 0x01020304;
  t.sub_x = 0x42;
  return t;
}

// Hand-computed: fields in order, big-endian, varray of n elements, nested struct inline, then
// the subsection: 0x05, counted name, be32 version, body.
const Bytes kGolden = {
    0x11,                                            // a
    0x22, 0x33,                                      // b
    0x44, 0x55, 0x66, 0x77,                          // c
    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,  // d
    0x01,                                            // e
    0xff, 0xff, 0xff, 0xfe,                          // f = -2
    0x00, 0x01, 0x00, 0x02, 0x03, 0x04,              // g[3]
    0xde, 0xad, 0xbe, 0xef,                          // buf
    0x00, 0x00, 0xca, 0xfe,                          // magic
    0x00, 0x00, 0x00, 0x03,                          // n
    0x07, 0x08, 0x09,                                // v[0..n)
    0x0a, 0x0b, 0x0c,                                // in.p, in.q
    0x01, 0x02, 0x03, 0x04,                          // extra (since v2)
    0x05, 0x08, 't', 'e', 's', 't', '/', 's', 'u', 'b', 0x00, 0x00, 0x00, 0x01, 0x42,
};

Bytes save(const T& t) {
  auto r = vm::save_bytes(kTest, t);
  REQUIRE(r.ok());
  return r.value();
}

bool same(const T& x, const T& y) {
  return x.a == y.a && x.b == y.b && x.c == y.c && x.d == y.d && x.e == y.e && x.f == y.f && x.g == y.g &&
         x.buf == y.buf && x.magic == y.magic && x.n == y.n &&
         std::equal(x.v.begin(), x.v.begin() + x.n, y.v.begin()) && x.in.p == y.in.p && x.in.q == y.in.q &&
         x.extra == y.extra && x.sub_x == y.sub_x;
}

std::string load_error(const Bytes& b, int version, T t = T{}) {
  auto st = vm::load_bytes(kTest, t, b, version);
  REQUIRE_FALSE(st.ok());
  return st.error().message;
}

}  // namespace

TEST_CASE("vmstate: golden wire bytes of the test struct") {
  CHECK(save(sample()) == kGolden);
}

TEST_CASE("vmstate: load of the golden bytes gives the state back, post_load runs once") {
  T t;
  t.sub_x = 9;
  REQUIRE(vm::load_bytes(kTest, t, kGolden, 2).ok());
  CHECK(same(t, sample()));
  CHECK(t.post_loads == 1);
}

TEST_CASE("vmstate: a v1 stream lacks the .since(2) field and keeps its reset value") {
  Bytes v1 = kGolden;
  const std::size_t extra_at = 44;
  v1.erase(v1.begin() + extra_at, v1.begin() + extra_at + 4);
  T t;
  REQUIRE(vm::load_bytes(kTest, t, v1, 1).ok());
  CHECK(t.extra == 0x5a5a5a5a);
  CHECK(t.sub_x == 0x42);
  CHECK(t.in.q == 0x0c);
}

TEST_CASE("vmstate: versions outside [min, version] are refused with QEMU's messages") {
  CHECK(load_error(kGolden, 3) == "test: incoming version_id 3 is too new for local version_id 2");
  CHECK(load_error(kGolden, 0) == "test: incoming version_id 0 is too old for local minimum version_id 1");
}

TEST_CASE("vmstate: a subsection whose needed() is false is not on the wire; absent() applies on load") {
  T t = sample();
  t.sub_x = 0;
  const Bytes b = save(t);
  CHECK(b.size() == kGolden.size() - 15);
  CHECK(Bytes(b.begin(), b.end()) == Bytes(kGolden.begin(), kGolden.end() - 15));
  T dst;
  dst.sub_x = 0x77;
  REQUIRE(vm::load_bytes(kTest, dst, b, 2).ok());
  CHECK(dst.sub_x == 0);  // "not sent" means zero, not "keep what the destination had"
}

TEST_CASE("vmstate: truncated bodies are refused at every cut, naming field and offset") {
  for (std::size_t cut = 0; cut < kGolden.size(); ++cut) {
    Bytes b(kGolden.begin(), kGolden.begin() + cut);
    T t;
    t.sub_x = 0x33;
    auto st = vm::load_bytes(kTest, t, b, 2);
    if (cut == kGolden.size() - 15) {  // the cut before the subsection is a valid body
      CHECK(st.ok());
      continue;
    }
    REQUIRE_MESSAGE(!st.ok(), "cut at ", cut);
    CHECK(t.sub_x == 0x33);  // nothing applied on failure
  }
  // One cut in detail: inside "d" (starts at offset 7), 3 of its 8 bytes there.
  Bytes b(kGolden.begin(), kGolden.begin() + 10);
  CHECK(load_error(b, 2) == "test: field 'd' at offset 7: truncated input: need 8 bytes, 3 left");
  // Inside the nested struct: both levels are named.
  Bytes c(kGolden.begin(), kGolden.begin() + 42);
  CHECK(load_error(c, 2) ==
        "test: field 'in' at offset 41: test_inner: field 'p' at offset 41: truncated input: need 2 bytes, 1 left");
  // A subsection header cut inside its name.
  Bytes s(kGolden.begin(), kGolden.begin() + 52);
  CHECK(load_error(s, 2) == "test: subsection header at offset 48: truncated input");
}

TEST_CASE("vmstate: corrupted bodies are refused: length above capacity, trailing bytes") {
  Bytes b = kGolden;
  b[37] = 0x09;  // n = 9 > capacity 8
  CHECK(load_error(b, 2) == "test: field 'v' at offset 38: incoming length 9 exceeds the capacity 8");
  b[34] = 0xff;  // n = 0xff000009: no allocation, no read past the array
  CHECK(load_error(b, 2) == "test: field 'v' at offset 38: incoming length 4278190089 exceeds the capacity 8");
  Bytes t = kGolden;
  t.push_back(0x00);
  CHECK(load_error(t, 2) == "test: 1 unexpected bytes after the section body at offset 63");
}

TEST_CASE("vmstate: *_equal mismatch is refused") {
  Bytes b = kGolden;
  b[33] = 0xff;
  CHECK(load_error(b, 2) == "test: field 'magic' at offset 30: uint32 equal mismatch: incoming 0xcaff != local 0xcafe");
}

TEST_CASE("vmstate: unknown subsection is refused; a foreign one is left to the caller") {
  Bytes b = kGolden;
  b[56] = 'x';  // "test/sxb"
  CHECK(load_error(b, 2) == "VM subsection 'test/sxb' in 'test' does not exist (at offset 48)");
  Bytes f = kGolden;
  f[50] = 'b';  // "best/sub": not ours, so the body ends before it
  CHECK(load_error(f, 2) == "test: 15 unexpected bytes after the section body at offset 48");
  Bytes v = kGolden;
  v[61] = 2;  // subsection version 2 > 1
  CHECK(load_error(v, 2) == "test/sub: incoming version_id 2 is too new for local version_id 1");
  Bytes twice = kGolden;
  twice.insert(twice.end(), kGolden.end() - 15, kGolden.end());
  CHECK(load_error(twice, 2) == "test: subsection 'test/sub' sent twice (at offset 63)");
}

TEST_CASE("vmstate: hostile bytes never crash (every single-byte corruption)") {
  for (std::size_t i = 0; i < kGolden.size(); ++i)
    for (int v : {0x00, 0x05, 0x7f, 0xff}) {
      Bytes b = kGolden;
      b[i] = static_cast<std::uint8_t>(v);
      T t;
      (void)vm::load_bytes(kTest, t, b, 2);
    }
}

TEST_CASE("vmstate: vmdesc JSON entry of the test struct") {
  auto j = vm::vmdesc_entry(kTest, sample(), "test", 0);
  REQUIRE(j.ok());
  const auto expected = vm::Json::parse(R"({
    "name": "test", "instance_id": 0, "vmsd_name": "test", "version": 2,
    "fields": [
      {"name": "a", "type": "uint8", "size": 1},
      {"name": "b", "type": "uint16", "size": 2},
      {"name": "c", "type": "uint32", "size": 4},
      {"name": "d", "type": "uint64", "size": 8},
      {"name": "e", "type": "bool", "size": 1},
      {"name": "f", "type": "int32", "size": 4},
      {"name": "g", "array_len": 3, "type": "uint16", "size": 2},
      {"name": "buf", "type": "buffer", "size": 4},
      {"name": "magic", "type": "uint32 equal", "size": 4},
      {"name": "n", "type": "uint32", "size": 4},
      {"name": "v", "array_len": 3, "type": "uint8", "size": 1},
      {"name": "in", "type": "struct",
       "struct": {"vmsd_name": "test_inner", "version": 1,
                  "fields": [{"name": "p", "type": "uint16", "size": 2},
                             {"name": "q", "type": "uint8", "size": 1}]},
       "size": 3},
      {"name": "extra", "type": "uint32", "size": 4}
    ],
    "subsections": [
      {"vmsd_name": "test/sub", "version": 1, "fields": [{"name": "sub_x", "type": "uint8", "size": 1}]}
    ]})");
  CHECK(j.value().dump() == expected.dump());
  // No subsection sent: no "subsections" key (QEMU writes it only when some were sent).
  T t = sample();
  t.sub_x = 0;
  auto k = vm::vmdesc_entry(kTest, t, "test", 0);
  REQUIRE(k.ok());
  CHECK_FALSE(k.value().contains("subsections"));
}

TEST_CASE("vmstate: -dump-vmstate entry in QEMU's layout") {
  const vm::Json j = vm::dump_vmstate_entry(kTest, "test-device");
  CHECK(j["Name"] == "test-device");
  CHECK(j["version_id"] == 2);
  CHECK(j["minimum_version_id"] == 1);
  const auto& d = j["Description"];
  CHECK(d["name"] == "test");
  REQUIRE(d["Fields"].size() == 13);
  CHECK(d["Fields"][0].dump() == R"({"field":"a","version_id":0,"field_exists":false,"size":1})");
  CHECK(d["Fields"][6].dump() == R"({"field":"g","version_id":0,"field_exists":false,"size":2})");
  CHECK(d["Fields"][12].dump() == R"({"field":"extra","version_id":2,"field_exists":false,"size":4})");
  CHECK(d["Fields"][11]["Description"]["name"] == "test_inner");
  CHECK(d["Subsections"][0].dump() ==
        R"({"name":"test/sub","version_id":1,"minimum_version_id":1,"Fields":[{"field":"sub_x","version_id":0,"field_exists":false,"size":1}]})");
}

TEST_CASE("vmstate: field_exists overrides the version test on save and load") {
  struct E {
    std::uint8_t flag = 0;
    std::uint32_t opt = 0;
  };
  static constexpr vm::Field<E> kEFields[] = {
      vm::u8<&E::flag>("flag"),
      vm::u32<&E::opt>("opt").exists_if([](const E& e, int) { return e.flag != 0; }),
  };
  static constexpr vm::Section<E> kE{.name = "e", .version = 1, .min_version = 1, .fields = kEFields};
  E off{0, 7};
  CHECK(vm::save_bytes(kE, off).value() == Bytes{0x00});
  E on{1, 0x01020304};
  const Bytes b = vm::save_bytes(kE, on).value();
  CHECK(b == Bytes{0x01, 0x01, 0x02, 0x03, 0x04});
  E dst;
  REQUIRE(vm::load_bytes(kE, dst, b, 1).ok());
  CHECK(dst.opt == 0x01020304);
}

TEST_CASE("vmstate: the digest follows the saved bytes") {
  const auto d1 = vm::digest(kTest, sample());
  T t = sample();
  t.in.q ^= 1;
  const auto d2 = vm::digest(kTest, t);
  REQUIRE(d1.ok());
  REQUIRE(d2.ok());
  CHECK(d1.value() == vm::digest_bytes(kGolden));
  CHECK(d1.value() != d2.value());
}

// Load errors carry a kind from where they are raised, through every level that adds context, so
// diagnosis chooses a cause from the kind and never from the message text.
TEST_CASE("vmstate: load errors keep their kind through nested fields") {
  auto kind_of_error = [](const Bytes& b) {
    T t;
    auto st = vm::load_bytes(kTest, t, b, 2);
    REQUIRE_FALSE(st.ok());
    return st.error().kind;
  };
  CHECK(kind_of_error(Bytes(kGolden.begin(), kGolden.begin() + 42)) == lockstep::ErrorKind::kTruncated);  // inside 'in'.'p'
  CHECK(kind_of_error(Bytes(kGolden.begin(), kGolden.begin() + 52)) == lockstep::ErrorKind::kTruncated);  // subsection header
  Bytes mismatch = kGolden;
  mismatch[33] = 0xff;
  CHECK(kind_of_error(mismatch) == lockstep::ErrorKind::kValueMismatch);
  Bytes unknown_sub = kGolden;
  unknown_sub[56] = 'x';
  CHECK(kind_of_error(unknown_sub) == lockstep::ErrorKind::kUnknownSubsection);
  Bytes too_long = kGolden;
  too_long[37] = 0x09;
  CHECK(kind_of_error(too_long) == lockstep::ErrorKind::kUnclassified);
}
