// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VMA iterator and the lookup helpers that the harness's vma_internal.h
 * provides (the rest of the vma_iter_* family is in mm/vma.h, see
 * src/mm/vma_h.ts).
 */

import { ENOMEM, ULONG_MAX, type gfp_t, type unsigned_long } from './constants';
import { FP_VMA_ITER_CLEAR_GFP, fault_should_fail } from './fault_inject';
import {
  __mas_set_range,
  ma_error,
  ma_start,
  ma_state,
  mas_destroy,
  mas_find,
  mas_init,
  mas_is_err,
  mas_next_range,
  mas_pause,
  mas_prev,
  mas_set,
  mas_store_gfp,
  mas_walk,
  mt_find,
  mtree_load,
} from './maple_tree';
import type { mm_struct, vm_area_struct } from './structs';

/** A pointer-to-pointer argument (struct vm_area_struct **, bool *, ...). */
export interface Ref<T> {
  value: T;
}

export class vma_iterator {
  constructor(public mas: ma_state<vm_area_struct>) {}
}

/**
 * VMA_ITERATOR(name, mm, addr): index is @addr, last stays 0 (the C
 * initialiser leaves it zeroed), status ma_start.
 */
export function VMA_ITERATOR(mm: mm_struct, addr: unsigned_long): vma_iterator {
  const mas = new ma_state<vm_area_struct>(mm.mm_mt, addr, 0);
  mas.status = ma_start;
  return new vma_iterator(mas);
}

export function vma_iter_invalidate(vmi: vma_iterator): void {
  mas_pause(vmi.mas);
}

/** The first VMA at or after the position on the first call, then the next one. */
export function vma_next(vmi: vma_iterator): vm_area_struct | null {
  return mas_find(vmi.mas, ULONG_MAX);
}

export function vma_prev(vmi: vma_iterator): vm_area_struct | null {
  return mas_prev(vmi.mas, 0);
}

/** Like vma_next(), but only VMAs starting below @max. */
export function vma_find(vmi: vma_iterator, max: unsigned_long): vm_area_struct | null {
  return mas_find(vmi.mas, max - 1);
}

export function vma_iter_set(vmi: vma_iterator, addr: unsigned_long): void {
  mas_set(vmi.mas, addr);
}

export function vma_iter_init(vmi: vma_iterator, mm: mm_struct, addr: unsigned_long): void {
  mas_init(vmi.mas, mm.mm_mt, addr);
}

export function vma_iter_free(vmi: vma_iterator): void {
  mas_destroy(vmi.mas);
}

export function vma_iter_next_range(vmi: vma_iterator): vm_area_struct | null {
  return mas_next_range(vmi.mas, ULONG_MAX);
}

/**
 * Store NULL over [start, end); -ENOMEM if the tree could not allocate.  A
 * failure point: a failure leaves the iterator in the error state.
 */
export function vma_iter_clear_gfp(vmi: vma_iterator, start: unsigned_long, end: unsigned_long, gfp: gfp_t): number {
  __mas_set_range(vmi.mas, start, end - 1);
  if (fault_should_fail(FP_VMA_ITER_CLEAR_GFP)) {
    vmi.mas.status = ma_error;
    vmi.mas.error = -ENOMEM;
    return -ENOMEM;
  }
  mas_store_gfp(vmi.mas, null, gfp);
  if (mas_is_err(vmi.mas)) return -ENOMEM;
  return 0;
}

/** The first VMA intersecting [start_addr, end_addr). */
export function find_vma_intersection(
  mm: mm_struct,
  start_addr: unsigned_long,
  end_addr: unsigned_long,
): vm_area_struct | null {
  mmap_assert_locked(mm);
  return mt_find(mm.mm_mt, start_addr, end_addr - 1);
}

/** The VMA containing @addr. */
export function vma_lookup(mm: mm_struct, addr: unsigned_long): vm_area_struct | null {
  return mtree_load(mm.mm_mt, addr);
}

/**
 * The VMA containing @addr or the first one after it; *pprev gets the VMA
 * before @addr.
 */
export function find_vma_prev(
  mm: mm_struct,
  addr: unsigned_long,
  pprev: Ref<vm_area_struct | null>,
): vm_area_struct | null {
  const vmi = VMA_ITERATOR(mm, addr);
  let vma = mas_walk(vmi.mas);
  pprev.value = vma_prev(vmi);
  if (!vma) vma = vma_next(vmi);
  return vma;
}

/** for_each_vma(vmi, vma) */
export function for_each_vma(vmi: vma_iterator, fn: (vma: vm_area_struct) => void): void {
  let vma: vm_area_struct | null;
  while ((vma = vma_next(vmi)) !== null) fn(vma);
}

export function mmap_assert_locked(_mm: mm_struct): void {}
