/* Virtual memory: Sv39 and Sv48 page tables built here, 4 KiB pages, megapages,
 * gigapages (and a 512 GiB Sv48 page), hardware A/D updates, every kind of page fault
 * with scause/stval, SUM, MXR, U/S execute rules, sfence.vma, satp WARL behaviour.
 * Probes run in S-mode (and U-mode, from the .utext pages); page faults are delegated
 * to the S-mode handler, which records them. */
#include "guest.h"
#include "vm.h"

/* ---- probes -------------------------------------------------------------------------- */
static struct rec {
  int valid;
  u64 cause, tval, epc;
} rec;

static int s_handler(struct trap_frame* tf) {
  rec.valid = 1;
  rec.cause = tf->cause;
  rec.tval = tf->tval;
  rec.epc = tf->epc;
  if (tf->cause == 12 || tf->cause == 1) {
    tf->epc = tf->x[1]; /* fetch fault: return to the caller (ra) */
  } else {
    /* the faulting instruction may be on a user page: read it with SUM */
    csr_set(sstatus, MSTATUS_SUM);
    skip_insn(tf);
    csr_clear(sstatus, MSTATUS_SUM);
  }
  return 1;
}

static u64 s_load(u64 va) {
  u64 v = 0xdead;
  __asm__ volatile("ld %0, 0(%1)" : "+r"(v) : "r"(va) : "memory");
  return v;
}
static void s_store(u64 va, u64 v) { __asm__ volatile("sd %0, 0(%1)" ::"r"(v), "r"(va) : "memory"); }
static u64 s_exec(u64 va) {
  u64 r = 0xdead;
  __asm__ volatile("mv a0, %0\n jalr ra, 0(%1)\n mv %0, a0" : "+r"(r) : "r"(va) : "ra", "a0", "memory");
  return r;
}

/* S-mode entry points for run_in_mode: arg = pointer to a probe request. */
struct req {
  int op; /* 0 load, 1 store, 2 exec, 3 lr, 4 amoadd */
  u64 va, val;
};
static long s_probe(long arg) {
  struct req* r = (struct req*)arg;
  switch (r->op) {
    case 0: return (long)s_load(r->va);
    case 1: s_store(r->va, r->val); return 0;
    case 2: return (long)s_exec(r->va);
    case 3: {
      u64 v = 0xdead;
      __asm__ volatile("lr.d %0, (%1)" : "+r"(v) : "r"(r->va) : "memory");
      return (long)v;
    }
    default: {
      u64 v = 0xdead;
      __asm__ volatile("amoadd.d %0, %2, (%1)" : "+r"(v) : "r"(r->va), "r"(r->val) : "memory");
      return (long)v;
    }
  }
}

/* U-mode probes: no stack, in .utext. */
extern long u_load(long va), u_store(long va), u_exec(long va);
__asm__(".pushsection .utext, \"ax\"\n"
        "u_load: li t0, 0xdead\n ld t0, 0(a0)\n mv a0, t0\n ret\n"
        "u_store: li t0, 0x5555\n sd t0, 0(a0)\n li a0, 0\n ret\n"
        "u_exec: mv t1, ra\n mv t0, a0\n li a0, 0xdead\n jalr ra, 0(t0)\n mv ra, t1\n ret\n"
        ".popsection");

static u64 satp_val;
static const char* cur;

static void probe(int mode, const char* name, int op, u64 va, u64 val) {
  struct req r = {op, va, val};
  memset(&rec, 0, sizeof rec);
  csr_write(satp, satp_val);
  sfence_vma_all();
  long res;
  if (mode == 1) {
    res = run_in_mode(1, s_probe, (long)&r);
  } else {
    long (*fn)(long) = op == 0 ? u_load : op == 1 ? u_store : u_exec;
    res = run_in_mode(0, fn, (long)va);
  }
  csr_write(satp, 0);
  sfence_vma_all();
  printf_("%s %c %s %s va=%lx: ", cur, mode ? 'S' : 'U', name,
          op == 0 ? "load" : op == 1 ? "store" : op == 2 ? "exec" : op == 3 ? "lr" : "amo", va);
  if (rec.valid)
    printf_("fault scause=%lx stval=%lx\n", rec.cause, rec.tval);
  else
    printf_("ok value=%lx\n", (u64)res);
}

