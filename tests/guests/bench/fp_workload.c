/* Double-precision benchmark workload: n-body simulation, matrix multiply, a
 * sqrt-heavy loop (vector norms and Newton iterations) and spectral norm, repeated
 * 3*BENCH_SCALE times (100 = full size, about 0.9 billion instructions and ~5 s on
 * QEMU: softfloat makes each instruction dear; 1 = the CI size).
 * Prints the bit patterns of the results, so any rounding difference shows. */
#include "guest.h"

#ifndef BENCH_SCALE
#define BENCH_SCALE 100
#endif

static inline double fsqrt(double x) {
  double r;
  __asm__("fsqrt.d %0, %1" : "=f"(r) : "f"(x));
  return r;
}
static inline u64 bits(double d) {
  u64 u;
  memcpy(&u, &d, 8);
  return u;
}

/* --- n-body (the benchmarks-game system of the Sun and four planets) --- */
#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
struct body { double x, y, z, vx, vy, vz, mass; };
static struct body bodies[5];
static void nbody_init(void) {
  const struct body init[5] = {
      {0, 0, 0, 0, 0, 0, SOLAR_MASS},
      {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01, 1.66007664274403694e-03 * DAYS_PER_YEAR,
       7.69901118419740425e-03 * DAYS_PER_YEAR, -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS},
      {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01, -2.76742510726862411e-03 * DAYS_PER_YEAR,
       4.99852801234917238e-03 * DAYS_PER_YEAR, 2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS},
      {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01, 2.96460137564761618e-03 * DAYS_PER_YEAR,
       2.37847173959480950e-03 * DAYS_PER_YEAR, -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS},
      {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01, 2.68067772490389322e-03 * DAYS_PER_YEAR,
       1.62824170038242295e-03 * DAYS_PER_YEAR, -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS},
  };
  memcpy(bodies, init, sizeof bodies);
  double px = 0, py = 0, pz = 0;
  for (int i = 0; i < 5; i++) {
    px += bodies[i].vx * bodies[i].mass;
    py += bodies[i].vy * bodies[i].mass;
    pz += bodies[i].vz * bodies[i].mass;
  }
  bodies[0].vx = -px / SOLAR_MASS;
  bodies[0].vy = -py / SOLAR_MASS;
  bodies[0].vz = -pz / SOLAR_MASS;
}
static double nbody_energy(void) {
  double e = 0;
  for (int i = 0; i < 5; i++) {
    struct body* b = &bodies[i];
    e += 0.5 * b->mass * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
    for (int j = i + 1; j < 5; j++) {
      double dx = b->x - bodies[j].x, dy = b->y - bodies[j].y, dz = b->z - bodies[j].z;
      e -= b->mass * bodies[j].mass / fsqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}
static void nbody_advance(double dt, int steps) {
  while (steps--) {
    for (int i = 0; i < 5; i++) {
      struct body* b = &bodies[i];
      for (int j = i + 1; j < 5; j++) {
        struct body* c = &bodies[j];
        double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
        double d2 = dx * dx + dy * dy + dz * dz;
        double mag = dt / (d2 * fsqrt(d2));
        b->vx -= dx * c->mass * mag;
        b->vy -= dy * c->mass * mag;
        b->vz -= dz * c->mass * mag;
        c->vx += dx * b->mass * mag;
        c->vy += dy * b->mass * mag;
        c->vz += dz * b->mass * mag;
      }
    }
    for (int i = 0; i < 5; i++) {
      bodies[i].x += dt * bodies[i].vx;
      bodies[i].y += dt * bodies[i].vy;
      bodies[i].z += dt * bodies[i].vz;
    }
  }
}

/* --- matrix multiply --- */
#define MN 40
static double A[MN][MN], B[MN][MN], C[MN][MN];
static double matmul(int rep) {
  for (int i = 0; i < MN; i++)
    for (int j = 0; j < MN; j++) {
      A[i][j] = (double)((i * 7 + j * 3 + rep) % 17) / 7.0 - 1.0;
      B[i][j] = (double)((i * 5 + j * 11 + rep) % 13) / 3.0 + 0.25;
    }
  for (int i = 0; i < MN; i++)
    for (int j = 0; j < MN; j++) {
      double s = 0;
      for (int k = 0; k < MN; k++) s += A[i][k] * B[k][j];
      C[i][j] = s;
    }
  double t = 0;
  for (int i = 0; i < MN; i++) t += C[i][i] - C[i][MN - 1 - i] * 0.5;
  return t;
}

/* --- sqrt-heavy: norms of many vectors and Newton square roots checked against fsqrt --- */
static double sqrt_loop(int rep) {
  double acc = 0;
  for (int i = 1; i <= 8000; i++) {
    double x = (double)i * 0.37 + (double)rep;
    double n = fsqrt(x * x + (x + 1) * (x + 1) + 2.5);
    double g = x;
    for (int k = 0; k < 4; k++) g = 0.5 * (g + x / g);
    acc += n - g + fsqrt(g) * 1e-3;
  }
  return acc;
}

/* --- spectral norm --- */
#define SN 60
static double su[SN], sv[SN], st[SN];
static inline double amat(int i, int j) { return 1.0 / ((i + j) * (i + j + 1) / 2 + i + 1); }
static void mul_av(const double* v, double* out) {
  for (int i = 0; i < SN; i++) {
    double s = 0;
    for (int j = 0; j < SN; j++) s += amat(i, j) * v[j];
    out[i] = s;
  }
}
static void mul_atv(const double* v, double* out) {
  for (int i = 0; i < SN; i++) {
    double s = 0;
    for (int j = 0; j < SN; j++) s += amat(j, i) * v[j];
    out[i] = s;
  }
}
static double spectral(void) {
  for (int i = 0; i < SN; i++) su[i] = 1;
  for (int k = 0; k < 10; k++) {
    mul_av(su, st);
    mul_atv(st, sv);
    mul_av(sv, st);
    mul_atv(st, su);
  }
  double vbv = 0, vv = 0;
  for (int i = 0; i < SN; i++) {
    vbv += su[i] * sv[i];
    vv += sv[i] * sv[i];
  }
  return fsqrt(vbv / vv);
}

int main(void) {
  nbody_init();
  double e0 = nbody_energy();
  double mm = 0, sq = 0, sp = 0;
  for (int rep = 0; rep < BENCH_SCALE * 3; rep++) {
    nbody_advance(0.01, 1000);
    mm += matmul(rep);
    sq += sqrt_loop(rep);
    sp += spectral();
  }
  double e1 = nbody_energy();
  printf_("fp_workload scale=%d\n", BENCH_SCALE);
  printf_("nbody energy before=%lx after=%lx\n", bits(e0), bits(e1));
  printf_("matmul=%lx sqrt=%lx spectral=%lx\n", bits(mm), bits(sq), bits(sp));
  printf_("fflags=%lx\n", csr_read(fflags));
  printf_("checksum=%lx\n", bits(e1) ^ bits(mm) ^ bits(sq) ^ bits(sp));
  return 0;
}
