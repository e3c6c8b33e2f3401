/* Page-table helpers for Sv39/Sv48 guests. Tables come from a bump allocator over
 * the heap area of the link script (4 KiB pages, zeroed). */
#pragma once
#include "guest.h"

#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_U (1ul << 4)
#define PTE_G (1ul << 5)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)

#define SATP_MODE_SV39 (8ul << 60)
#define SATP_MODE_SV48 (9ul << 60)

static u64* vm_next_page = 0;

static inline u64* vm_alloc_page(void) {
  if (!vm_next_page) vm_next_page = (u64*)__heap_start;
  u64* p = vm_next_page;
  vm_next_page += 512;
  memset(p, 0, 4096);
  return p;
}

static inline u64 pte_make(u64 pa, u64 flags) { return ((pa >> 12) << 10) | flags; }
static inline u64 pte_pa(u64 pte) { return (pte >> 10) << 12; }

/* Maps va -> pa with a leaf at `level` (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB, 3 = 512 GiB)
 * in a table with `levels` levels (3 = Sv39, 4 = Sv48). Returns the leaf PTE's address. */
static inline u64* vm_map(u64* root, int levels, u64 va, u64 pa, int level, u64 flags) {
  u64* table = root;
  for (int l = levels - 1; l > level; l--) {
    u64 idx = (va >> (12 + 9 * l)) & 511;
    if (!(table[idx] & PTE_V)) table[idx] = pte_make((u64)vm_alloc_page(), PTE_V);
    table = (u64*)pte_pa(table[idx]);
  }
  u64 idx = (va >> (12 + 9 * level)) & 511;
  table[idx] = pte_make(pa, flags | PTE_V);
  return &table[idx];
}

/* Address of the PTE that maps va at `level` (must exist). */
static inline u64* vm_pte(u64* root, int levels, u64 va, int level) {
  u64* table = root;
  for (int l = levels - 1; l > level; l--) table = (u64*)pte_pa(table[(va >> (12 + 9 * l)) & 511]);
  return &table[(va >> (12 + 9 * level)) & 511];
}

static inline void sfence_vma_all(void) { __asm__ volatile("sfence.vma" ::: "memory"); }
static inline void sfence_vma_va(u64 va) { __asm__ volatile("sfence.vma %0, zero" ::"r"(va) : "memory"); }
