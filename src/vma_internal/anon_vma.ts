// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * anon_vma stubs of the v6.15 harness.  anon_vma_clone() copies the source's
 * anon_vma and flags it as cloned; unlink_anon_vmas() flags the VMA's
 * anon_vma as unlinked.  The interval-tree and locking helpers do nothing.
 * anon_vma_clone() and anon_vma_prepare() are failure points (fault_inject).
 */

import { ENOMEM } from './constants';
import { KernelBug } from './bug';
import { FP_ANON_VMA_CLONE, FP_ANON_VMA_PREPARE, fault_should_fail } from './fault_inject';
import { list_empty } from './list';
import { anon_vma, type anon_vma_chain, type anon_vma_name_t, type vm_area_struct } from './structs';

/**
 * Give @dst @src's anon_vma.  The kernel allocates one chain entry per entry
 * of @src's chain, so only a source with a non-empty chain can fail; a failure
 * leaves @dst without an anon_vma (the stub linked no entries to undo) and
 * returns -ENOMEM.
 */
export function anon_vma_clone(dst: vm_area_struct, src: vm_area_struct): number {
  if (!list_empty(src.anon_vma_chain) && fault_should_fail(FP_ANON_VMA_CLONE)) {
    dst.anon_vma = null;
    return -ENOMEM;
  }
  /* Record for the tests that the anon_vma was duplicated. */
  if (src.anon_vma !== null) {
    dst.anon_vma = src.anon_vma;
    dst.anon_vma.was_cloned = true;
  }
  return 0;
}

export function unlink_anon_vmas(vma: vm_area_struct): void {
  /* Record for the tests that the anon_vma was unlinked. */
  if (vma.anon_vma === null) {
    /* The C stub dereferences vma->anon_vma unconditionally. */
    throw new KernelBug('NULL dereference', `unlink_anon_vmas: ${vma.describe()} has no anon_vma`);
  }
  vma.anon_vma.was_unlinked = true;
}

export function anon_vma_merge(_vma: vm_area_struct, _next: vm_area_struct): void {}

export function anon_vma_lock_write(_anon_vma: anon_vma | null): void {}
export function anon_vma_unlock_write(_anon_vma: anon_vma | null): void {}
export function anon_vma_lock_read(_anon_vma: anon_vma | null): void {}
export function anon_vma_unlock_read(_anon_vma: anon_vma | null): void {}

export function anon_vma_interval_tree_insert(_avc: anon_vma_chain, _root: unknown): void {}
export function anon_vma_interval_tree_remove(_avc: anon_vma_chain, _root: unknown): void {}
export function anon_vma_interval_tree_verify(_avc: anon_vma_chain): void {}

/** Allocate a fresh anon_vma for @vma (its own root). */
export function __anon_vma_prepare(vma: vm_area_struct): number {
  const av = new anon_vma();
  if (!av) return -ENOMEM;
  av.root = av;
  vma.anon_vma = av;
  return 0;
}

/** 0 at once when @vma has an anon_vma; otherwise a failure point (-ENOMEM, nothing allocated). */
export function anon_vma_prepare(vma: vm_area_struct): number {
  if (vma.anon_vma) return 0;
  if (fault_should_fail(FP_ANON_VMA_PREPARE)) return -ENOMEM;
  return __anon_vma_prepare(vma);
}

/* Anonymous VMA names are compiled out: always NULL, always equal. */
export function anon_vma_name(_vma: vm_area_struct): anon_vma_name_t | null {
  return null;
}

export function anon_vma_name_eq(_a: anon_vma_name_t | null, _b: anon_vma_name_t | null): boolean {
  return true;
}
