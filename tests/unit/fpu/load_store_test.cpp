// flw/fld/fsw/fsd through the software-TLB fast path onto a host buffer.
#include <cstring>

#include "core/semantics/rv_fd.h"
#include "tests/unit/fpu/fpu_test_util.h"

using namespace lockstep::core;
using namespace lockstep::core::fputest;

namespace {

constexpr u64 kVa = 0x80001000;

struct Mem {
  alignas(4096) u8 page[4096] = {};
  Hart h;
  Mem() {
    h.csr.mstatus = csr::kFsClean << csr::kFSShift;
    for (Tlb* t : {&h.load_tlb, &h.store_tlb}) {
      TlbEntry& e = t->slot(kVa);
      e.tag = (kVa >> kPageBits) | h.data_key;
      e.addend = reinterpret_cast<uintptr_t>(page) - kVa;
    }
  }
  Flow exec(SemFn fn, u8 rd_or_rs2, u8 rs1, i64 imm) {
    Insn i;
    i.fn = fn;
    i.raw = 0x00002007;
    i.rd = rd_or_rs2;
    i.rs2 = rd_or_rs2;
    i.rs1 = rs1;
    i.imm = imm;
    return fn(h, i);
  }
  u64 fs() const { return (h.csr.mstatus & csr::kFS) >> csr::kFSShift; }
};

}  // namespace

TEST_CASE("flw boxes, fld loads raw, both dirty FS") {
  Mem m;
  const u32 w = 0x3f800000;
  const u64 d = 0x7ff0000000000001;  // a signaling NaN: loads never touch the value
  std::memcpy(m.page + 0x10, &w, 4);
  std::memcpy(m.page + 0x20, &d, 8);
  m.h.x[5] = kVa + 0x18;
  m.h.f[3] = 0;
  CHECK(m.exec(sem::flw, 3, 5, -8) == Flow::Next);
  CHECK(m.h.f[3] == 0xffffffff3f800000);
  CHECK(m.fs() == csr::kFsDirty);
  CHECK(m.h.csr.fflags == 0);
  m.h.csr.mstatus = csr::kFsInitial << csr::kFSShift;
  CHECK(m.exec(sem::fld, 4, 5, 8) == Flow::Next);
  CHECK(m.h.f[4] == d);
  CHECK(m.fs() == csr::kFsDirty);
}

TEST_CASE("fsw stores the low 32 bits as they are; fsd stores 64; neither dirties FS") {
  Mem m;
  m.h.x[6] = kVa + 0x100;
  m.h.f[7] = 0x12345678cafef00d;  // not NaN-boxed: fsw still stores the low word
  CHECK(m.exec(sem::fsw, 7, 6, 4) == Flow::Next);
  u32 w;
  std::memcpy(&w, m.page + 0x104, 4);
  CHECK(w == 0xcafef00d);
  u32 after;
  std::memcpy(&after, m.page + 0x108, 4);
  CHECK(after == 0);
  CHECK(m.fs() == csr::kFsClean);
  m.h.f[8] = 0xfff8000000000001;
  CHECK(m.exec(sem::fsd, 8, 6, -0x100) == Flow::Next);
  u64 d;
  std::memcpy(&d, m.page, 8);
  CHECK(d == 0xfff8000000000001);
  CHECK(m.fs() == csr::kFsClean);
}

TEST_CASE("loads and stores with FS off are illegal and touch nothing") {
  Mem m;
  m.h.csr.mstatus = 0;
  m.h.x[5] = kVa;
  m.h.f[3] = 0x1111;
  for (SemFn fn : {sem::flw, sem::fld, sem::fsw, sem::fsd}) {
    CHECK(m.exec(fn, 3, 5, 0) == Flow::Trap);
    CHECK(m.h.trap.cause == static_cast<u64>(Exc::IllegalInsn));
    CHECK(m.h.trap.tval == 0x00002007);
    CHECK(m.h.trap.counted);  // found at translation time in QEMU: counted
  }
  CHECK(m.h.f[3] == 0x1111);
  u64 d;
  std::memcpy(&d, m.page, 8);
  CHECK(d == 0);
}
