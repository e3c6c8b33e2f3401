/* Integer benchmark workload: CRC32, sieve of Eratosthenes, quicksort, integer matrix
 * multiply and string hashing, repeated BENCH_SCALE times (100 = full size, about
 * 1.4 billion instructions, ~3.5 s on QEMU; 1 = the CI size). Prints one checksum per
 * kernel and a total.
 * Not a test: the benchmark runs it on QEMU and lockstep side by side. */
#include "guest.h"

#ifndef BENCH_SCALE
#define BENCH_SCALE 100
#endif

static u32 crc_table[256];
static void crc_init(void) {
  for (u32 i = 0; i < 256; i++) {
    u32 c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}
static u32 crc32(const u8* p, u64 n, u32 crc) {
  crc = ~crc;
  while (n--) crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static u64 rng_state = 0x9e3779b97f4a7c15ul;
static u64 rng(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dul;
}

#define SIEVE_N 200000
static u8 sieve_buf[SIEVE_N];
static u64 sieve(void) {
  memset(sieve_buf, 1, SIEVE_N);
  sieve_buf[0] = sieve_buf[1] = 0;
  for (u64 i = 2; i * i < SIEVE_N; i++)
    if (sieve_buf[i])
      for (u64 j = i * i; j < SIEVE_N; j += i) sieve_buf[j] = 0;
  u64 count = 0, sum = 0;
  for (u64 i = 0; i < SIEVE_N; i++)
    if (sieve_buf[i]) {
      count++;
      sum += i;
    }
  return count * 1000003u + sum;
}

#define SORT_N 20000
static i64 sort_buf[SORT_N];
static void quicksort(i64* a, long lo, long hi) {
  while (lo < hi) {
    i64 pivot = a[lo + (hi - lo) / 2];
    long i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        i64 t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (j - lo < hi - i) {
      quicksort(a, lo, j);
      lo = i;
    } else {
      quicksort(a, i, hi);
      hi = j;
    }
  }
}
static u64 sort_run(void) {
  for (int i = 0; i < SORT_N; i++) sort_buf[i] = (i64)(rng() >> 16) - (1l << 46);
  quicksort(sort_buf, 0, SORT_N - 1);
  u64 h = 0;
  for (int i = 0; i < SORT_N; i++) {
    if (i && sort_buf[i - 1] > sort_buf[i]) return 0xbad;
    h = h * 31 + (u64)sort_buf[i];
  }
  return h;
}

#define MAT_N 48
static i32 ma[MAT_N][MAT_N], mb[MAT_N][MAT_N], mc[MAT_N][MAT_N];
static u64 matmul(void) {
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      ma[i][j] = (i32)(rng() & 0xffff) - 0x8000;
      mb[i][j] = (i32)(rng() & 0xffff) - 0x8000;
    }
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      i32 s = 0;
      for (int k = 0; k < MAT_N; k++) s += ma[i][k] * mb[k][j];
      mc[i][j] = s;
    }
  u64 h = 0;
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) h = (h ^ (u32)mc[i][j]) * 0x100000001b3ul;
  return h;
}

#define TEXT_N 16384
static char text[TEXT_N];
static u64 hashing(void) {
  static const char words[][8] = {"lock", "step", "riscv", "qemu", "icount", "vmstate", "digest", "replay"};
  int n = 0;
  while (n < TEXT_N - 9) {
    const char* w = words[rng() & 7];
    while (*w) text[n++] = *w++;
    text[n++] = ' ';
  }
  text[n] = 0;
  /* FNV-1a over every word, djb2 over the whole text, and a rolling hash count */
  u64 fnv_total = 0, h = 0xcbf29ce484222325ul;
  for (int i = 0; i < n; i++) {
    if (text[i] == ' ') {
      fnv_total += h;
      h = 0xcbf29ce484222325ul;
    } else {
      h = (h ^ (u8)text[i]) * 0x100000001b3ul;
    }
  }
  u64 djb = 5381;
  for (int i = 0; i < n; i++) djb = djb * 33 + (u8)text[i];
  u64 roll = 0, hits = 0;
  const u64 B = 257, target_len = 4;
  u64 pow = 1;
  for (u64 k = 0; k < target_len - 1; k++) pow *= B;
  u64 target = 0;
  for (u64 k = 0; k < target_len; k++) target = target * B + (u8)"step"[k];
  for (int i = 0; i < n; i++) {
    if (i >= (int)target_len) roll -= pow * (u8)text[i - target_len];
    roll = roll * B + (u8)text[i];
    if (i >= (int)target_len - 1 && roll == target) hits++;
  }
  return fnv_total ^ djb ^ (hits << 48);
}

int main(void) {
  crc_init();
  u64 c_crc = 0, c_sieve = 0, c_sort = 0, c_mat = 0, c_hash = 0;
  for (int rep = 0; rep < BENCH_SCALE; rep++) {
    c_sieve += sieve();
    c_sort ^= sort_run() + (u64)rep;
    c_mat += matmul();
    c_hash ^= hashing() * (u64)(rep + 1);
    c_crc = crc32(sieve_buf, SIEVE_N, (u32)c_crc);
    c_crc = crc32((const u8*)sort_buf, sizeof sort_buf, (u32)c_crc);
    c_crc = crc32((const u8*)text, TEXT_N, (u32)c_crc);
  }
  printf_("int_workload scale=%d\n", BENCH_SCALE);
  printf_("crc32=%lx sieve=%lx sort=%lx matmul=%lx hash=%lx\n", c_crc, c_sieve, c_sort, c_mat, c_hash);
  printf_("checksum=%lx\n", c_crc ^ c_sieve ^ c_sort ^ c_mat ^ c_hash);
  return 0;
}
