// The hart's "cpu" description on real state: round trip, coverage tripwire, invariants.
#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/triggers.h"
#include "snapshot/descriptions/hart_vmstate.h"

namespace {

namespace vm = lockstep::snapshot::vm;
using lockstep::core::Hart;
using lockstep::snapshot::kHartVmstate;
using Bytes = std::vector<std::uint8_t>;

template <class T>
void randomize(T& v, std::mt19937_64& rng) {
  static_assert(std::is_trivially_copyable_v<T>);
  unsigned char* p = reinterpret_cast<unsigned char*>(&v);
  for (std::size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<unsigned char>(rng());
}

Hart random_hart(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Hart h;
  randomize(h.x, rng);
  h.x[0] = 0;
  randomize(h.f, rng);
  h.pc = rng();
  h.priv = static_cast<lockstep::core::Priv>(std::array{0, 1, 3}[rng() % 3]);
  randomize(h.csr, rng);
  // Triggers as a guest can leave them (post_load refuses others), sent in cpu/debug.
  h.sdtrig = true;
  h.csr.triggers.tselect = rng() & 1;
  for (unsigned i = 0; i < lockstep::core::kTriggers; ++i) {
    h.csr.triggers.tdata1[i] = (rng() & 1 ? 2ull << 60 : 6ull << 60) | (rng() & 0x5f);
    h.csr.triggers.tdata3[i] = 0;
  }
  h.reservation.vaddr = rng();
  h.reservation.value = rng();
  h.reservation.valid = rng() & 1;
  h.waiting_for_interrupt = rng() & 1;
  h.icount = rng();
  return h;
}

bool same_arch_state(const Hart& a, const Hart& b) {
  return a.x == b.x && a.f == b.f && a.pc == b.pc && a.priv == b.priv &&
         std::memcmp(&a.csr, &b.csr, sizeof(a.csr)) == 0 && a.reservation.vaddr == b.reservation.vaddr &&
         a.reservation.value == b.reservation.value && a.reservation.valid == b.reservation.valid &&
         a.waiting_for_interrupt == b.waiting_for_interrupt && a.icount == b.icount;
}

Bytes save(const Hart& h) {
  auto r = vm::save_bytes(kHartVmstate, h);
  REQUIRE(r.ok());
  return r.value();
}

}  // namespace

TEST_CASE("hart vmstate: save -> load of random harts gives the same state, bit for bit") {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    const Hart src = random_hart(seed);
    const Bytes b = save(src);
    Hart dst;  // reset state
    dst.sdtrig = true;  // the same machine version as the source
    auto st = vm::load_bytes(kHartVmstate, dst, b, kHartVmstate.version);
    INFO((st.ok() ? std::string() : st.error().message));
    REQUIRE(st.ok());
    CHECK(same_arch_state(src, dst));
    CHECK(save(dst) == b);
  }
}

TEST_CASE("hart vmstate: every byte of CsrState and every register reaches the wire (tripwire)") {
  const Hart base = random_hart(7);
  const Bytes ref = save(base);
  // CsrState is padding-free (static_assert in hart_vmstate.cpp): flipping any byte must show.
  for (std::size_t i = 0; i < sizeof(base.csr); ++i) {
    Hart h = base;
    reinterpret_cast<unsigned char*>(&h.csr)[i] ^= 0x01;
    REQUIRE_MESSAGE(save(h) != ref, "CsrState byte ", i, " is not described");
  }
  for (unsigned i = 1; i < 32; ++i) {
    Hart h = base;
    h.x[i] ^= 1ull << 63;
    CHECK(save(h) != ref);
    h = base;
    h.f[i == 0 ? 0 : i] ^= 1;
    CHECK(save(h) != ref);
  }
  Hart h = base;
  h.f[0] ^= 1;
  CHECK(save(h) != ref);
  h = base;
  h.pc ^= 4;
  CHECK(save(h) != ref);
  h = base;
  h.priv = base.priv == lockstep::core::Priv::M ? lockstep::core::Priv::U : lockstep::core::Priv::M;
  CHECK(save(h) != ref);
  h = base;
  h.reservation.vaddr ^= 8;
  CHECK(save(h) != ref);
  h = base;
  h.reservation.value ^= 8;
  CHECK(save(h) != ref);
  h = base;
  h.reservation.valid = !h.reservation.valid;
  CHECK(save(h) != ref);
  h = base;
  h.waiting_for_interrupt = !h.waiting_for_interrupt;
  CHECK(save(h) != ref);
  h = base;
  h.icount ^= 1;
  CHECK(save(h) != ref);
}

