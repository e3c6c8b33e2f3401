/* virtio-rng on virtio-mmio (version 2 registers), lockstep only: run with
 * `-device virtio-rng-device`. Finds the entropy device (DeviceID 4) among the 8 slots,
 * negotiates VIRTIO_F_VERSION_1, sets up a split virtqueue, requests 64 bytes twice and
 * prints the used lengths and a checksum of the bytes (they come from lockstep's --seed).
 * Then the hostile part: a descriptor outside RAM, and after a reset a descriptor chain
 * that loops; each must put the device in DEVICE_NEEDS_RESET (Status bit 0x40) and raise
 * the configuration-change interrupt, and the broken device must ignore further requests. */
#include "guest.h"

#define SLOT0 0x10001000ul
#define SLOT_SIZE 0x1000ul
#define NSLOTS 8
#define PLIC_PENDING 0x0c001000ul

enum {
  MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, VENDOR_ID = 0x00c, DEVICE_FEATURES = 0x010,
  DEVICE_FEATURES_SEL = 0x014, DRIVER_FEATURES = 0x020, DRIVER_FEATURES_SEL = 0x024, QUEUE_SEL = 0x030,
  QUEUE_NUM_MAX = 0x034, QUEUE_NUM = 0x038, QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050,
  INTERRUPT_STATUS = 0x060, INTERRUPT_ACK = 0x064, STATUS = 0x070, QUEUE_DESC_LOW = 0x080,
  QUEUE_DESC_HIGH = 0x084, QUEUE_AVAIL_LOW = 0x090, QUEUE_AVAIL_HIGH = 0x094, QUEUE_USED_LOW = 0x0a0,
  QUEUE_USED_HIGH = 0x0a4, CONFIG_GENERATION = 0x0fc,
};
enum { S_ACK = 1, S_DRIVER = 2, S_DRIVER_OK = 4, S_FEATURES_OK = 8, S_NEEDS_RESET = 0x40 };
enum { F_NEXT = 1, F_WRITE = 2 };

#define QSIZE 8
struct desc { u64 addr; u32 len; u16 flags, next; };
struct avail { u16 flags, idx, ring[QSIZE], used_event; };
struct used_elem { u32 id, len; };
struct used { u16 flags, idx; struct used_elem ring[QSIZE]; u16 avail_event; };

static struct desc descs[QSIZE] __attribute__((aligned(16)));
static struct avail avail __attribute__((aligned(2)));
static volatile struct used used __attribute__((aligned(4)));
static u8 bufs[3][64] __attribute__((aligned(8)));

static u64 dev;
static u16 avail_idx;

static u32 r(unsigned off) { return mmio_read32(dev + off); }
static void w(unsigned off, u32 v) { mmio_write32(dev + off, v); }

