// virtio-rng's deterministic stream, the block backend on its own, and whole-device determinism.
#include "tests/unit/virtio/rig.h"

using namespace vt;
using namespace lockstep::devices::virtio;

namespace {

struct Rng : Rig {
  explicit Rng(u64 seed) : Rig(std::make_unique<VirtioRng>(seed)) {}
  VirtioRng& rng() { return static_cast<VirtioRng&>(*dev); }
  // One device-writable buffer of n bytes at kData + at; returns the used length.
  u32 read(u16 head, u64 at, u32 n) {
    desc(head, kData + at, n, kDescWrite);
    const u16 before = used_idx();
    offer(head);
    kick();
    REQUIRE(used_idx() == static_cast<u16>(before + 1));
    return used_len(before);
  }
};

}  // namespace

TEST_CASE("virtio-rng: features, queue and configuration as QEMU 7.2's virtio-rng-device") {
  Rng r(1);
  CHECK(r.rd(M::kDeviceId) == 4);
  r.wr(M::kDeviceFeaturesSel, 0);
  CHECK(r.rd(M::kDeviceFeatures) == 0x30000000u);
  r.wr(M::kDeviceFeaturesSel, 1);
  CHECK(r.rd(M::kDeviceFeatures) == 0x101u);
  CHECK(r.rd(M::kQueueNumMax) == 1024);
  CHECK(r.mmio->state().vq[0].num == 8);
  CHECK(r.rd(M::kConfig) == 0xffffffffu);
}

TEST_CASE("virtio-rng: the same seed gives the same bytes, another seed others") {
  Rng a(42), b(42), c(43);
  for (Rng* r : {&a, &b, &c}) {
    r->init();
    CHECK(r->read(0, 0, 16) == 16);
    CHECK(r->read(1, 16, 100) == 100);
    CHECK(r->read(2, 116, 4096 + 7) == 4096 + 7);
  }
  const u64 n = 16 + 100 + 4096 + 7;
  CHECK(a.mem(kData, n) == b.mem(kData, n));
  CHECK(a.mem(kData, n) != c.mem(kData, n));
  std::vector<u8> expect(n);
  VirtioRng::generate(42, 0, expect.data(), n);
  CHECK(a.mem(kData, n) == expect);
  CHECK(a.rng().state().position == n);
  // Not all zero, not a short cycle.
  unsigned zeros = 0;
  for (u8 v : expect) zeros += v == 0;
  CHECK(zeros < n / 64);
  CHECK(std::vector<u8>(expect.begin(), expect.begin() + 8) != std::vector<u8>(expect.begin() + 8, expect.begin() + 16));
  // The stream does not depend on how it is cut into buffers.
  std::vector<u8> part(50);
  VirtioRng::generate(42, 70, part.data(), part.size());
  CHECK(part == std::vector<u8>(expect.begin() + 70, expect.begin() + 120));
}

TEST_CASE("virtio-rng: nothing before DRIVER_OK; DRIVER_OK fills what is waiting") {
  Rng r(7);
  r.fill(kDesc, 0, 0x3000);
  r.wr(M::kStatus, 1);
  r.wr(M::kStatus, 3);
  r.wr(M::kDriverFeaturesSel, 1);
  r.wr(M::kDriverFeatures, 1);
  r.wr(M::kStatus, 0x0b);
  r.setup_queue(0, 8, kDesc, kAvail, kUsed);
  r.desc(0, kData, 32, kDescWrite);
  r.desc(1, kData + 32, 8, kDescWrite | kDescNext, 2);
  r.desc(2, kData + 40, 8, kDescWrite);
  r.offer(0);
  r.offer(1);
  r.kick();
  CHECK(r.used_idx() == 0);
  r.wr(M::kStatus, 0x0f);
  CHECK(r.used_idx() == 2);
  CHECK(r.used_len(0) == 32);
  CHECK(r.used_len(1) == 16);
  CHECK(r.rd(M::kInterruptStatus) == 1);  // one interrupt for the batch
  std::vector<u8> expect(48);
  VirtioRng::generate(7, 0, expect.data(), expect.size());
  CHECK(r.mem(kData, 48) == expect);
}

TEST_CASE("virtio-rng: hostile chains") {
  Rng r(7);
  r.init();
  SUBCASE("no device-writable buffer: returned with length 0") {
    r.desc(0, kData, 16, 0);
    r.offer(0);
    r.kick();
    CHECK(r.used_idx() == 1);
    CHECK(r.used_len(0) == 0);
    CHECK(r.rng().state().position == 0);
  }
  SUBCASE("a huge buffer gets at most kMaxBytesPerBuffer") {
    r.desc(0, kData, 4 << 20, kDescWrite);
    r.offer(0);
    r.kick();
    CHECK(r.used_len(0) == VirtioRng::kMaxBytesPerBuffer);
    CHECK(r.rng().state().position == VirtioRng::kMaxBytesPerBuffer);
  }
  SUBCASE("avail idx jump") {
    r.desc(0, kData, 16, kDescWrite);
    r.offer(0, 9);
    r.kick();
    CHECK(r.mmio->last_error() == "Guest moved used index from 0 to 9");
    CHECK(r.status() == (0x0f | kStatusNeedsReset));
    CHECK(r.used_idx() == 0);
  }
  SUBCASE("buffer outside RAM") {
    r.desc(0, 0x1000, 16, kDescWrite);  // ROM, read-only to the device
    r.offer(0);
    r.kick();
    CHECK(r.mmio->last_error() == "virtio: bogus descriptor or out of resources");
    CHECK(r.used_idx() == 0);
  }
}