TEST_CASE("hart vmstate: reset PMP and envcfg are not sent; loading without them resets them") {
  Hart h = random_hart(3);
  h.sdtrig = false;  // no cpu/debug either: loading without it resets the triggers
  h.csr.triggers = {};
  h.csr.pmp = {};
  h.csr.menvcfg = h.csr.senvcfg = 0;
  const Bytes b = save(h);
  auto desc = vm::vmdesc_entry(kHartVmstate, h, "cpu", 0);
  REQUIRE(desc.ok());
  CHECK_FALSE(desc.value().contains("subsections"));
  Hart dst = random_hart(4);  // a destination with stale PMP/envcfg
  dst.sdtrig = false;
  REQUIRE(vm::load_bytes(kHartVmstate, dst, b, 1).ok());
  CHECK(dst.csr.pmp.addr == h.csr.pmp.addr);
  CHECK(dst.csr.pmp.cfg == h.csr.pmp.cfg);
  CHECK(dst.csr.menvcfg == 0);
  CHECK(same_arch_state(h, dst));
}

TEST_CASE("hart vmstate: invariants are checked on load and nothing is applied on refusal") {
  Hart bad = random_hart(5);
  Bytes b = save(bad);
  // env.priv sits after gpr, fpr, pc, load_res, load_val, load_res_valid, frm, fflags.
  const std::size_t priv_at = 32 * 8 + 32 * 8 + 8 + 8 + 8 + 1 + 4 + 4;
  b[priv_at] = 2;
  Hart dst = random_hart(6);
  const Hart before = dst;
  auto st = vm::load_bytes(kHartVmstate, dst, b, 1);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message == "cpu: post_load: env.priv 2 is not a privilege level");
  CHECK(same_arch_state(dst, before));
  Bytes v2 = save(bad);
  CHECK(vm::load_bytes(kHartVmstate, dst, v2, 2).error().message ==
        "cpu: incoming version_id 2 is too new for local version_id 1");
}

TEST_CASE("hart vmstate: vmdesc and -dump-vmstate use QEMU's names") {
  Hart h = random_hart(9);
  auto d = vm::vmdesc_entry(kHartVmstate, h, "cpu", 0);
  REQUIRE(d.ok());
  const vm::Json& j = d.value();
  CHECK(j["vmsd_name"] == "cpu");
  CHECK(j["fields"][0].dump() == R"({"name":"env.gpr","array_len":32,"type":"uint64","size":8})");
  CHECK(j["fields"][2].dump() == R"({"name":"env.pc","type":"uint64","size":8})");
  CHECK(j["subsections"][0]["vmsd_name"] == "cpu/pmp");
  const vm::Json s = vm::dump_vmstate_entry(kHartVmstate, "rv64-riscv-cpu");
  CHECK(s["Description"]["Subsections"][0]["name"] == "cpu/pmp");
  CHECK(s["Description"]["Fields"][8].dump() ==
        R"({"field":"env.priv","version_id":0,"field_exists":false,"size":1})");
}

TEST_CASE("hart vmstate: cpu/debug has QEMU 7.2's layout, is sent with the debug property only, and arms on load") {
  Hart h = random_hart(11);
  h.csr.triggers = {};
  h.csr.triggers.tselect = 1;
  h.csr.triggers.tdata1[1] = (2ull << 60) | 64 | 2;  // M-mode store trigger
  h.csr.triggers.tdata2[1] = 0x80001000;
  auto d = vm::vmdesc_entry(kHartVmstate, h, "cpu", 0);
  REQUIRE(d.ok());
  const vm::Json& sub = d.value()["subsections"].back();
  CHECK(sub["vmsd_name"] == "cpu/debug");
  CHECK(sub["version"] == 2);
  CHECK(sub["fields"].dump() ==
        R"([{"name":"env.trigger_cur","type":"uint64","size":8},)"
        R"({"name":"env.tdata1","array_len":2,"type":"uint64","size":8},)"
        R"({"name":"env.tdata2","array_len":2,"type":"uint64","size":8},)"
        R"({"name":"env.tdata3","array_len":2,"type":"uint64","size":8}])");
  Hart dst;
  dst.sdtrig = true;
  REQUIRE(vm::load_bytes(kHartVmstate, dst, save(h), 1).ok());
  CHECK(dst.triggers_armed == lockstep::core::kArmedWatch);
  CHECK(dst.csr.triggers.tdata2[1] == 0x80001000);

  Hart old = h;
  old.sdtrig = false;  // virt-2.0 and older
  auto od = vm::vmdesc_entry(kHartVmstate, old, "cpu", 0);
  REQUIRE(od.ok());
  for (const auto& s : od.value()["subsections"]) CHECK(s["vmsd_name"] != "cpu/debug");
}

TEST_CASE("hart vmstate: a trigger state no guest can reach is refused") {
  Hart h = random_hart(12);
  h.csr.triggers.tdata1[0] = 2ull << 60 | (1ull << 12);  // action 1: QEMU never keeps it
  Hart dst = random_hart(13);
  auto st = vm::load_bytes(kHartVmstate, dst, save(h), 1);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("cpu: post_load: env.tdata1[0]") == 0);
}
