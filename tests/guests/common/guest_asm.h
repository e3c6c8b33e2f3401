/* Constants shared by assembly and C guests. */
#pragma once

#define UART0_BASE 0x10000000
#define SIFIVE_TEST_BASE 0x100000
#define CLINT_BASE 0x2000000
#define CLINT_MSIP (CLINT_BASE + 0x0)
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000)
#define CLINT_MTIME (CLINT_BASE + 0xBFF8)

#define MSTATUS_SIE (1 << 1)
#define MSTATUS_MIE (1 << 3)
#define MSTATUS_SPIE (1 << 5)
#define MSTATUS_MPIE (1 << 7)
#define MSTATUS_SPP (1 << 8)
#define MSTATUS_MPP_SHIFT 11
#define MSTATUS_MPP (3 << 11)
#define MSTATUS_FS (3 << 13)
#define MSTATUS_FS_INITIAL (1 << 13)
#define MSTATUS_MPRV (1 << 17)
#define MSTATUS_SUM (1 << 18)
#define MSTATUS_MXR (1 << 19)
#define MSTATUS_TVM (1 << 20)
#define MSTATUS_TW (1 << 21)
#define MSTATUS_TSR (1 << 22)

/* ecall with a7 == this value from S/U returns control to run_in_mode()'s caller. */
#define GUEST_ECALL_RETURN 0x52455455 /* "RETU" */

/* Trap frame layout: x0..x31 at 8*i, then the CSRs. */
#define TF_CAUSE (32 * 8)
#define TF_EPC (33 * 8)
#define TF_TVAL (34 * 8)
#define TF_STATUS (35 * 8)
#define TF_SIZE (36 * 8)

#ifdef __ASSEMBLER__
/* A function of one instruction and ret: a trap's epc is the function's address. */
.macro ONE name, insn:vararg
  .globl \name
\name:
  \insn
  ret
.endm
#endif