/* ---- page tables --------------------------------------------------------------------- */
#define T 0x40000000ul      /* test window (VA) */
#define MEGA_PA 0x88000000ul /* physical 2 MiB region used by the megapage tests */

static u64* code_page;  /* a heap page holding "addi a0, a0, 1; ret" */
static u64* data_page[4];

/* Common mappings: MMIO gigapage 0 (RW, S), RAM 0x80000000.. as megapages (RWX, S)
 * except the .utext pages, which are 4 KiB pages with U. */
static void map_common(u64* root, int levels) {
  vm_map(root, levels, 0, 0, 2, PTE_R | PTE_W | PTE_A | PTE_D);
  u64 ut0 = (u64)__user_text_start, ut1 = (u64)__user_text_end;
  for (u64 pa = 0x80000000ul; pa < 0x90000000ul; pa += 0x200000ul) {
    if (pa + 0x200000ul <= ut0 || pa >= ut1) {
      vm_map(root, levels, pa, pa, 1, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
    } else {
      for (u64 p = pa; p < pa + 0x200000ul; p += 4096) {
        u64 u = (p >= ut0 && p < ut1) ? PTE_U : 0;
        vm_map(root, levels, p, p, 0, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | u);
      }
    }
  }
}

static u64* pte_a_d; /* the A/D test PTE */

static void map_tests(u64* root, int levels) {
  u64 rwad = PTE_A | PTE_D;
  vm_map(root, levels, T + 0x0000, (u64)data_page[0], 0, PTE_R | rwad);
  vm_map(root, levels, T + 0x1000, (u64)data_page[1], 0, PTE_R | PTE_W | rwad);
  vm_map(root, levels, T + 0x2000, (u64)code_page, 0, PTE_X | rwad);
  vm_map(root, levels, T + 0x3000, (u64)code_page, 0, PTE_R | PTE_X | PTE_U | rwad);
  /* T + 0x4000: not mapped (the leaf table exists, the PTE is 0) */
  pte_a_d = vm_map(root, levels, T + 0x5000, (u64)data_page[2], 0, PTE_R | PTE_W);
  vm_map(root, levels, T + 0x6000, (u64)data_page[2], 0, PTE_W | rwad); /* W without R: reserved */
  vm_map(root, levels, T + 0x7000, (u64)data_page[3], 0, PTE_R | PTE_W | PTE_U | rwad);
  vm_map(root, levels, T + 0x8000, (u64)code_page, 0, PTE_R | PTE_X | rwad); /* RX */
  /* non-leaf PTE at level 0 (V only, no RWX): invalid */
  u64* l0 = (u64*)pte_pa(*vm_pte(root, levels, T, 1));
  l0[9] = pte_make((u64)data_page[0], PTE_V);
  /* megapage and a misaligned megapage */
  vm_map(root, levels, T + 0x200000, MEGA_PA, 1, PTE_R | PTE_W | rwad);
  vm_map(root, levels, T + 0x400000, MEGA_PA + 0x1000, 1, PTE_R | PTE_W | rwad);
  /* gigapage alias of RAM at 0xc0000000 */
  vm_map(root, levels, 0xc0000000ul, 0x80000000ul, 2, PTE_R | PTE_W | rwad);
  /* misaligned gigapage at 0x100000000 -> 0x80200000 */
  vm_map(root, levels, 0x100000000ul, 0x80200000ul, 2, PTE_R | PTE_W | rwad);
}

static void run_probes(void) {
  u64 d1 = (u64)data_page[1];
  (void)d1;
  probe(1, "R page", 0, T + 0x0008, 0);
  probe(1, "R page", 1, T + 0x0008, 7);
  probe(1, "R page", 4, T + 0x0008, 1);
  probe(1, "RW page", 1, T + 0x1010, 0x1234);
  probe(1, "RW page", 0, T + 0x1010, 0);
  probe(1, "RW page", 3, T + 0x1010, 0);
  probe(1, "RW page", 2, T + 0x1000, 0);
  probe(1, "X page", 2, T + 0x2000, 0);
  probe(1, "X page (MXR=0)", 0, T + 0x2000, 0);
  csr_set(mstatus, MSTATUS_MXR);
  probe(1, "X page (MXR=1)", 0, T + 0x2000, 0);
  probe(1, "X page (MXR=1)", 1, T + 0x2000, 0);
  csr_clear(mstatus, MSTATUS_MXR);
  probe(1, "RX page", 0, T + 0x8000, 0);
  probe(1, "RX page", 2, T + 0x8000, 0);
  probe(1, "unmapped", 0, T + 0x4010, 0);
  probe(1, "unmapped", 1, T + 0x4010, 0);
  probe(1, "unmapped", 2, T + 0x4010, 0);
  probe(1, "W-only PTE", 0, T + 0x6000, 0);
  probe(1, "non-leaf at level 0", 0, T + 0x9000, 0);
  probe(1, "U page SUM=0", 0, T + 0x7000, 0);
  csr_set(mstatus, MSTATUS_SUM);
  probe(1, "U page SUM=1", 0, T + 0x7000, 0);
  probe(1, "U page SUM=1", 1, T + 0x7000, 0x77);
  probe(1, "U code SUM=1", 2, T + 0x3000, 0);
  csr_clear(mstatus, MSTATUS_SUM);
  probe(0, "U page", 0, T + 0x7000, 0);
  probe(0, "U page", 1, T + 0x7008, 0);
  probe(0, "U code", 2, T + 0x3000, 0);
  probe(0, "S page", 0, T + 0x1010, 0);
  probe(0, "S page", 1, T + 0x1010, 0);
  probe(0, "S code", 2, T + 0x2000, 0);
  probe(1, "megapage", 0, T + 0x200000 + 0x1ff8, 0);
  probe(1, "megapage", 1, T + 0x3ffff8, 0xabc);
  probe(1, "misaligned megapage", 0, T + 0x400000, 0);
  probe(1, "gigapage", 0, 0xc0000000ul + ((u64)data_page[0] - 0x80000000ul), 0);
  probe(1, "misaligned gigapage", 0, 0x100000000ul, 0);
  /* A/D: the PTE starts with A = D = 0; QEMU sets them on access */
  *pte_a_d &= ~(PTE_A | PTE_D);
  printf_("%s A/D pte before: flags=%lx\n", cur, *pte_a_d & 0x3ff);
  probe(1, "A/D page", 0, T + 0x5000, 0);
  printf_("%s A/D pte after load: flags=%lx\n", cur, *pte_a_d & 0x3ff);
  probe(1, "A/D page", 1, T + 0x5000, 9);
  printf_("%s A/D pte after store: flags=%lx\n", cur, *pte_a_d & 0x3ff);
  *pte_a_d &= ~(PTE_A | PTE_D);
  probe(1, "A/D page", 1, T + 0x5008, 10);
  printf_("%s A/D pte after store only: flags=%lx\n", cur, *pte_a_d & 0x3ff);
  /* a fault does not set A */
  *pte_a_d = (*pte_a_d & ~(PTE_A | PTE_D | PTE_W));
  probe(1, "A/D read-only page", 1, T + 0x5008, 11);
  printf_("%s A/D pte after faulting store: flags=%lx\n", cur, *pte_a_d & 0x3ff);
  *pte_a_d |= PTE_W | PTE_A | PTE_D;
}

/* S-mode: remap a page and sfence.vma it; returns the value read after each step. */
static u64* remap_pte;
static long s_sfence(long arg) {
  (void)arg;
  u64 a = s_load(T + 0x1000);
  *remap_pte = pte_make((u64)data_page[0], PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  sfence_vma_va(T + 0x1000);
  u64 b = s_load(T + 0x1000);
  *remap_pte = pte_make((u64)data_page[1], PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
  sfence_vma_all();
  u64 c = s_load(T + 0x1000);
  return (long)((a & 0xff) | (b & 0xff) << 8 | (c & 0xff) << 16);
}

int main(void) {
  set_s_handler(s_handler);
  csr_write(stvec, (u64)trap_vector_s);
  csr_write(medeleg, (1 << 12) | (1 << 13) | (1 << 15) | (1 << 1) | (1 << 5) | (1 << 7) | (1 << 4) | (1 << 6));

  /* test pages */
  code_page = vm_alloc_page();
  ((u32*)code_page)[0] = 0x00150513; /* addi a0, a0, 1 */
  ((u32*)code_page)[1] = 0x00008067; /* ret */
  __asm__ volatile("fence.i");
  for (int i = 0; i < 4; i++) {
    data_page[i] = vm_alloc_page();
    for (int k = 0; k < 512; k++) data_page[i][k] = 0x1111111111111111ul * (u64)(i + 1) + (u64)k;
  }
  for (u64 k = 0; k < 0x400000 / 8; k += 0x1000 / 8) ((u64*)MEGA_PA)[k] = 0x3300000000000000ul + k;
  ((u64*)MEGA_PA)[0x1ff8 / 8] = 0x3344556677889900ul;

  /* satp WARL */
  csr_write(satp, (1ul << 60) | 5);
  printf_("satp after writing mode 1: %lx\n", csr_read(satp));
  csr_write(satp, SATP_MODE_SV39 | (0xfffful << 44));
  printf_("satp ASID bits: %lx\n", (csr_read(satp) >> 44) & 0xffff);
  csr_write(satp, 0);

  /* Sv39 */
  u64* root39 = vm_alloc_page();
  map_common(root39, 3);
  map_tests(root39, 3);
  satp_val = SATP_MODE_SV39 | ((u64)root39 >> 12);
  cur = "sv39";
  run_probes();
  probe(1, "non-canonical", 0, 0x0000008000000000ul, 0);
  probe(1, "non-canonical", 0, 0xffffffc000000000ul & ~(1ul << 63), 0);
  probe(1, "canonical high, unmapped", 0, 0xffffffffc0000000ul, 0);
  remap_pte = vm_pte(root39, 3, T + 0x1000, 0);
  csr_write(satp, satp_val);
  sfence_vma_all();
  u64 r = (u64)run_in_mode(1, s_sfence, 0);
  csr_write(satp, 0);
  sfence_vma_all();
  printf_("sv39 sfence.vma: before=%lx after remap+sfence va=%lx after restore+sfence all=%lx\n", r & 0xff,
          (r >> 8) & 0xff, (r >> 16) & 0xff);

  /* Sv48: same layout plus mappings only Sv48 can express */
  u64* root48 = vm_alloc_page();
  map_common(root48, 4);
  map_tests(root48, 4);
  vm_map(root48, 4, 0x0000100000000000ul, (u64)data_page[3], 0, PTE_R | PTE_W | PTE_A | PTE_D);
  vm_map(root48, 4, 0x0000008000000000ul, 0, 3, PTE_R | PTE_W | PTE_A | PTE_D); /* 512 GiB page */
  vm_map(root48, 4, 0x0000010000000000ul, 0x80000000ul, 3, PTE_R | PTE_A | PTE_D);  /* misaligned */
  satp_val = SATP_MODE_SV48 | ((u64)root48 >> 12);
  cur = "sv48";
  run_probes();
  probe(1, "above sv39 range", 0, 0x0000100000000010ul, 0);
  probe(1, "512G page", 0, 0x0000008000000000ul + (u64)data_page[0], 0);
  probe(1, "misaligned 512G page", 0, 0x0000010000000000ul, 0);
  probe(1, "non-canonical", 0, 0x0000800000000000ul, 0);
  probe(1, "canonical high, unmapped", 0, 0xffff800000000000ul, 0);
  csr_write(medeleg, 0);
  set_s_handler(0);
  return 0;
}
