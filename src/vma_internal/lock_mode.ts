// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which VMA lock the stub layer stands for in this run.
 *
 * In *harness* mode (the default, kernel_lock === null) the stubs behave
 * exactly as tools/testing/vma/vma_internal.h does: vm_refcnt is 0 or 1 and
 * vma_start_write() only bumps vm_lock_seq.  In *kernel* mode the stubs hand
 * every call below to the port of the real v6.15 lock (src/lock), which a
 * caller installs with lock_mode_set().  The stub layer never imports that
 * port: it only knows this table of entry points, so src/lock sits above the
 * stub layer (like src/mm) and a test can install a modified copy of it.
 */

import type { mm_struct, vm_area_struct } from './structs';

/** The stub-layer entry points the kernel lock takes over in kernel mode. */
export interface KernelLockOps {
  readonly name: string;
  vma_start_write(vma: vm_area_struct): void;
  vma_assert_write_locked(vma: vm_area_struct): void;
  vma_assert_attached(vma: vm_area_struct): void;
  vma_assert_detached(vma: vm_area_struct): void;
  vma_mark_attached(vma: vm_area_struct): void;
  vma_mark_detached(vma: vm_area_struct): void;
  vm_area_alloc(mm: mm_struct): vm_area_struct;
  vm_area_dup(orig: vm_area_struct): vm_area_struct;
  vm_area_free(vma: vm_area_struct): void;
  mmap_assert_write_locked(mm: mm_struct): void;
  mmap_write_lock_killable(mm: mm_struct): number;
  mmap_write_downgrade(mm: mm_struct): void;
  mmap_write_unlock(mm: mm_struct): void;
  mmap_read_unlock(mm: mm_struct): void;
}

/** The installed kernel lock, or null in harness mode (read by the stubs). */
export let kernel_lock: KernelLockOps | null = null;

/** Switch to kernel mode with @ops, or back to harness mode with null. */
export function lock_mode_set(ops: KernelLockOps | null): void {
  kernel_lock = ops;
}

/** The mode in force: 'harness' or 'kernel'. */
export function lock_mode(): 'harness' | 'kernel' {
  return kernel_lock === null ? 'harness' : 'kernel';
}

/** Run @fn in kernel mode with @ops, then restore the previous mode. */
export function with_lock_mode<R>(ops: KernelLockOps | null, fn: () => R): R {
  const saved = kernel_lock;
  kernel_lock = ops;
  try {
    return fn();
  } finally {
    kernel_lock = saved;
  }
}