static void init_device(void) {
  w(STATUS, 0);
  w(STATUS, S_ACK);
  w(STATUS, S_ACK | S_DRIVER);
  w(DEVICE_FEATURES_SEL, 1);
  u32 hi = r(DEVICE_FEATURES);
  w(DRIVER_FEATURES_SEL, 0);
  w(DRIVER_FEATURES, 0);
  w(DRIVER_FEATURES_SEL, 1);
  w(DRIVER_FEATURES, hi & 1); /* VIRTIO_F_VERSION_1 (bit 32) only */
  w(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
  printf_("features[1]=%x status=%x\n", hi, r(STATUS));
  w(QUEUE_SEL, 0);
  printf_("queue0: num_max=%d ready=%d\n", (int)r(QUEUE_NUM_MAX), (int)r(QUEUE_READY));
  memset(descs, 0, sizeof descs);
  memset(&avail, 0, sizeof avail);
  memset((void*)&used, 0, sizeof used);
  avail_idx = 0;
  w(QUEUE_NUM, QSIZE);
  w(QUEUE_DESC_LOW, (u32)(u64)descs);
  w(QUEUE_DESC_HIGH, (u32)((u64)descs >> 32));
  w(QUEUE_AVAIL_LOW, (u32)(u64)&avail);
  w(QUEUE_AVAIL_HIGH, (u32)((u64)&avail >> 32));
  w(QUEUE_USED_LOW, (u32)(u64)&used);
  w(QUEUE_USED_HIGH, (u32)((u64)&used >> 32));
  w(QUEUE_READY, 1);
  w(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
  printf_("ready=%d status=%x\n", (int)r(QUEUE_READY), r(STATUS));
}

/* Makes descriptor `head` available and notifies; returns the used index afterwards. */
static u16 submit(u16 head) {
  avail.ring[avail_idx % QSIZE] = head;
  __asm__ volatile("fence rw, rw" ::: "memory");
  avail.idx = ++avail_idx;
  __asm__ volatile("fence rw, rw" ::: "memory");
  w(QUEUE_NOTIFY, 0);
  for (int i = 0; i < 1000 && used.idx != avail_idx; i++) {
  }
  __asm__ volatile("fence rw, rw" ::: "memory");
  return used.idx;
}

static u64 fnv1a(const u8* p, unsigned n) {
  u64 h = 0xcbf29ce484222325ul;
  for (unsigned i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ul;
  return h;
}

static void report(const char* what) {
  u32 isr = r(INTERRUPT_STATUS);
  printf_("%s: status=%x isr=%x config_gen=%d used.idx=%d plic.pending8=%d\n", what, r(STATUS), isr,
          (int)r(CONFIG_GENERATION), (int)used.idx, (int)((mmio_read32(PLIC_PENDING) >> 8) & 1));
  w(INTERRUPT_ACK, isr);
}

int main(void) {
  dev = 0;
  for (unsigned i = 0; i < NSLOTS; i++) {
    u64 base = SLOT0 + SLOT_SIZE * i;
    u32 id = mmio_read32(base + DEVICE_ID);
    if (id) printf_("slot %d @%lx: magic=%x version=%d device=%d\n", (int)i, base, mmio_read32(base + MAGIC),
                    (int)mmio_read32(base + VERSION), (int)id);
    if (id == 4 && !dev) dev = base;
  }
  if (!dev) {
    puts_("no entropy device\n");
    return 1;
  }
  init_device();

  /* Two good requests of 64 bytes. */
  for (int k = 0; k < 2; k++) {
    descs[k] = (struct desc){(u64)bufs[k], 64, F_WRITE, 0};
    u16 idx = submit((u16)k);
    volatile struct used_elem* e = &used.ring[k];
    int zeros = 0;
    for (int i = 0; i < 64; i++) zeros += bufs[k][i] == 0;
    printf_("request %d: used.idx=%d id=%d len=%d zero-bytes<8=%d checksum=%lx\n", k, (int)idx, (int)e->id,
            (int)e->len, zeros < 8, fnv1a(bufs[k], 64));
    report("  after");
  }
  check_true("two requests differ", fnv1a(bufs[0], 64) != fnv1a(bufs[1], 64));

  /* A descriptor outside RAM. */
  descs[2] = (struct desc){0x100000000ul, 64, F_WRITE, 0};
  submit(2);
  report("outside-ram");
  /* The broken device ignores a good request. */
  descs[3] = (struct desc){(u64)bufs[2], 64, F_WRITE, 0};
  submit(3);
  report("after-broken");

  /* Reset, set up again, then a chain that loops on itself. */
  w(STATUS, 0);
  printf_("reset: status=%x isr=%x\n", r(STATUS), r(INTERRUPT_STATUS));
  init_device();
  descs[0] = (struct desc){(u64)bufs[2], 64, F_WRITE, 0};
  submit(0);
  printf_("after reset: len=%d\n", (int)used.ring[0].len);
  report("  after");
  descs[1] = (struct desc){(u64)bufs[2], 16, F_WRITE | F_NEXT, 1};
  submit(1);
  report("loop");
  return check_failures;
}
