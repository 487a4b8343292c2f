// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Scalar types, constants and flag values of the v6.15 userland VMA harness
 * (tools/testing/vma/vma_internal.h and the headers it pulls in).
 *
 * Representation choices (see also README "Numbers and flags"):
 *
 *  - unsigned long addresses, lengths and page offsets are JavaScript numbers.
 *    Every value the harness produces for them (TASK_SIZE is 2^47 - 4096) is
 *    an integer below 2^53, so doubles hold them exactly.  The one exception is
 *    ULONG_MAX, which the kernel uses only as "no upper bound" (maple tree
 *    limits, rlimit()).  It is represented by the sentinel
 *    Number.MAX_SAFE_INTEGER, which is above every representable address, so
 *    comparisons against it behave as they do in C.  Arithmetic that would wrap
 *    an unsigned long in C is written out explicitly where the kernel relies on
 *    it.
 *
 *  - vm_flags_t is a bigint.  VM_SEALED is bit 63, so a 64-bit word is needed
 *    and JavaScript's bitwise operators on numbers are 32-bit.  A bigint keeps
 *    every flag word exact and lets the port keep the kernel's expressions
 *    ((a ^ b) & ~VM_SOFTDIRTY, flags & VM_SPECIAL, ...) unchanged.  Flags are
 *    touched a handful of times per operation, so the cost stays small next to
 *    the tree walks; the benchmark (npm run bench) measures it.
 */

/** unsigned long: an address, a length or a count (an integer below 2^53). */
export type unsigned_long = number;
/** pgoff_t: a page offset. */
export type pgoff_t = number;
/** vm_flags_t: a 64-bit flag word. */
export type vm_flags_t = bigint;
/** pgprot_t: page protection bits; the harness derives it from the flags. */
export type pgprot_t = bigint;
/** gfp_t: allocation flags (ignored by the stand-ins). */
export type gfp_t = number;

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;

/** The sentinel standing for ULONG_MAX ("no upper bound"). */
export const ULONG_MAX: unsigned_long = Number.MAX_SAFE_INTEGER;
/** unsigned int all-ones, the reset value of vm_lock_seq. */
export const UINT_MAX = 0xffffffff;

/** x86-64 with 4-level page tables, as in the harness. */
export const TASK_SIZE: unsigned_long = 2 ** 47 - PAGE_SIZE;

export const FIRST_USER_ADDRESS: unsigned_long = 0;
export const USER_PGTABLES_CEILING: unsigned_long = 0;

export const GFP_KERNEL: gfp_t = 0;
export const __GFP_NOFAIL: gfp_t = 0x8000;

export const CONFIG_DEFAULT_MMAP_MIN_ADDR = 65536;

/* errno values used by mm/vma.c */
export const EPERM = 1;
export const EINTR = 4;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;

/* VMA flags, with the values the v6.15 harness defines. */
export const VM_NONE: vm_flags_t = 0x00000000n;
export const VM_READ: vm_flags_t = 0x00000001n;
export const VM_WRITE: vm_flags_t = 0x00000002n;
export const VM_EXEC: vm_flags_t = 0x00000004n;
export const VM_SHARED: vm_flags_t = 0x00000008n;
export const VM_MAYREAD: vm_flags_t = 0x00000010n;
export const VM_MAYWRITE: vm_flags_t = 0x00000020n;
export const VM_MAYEXEC: vm_flags_t = 0x00000040n;
export const VM_GROWSDOWN: vm_flags_t = 0x00000100n;
export const VM_PFNMAP: vm_flags_t = 0x00000400n;
export const VM_LOCKED: vm_flags_t = 0x00002000n;
export const VM_IO: vm_flags_t = 0x00004000n;
export const VM_DONTEXPAND: vm_flags_t = 0x00040000n;
export const VM_LOCKONFAULT: vm_flags_t = 0x00080000n;
export const VM_ACCOUNT: vm_flags_t = 0x00100000n;
export const VM_NORESERVE: vm_flags_t = 0x00200000n;
export const VM_MIXEDMAP: vm_flags_t = 0x10000000n;
export const VM_STACK: vm_flags_t = VM_GROWSDOWN;
export const VM_SHADOW_STACK: vm_flags_t = VM_NONE;
/** The harness builds without CONFIG_MEM_SOFT_DIRTY: the flag is zero. */
export const VM_SOFTDIRTY: vm_flags_t = 0n;
export const VM_ARCH_1: vm_flags_t = 0x01000000n;
export const VM_GROWSUP: vm_flags_t = VM_NONE;
/** _BITUL(63): the harness is a 64-bit build. */
export const VM_SEALED: vm_flags_t = 1n << 63n;
/**
 * BIT(40) on a 64-bit build.  mm/vma.c never reads it (the harness's
 * vma_internal.h does not define it); mlock_fixup() does, for the mlockall
 * driver of src/harness/mlock.ts.
 */
export const VM_DROPPABLE: vm_flags_t = 1n << 40n;

export const VM_ACCESS_FLAGS: vm_flags_t = VM_READ | VM_WRITE | VM_EXEC;
export const VM_SPECIAL: vm_flags_t = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;
export const VM_LOCKED_MASK: vm_flags_t = VM_LOCKED | VM_LOCKONFAULT;
export const VM_STARTGAP_FLAGS: vm_flags_t = VM_GROWSDOWN | VM_SHADOW_STACK;

/** Personality bit: READ_IMPLIES_EXEC. */
export const READ_IMPLIES_EXEC = 0x0400000;

export const RLIMIT_STACK = 3;
export const RLIMIT_MEMLOCK = 8;
export const CAP_IPC_LOCK = 14;

/** mm->flags bit: memory-deny-write-execute is enabled for the mm. */
export const MMF_HAS_MDWE = 28;
/** address_space->flags bit used by mm_take_all_locks(). */
export const AS_MM_ALL_LOCKS = 2;

/** Largest unsigned long the port accepts as an address-like value. */
export function check_ulong(fn: string, what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`${fn}: ${what} ${String(v)} is not an unsigned integer below 2^53`);
  }
}

/** PHYS_PFN(x): x >> PAGE_SHIFT for an unsigned long. */
export function PHYS_PFN(x: unsigned_long): unsigned_long {
  return Math.floor(x / PAGE_SIZE);
}

/** offset_in_page(p): p & ~PAGE_MASK. */
export function offset_in_page(p: unsigned_long): unsigned_long {
  return p % PAGE_SIZE;
}

/** PAGE_ALIGN(x): round up to the next page boundary. */
export function PAGE_ALIGN(x: unsigned_long): unsigned_long {
  return Math.ceil(x / PAGE_SIZE) * PAGE_SIZE;
}

/** x & PAGE_MASK: round down to a page boundary. */
export function PAGE_MASK_ALIGN_DOWN(x: unsigned_long): unsigned_long {
  return Math.floor(x / PAGE_SIZE) * PAGE_SIZE;
}

/** Convert a page count to bytes (x << PAGE_SHIFT). */
export function PFN_PHYS(x: unsigned_long): unsigned_long {
  return x * PAGE_SIZE;
}
