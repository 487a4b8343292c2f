// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm_area_alloc(), vm_area_dup() and vm_area_free() with the harness's
 * semantics, backed by the allocation registry.  The first two are failure
 * points (fault_inject): a failed allocation returns NULL and takes no id.
 * In kernel mode (lock_mode.ts) they hand over to the SLAB_TYPESAFE_BY_RCU
 * cache model (after the failure point).
 */

import { UINT_MAX } from './constants';
import { FP_VM_AREA_ALLOC, FP_VM_AREA_DUP, fault_should_fail } from './fault_inject';
import { INIT_LIST_HEAD } from './list';
import { vma_check_live, vma_registry } from './registry';
import { mm_struct, vm_area_struct, type vm_operations_struct } from './structs';
import { kernel_lock } from './lock_mode';

/** The harness's dummy vm_ops: no hooks at all, so a new VMA is not anonymous. */
export const vma_dummy_vm_ops: vm_operations_struct = Object.freeze({});

/** Zero the VMA, point it at @mm and install the dummy vm_ops. */
export function vma_init(vma: vm_area_struct, mm: mm_struct): void {
  vma.vm_start = 0;
  vma.vm_end = 0;
  vma.vm_mm = mm;
  vma.vm_page_prot = 0n;
  vma.__vm_flags = 0n;
  vma.vm_ops = vma_dummy_vm_ops;
  INIT_LIST_HEAD(vma.anon_vma_chain);
  vma.anon_vma = null;
  vma.vm_pgoff = 0;
  vma.vm_file = null;
  vma.vm_private_data = null;
  vma.vm_refcnt = 0;
  vma.vm_lock_seq = UINT_MAX;
}

/** A new detached VMA of @mm with the dummy vm_ops, or NULL. */
export function vm_area_alloc(mm: mm_struct): vm_area_struct | null {
  if (fault_should_fail(FP_VM_AREA_ALLOC)) return null;
  if (kernel_lock !== null) return kernel_lock.vm_area_alloc(mm);
  const vma = new vm_area_struct(mm);
  vma_init(vma, mm);
  vma_registry.register(vma);
  return vma;
}

/**
 * Copy @orig, then make the copy detached: refcount 0, no write mark and an
 * empty anon_vma_chain (anon_vma itself is copied).  NULL on failure.
 */
export function vm_area_dup(orig: vm_area_struct): vm_area_struct | null {
  if (kernel_lock !== null) return fault_should_fail(FP_VM_AREA_DUP) ? null : kernel_lock.vm_area_dup(orig);
  vma_check_live(orig, 'vm_area_dup');
  if (fault_should_fail(FP_VM_AREA_DUP)) return null;
  const vma = new vm_area_struct(orig.vm_mm);
  vma.vm_start = orig.vm_start;
  vma.vm_end = orig.vm_end;
  vma.vm_page_prot = orig.vm_page_prot;
  vma.__vm_flags = orig.__vm_flags;
  vma.anon_vma = orig.anon_vma;
  vma.vm_ops = orig.vm_ops;
  vma.vm_pgoff = orig.vm_pgoff;
  vma.vm_file = orig.vm_file;
  vma.vm_private_data = orig.vm_private_data;
  vma.vm_userfaultfd_ctx = orig.vm_userfaultfd_ctx;
  vma_registry.register(vma);
  vma.vm_refcnt = 0;
  vma.vm_lock_seq = UINT_MAX;
  INIT_LIST_HEAD(vma.anon_vma_chain);
  return vma;
}

/** Just frees (the registry notes the refcount at this moment). */
export function vm_area_free(vma: vm_area_struct): void {
  if (kernel_lock !== null) return kernel_lock.vm_area_free(vma);
  vma_registry.release(vma, 'vm_area_free');
}