TEST_CASE("block backend: errors are values, with QEMU's wording") {
  auto missing = BlockBackend::open("/nonexistent/lockstep.img", {});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "Could not open '/nonexistent/lockstep.img': No such file or directory");
  auto dir = BlockBackend::open(std::filesystem::temp_directory_path().string(), {.read_only = true, .snapshot = false});
  REQUIRE_FALSE(dir.ok());
  CHECK(dir.error().message.find("Is a directory") != std::string::npos);

  TempImage img(4096);
  auto disk = open_disk(img.path, {.read_only = true, .snapshot = false});
  u8 buf[512];
  CHECK(disk->sectors() == 8);
  CHECK(disk->read(4096 - 512, buf, 512).ok());
  CHECK_FALSE(disk->read(4096 - 511, buf, 512).ok());
  CHECK_FALSE(disk->read(~u64{0}, buf, 2).ok());
  CHECK_FALSE(disk->write(0, buf, 512).ok());
  CHECK_FALSE(disk->write_zeroes(0, 512).ok());
  CHECK(disk->flush().ok());
}

TEST_CASE("block backend: snapshot overlay") {
  TempImage img(3 * 4096 + 100);
  const auto before = img.contents();
  auto disk = open_disk(img.path, {.read_only = false, .snapshot = true});
  CHECK(disk->sectors() == 25);
  std::vector<u8> data(6000, 0x11);
  REQUIRE(disk->write(4000, data.data(), data.size()).ok());
  CHECK(disk->overlay_bytes() == 3 * 4096);
  std::vector<u8> got(disk->size());
  REQUIRE(disk->read(0, got.data(), got.size()).ok());
  std::vector<u8> expect = before;
  expect.resize(disk->size(), 0);
  std::fill(expect.begin() + 4000, expect.begin() + 10000, 0x11);
  CHECK(got == expect);
  REQUIRE(disk->write_zeroes(12288, disk->size() - 12288).ok());  // the partial last chunk
  REQUIRE(disk->read(0, got.data(), got.size()).ok());
  std::fill(expect.begin() + 12288, expect.end(), 0);
  CHECK(got == expect);
  CHECK(img.contents() == before);
}

namespace {

// A fixed MMIO script over both devices; returns both transports' State and all of RAM.
struct Outcome {
  std::vector<u8> blk_state, rng_state, ram, rng_device_state;
  u8 wce = 0;
};

template <typename T>
std::vector<u8> bytes_of(const T& v) {
  static_assert(std::has_unique_object_representations_v<T>);
  const u8* p = reinterpret_cast<const u8*>(&v);
  return std::vector<u8>(p, p + sizeof(T));
}

Outcome run_script(const std::filesystem::path& image) {
  Blk b(open_disk(image, {.read_only = false, .snapshot = true}));
  b.init(bit(kFVersion1) | bit(kFEventIdx) | bit(kFIndirectDesc) | bit(VirtioBlk::kFFlush));
  for (unsigned i = 0; i < 20; ++i) {
    b.fill(kData, static_cast<u8>(i), 1024);
    b.request(VirtioBlk::kTOut, i * 3, 1024, false);
    b.request(VirtioBlk::kTIn, i * 2, 512 * (i % 3), true);
    b.request(VirtioBlk::kTGetId, 0, 20, true);
    if (i % 4 == 0) b.wr(M::kInterruptAck, b.rd(M::kInterruptStatus));
  }
  b.desc(0, kBuf, 16, kDescNext, 77);  // and a hostile chain at the end
  b.offer(0);
  b.kick();

  Rng r(0x5eed);
  r.init(bit(kFVersion1) | bit(kFEventIdx));
  for (u16 i = 0; i < 30; ++i) {
    r.desc(static_cast<u16>(i % 8), kData + 64 * i, 16 + i, kDescWrite);
    r.offer(static_cast<u16>(i % 8));
    r.kick();
  }
  Outcome o;
  o.blk_state = bytes_of(b.mmio->state());
  o.rng_state = bytes_of(r.mmio->state());
  o.rng_device_state = bytes_of(r.rng().state());
  o.wce = b.blk().state().wce;
  o.ram = b.mem(kRam, kRamSize);
  const auto ram2 = r.mem(kRam, kRamSize);
  o.ram.insert(o.ram.end(), ram2.begin(), ram2.end());
  return o;
}

}  // namespace

TEST_CASE("determinism: the same MMIO sequence twice gives identical State and guest memory") {
  TempImage img(1 << 20);
  const Outcome a = run_script(img.path);
  const Outcome b = run_script(img.path);
  CHECK(a.blk_state == b.blk_state);
  CHECK(a.rng_state == b.rng_state);
  CHECK(a.rng_device_state == b.rng_device_state);
  CHECK(a.wce == b.wce);
  CHECK(a.ram == b.ram);
}
