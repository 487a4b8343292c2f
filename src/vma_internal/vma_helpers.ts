// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Small VMA helpers of the harness: ranges, flags, protections, stack gaps.
 */

import {
  PAGE_SHIFT,
  PAGE_SIZE,
  VM_ACCESS_FLAGS,
  VM_GROWSDOWN,
  VM_GROWSUP,
  VM_SHADOW_STACK,
  VM_SHARED,
  type pgoff_t,
  type pgprot_t,
  type unsigned_long,
  type vm_flags_t,
} from './constants';
import { is_shared_maywrite, stack_guard_gap } from './mm_stubs';
import { vma_assert_write_locked, vma_start_write } from './vma_lock';
import type { mempolicy, mm_struct, vm_area_struct } from './structs';

export function vma_set_range(vma: vm_area_struct, start: unsigned_long, end: unsigned_long, pgoff: pgoff_t): void {
  vma.vm_start = start;
  vma.vm_end = end;
  vma.vm_pgoff = pgoff;
}

export function vma_pages(vma: vm_area_struct): unsigned_long {
  return (vma.vm_end - vma.vm_start) / 2 ** PAGE_SHIFT;
}

/** Anonymous means no vm_ops at all in the harness. */
export function vma_is_anonymous(vma: vm_area_struct): boolean {
  return !vma.vm_ops;
}

export function vma_set_anonymous(vma: vm_area_struct): void {
  vma.vm_ops = null;
}

export function vma_is_shared_maywrite(vma: vm_area_struct): boolean {
  return is_shared_maywrite(vma.vm_flags);
}

export function vma_is_accessible(vma: vm_area_struct): boolean {
  return (vma.vm_flags & VM_ACCESS_FLAGS) !== 0n;
}

export function vm_flags_init(vma: vm_area_struct, flags: vm_flags_t): void {
  vma.__vm_flags = flags;
}

/** Replace the flags of a VMA the caller has write-locked. */
export function vm_flags_reset(vma: vm_area_struct, flags: vm_flags_t): void {
  vma_assert_write_locked(vma);
  vm_flags_init(vma, flags);
}

/** vm_flags_reset() with a single store (for readers that do not take the lock). */
export function vm_flags_reset_once(vma: vm_area_struct, flags: vm_flags_t): void {
  vma_assert_write_locked(vma);
  vma.__vm_flags = flags;
}

/* Setting or clearing flags starts a write, as the real helpers do. */
export function vm_flags_set(vma: vm_area_struct, flags: vm_flags_t): void {
  vma_start_write(vma);
  vma.__vm_flags |= flags;
}

export function vm_flags_clear(vma: vm_area_struct, flags: vm_flags_t): void {
  vma_start_write(vma);
  vma.__vm_flags &= ~flags;
}

/* Page protections: the harness uses the flag bits as the protection. */
export function pgprot_val(prot: pgprot_t): bigint {
  return prot;
}

export function __pgprot(x: bigint): pgprot_t {
  return x;
}

export function pgprot_modify(oldprot: pgprot_t, newprot: pgprot_t): pgprot_t {
  return __pgprot(pgprot_val(oldprot) | pgprot_val(newprot));
}

export function vm_get_page_prot(vm_flags: vm_flags_t): pgprot_t {
  return __pgprot(vm_flags);
}

/*
 * vma_set_page_prot() calls vma_wants_writenotify(), which lives in
 * mm/vma.c.  In C the linker resolves that reference; here the port hands the
 * function over when it is loaded (see src/mm/vma.ts).
 */
type WantsWritenotify = (vma: vm_area_struct, vm_page_prot: pgprot_t) => boolean;
let vma_wants_writenotify_fn: WantsWritenotify | null = null;

export function link_vma_wants_writenotify(fn: WantsWritenotify): void {
  vma_wants_writenotify_fn = fn;
}

/** Update vma->vm_page_prot to reflect vma->vm_flags. */
export function vma_set_page_prot(vma: vm_area_struct): void {
  if (vma_wants_writenotify_fn === null) {
    throw new Error('vma_set_page_prot: vma_wants_writenotify() is not linked (import src/mm/vma)');
  }
  let vm_flags = vma.vm_flags;
  let vm_page_prot = pgprot_modify(vma.vm_page_prot, vm_get_page_prot(vm_flags));
  if (vma_wants_writenotify_fn(vma, vm_page_prot)) {
    vm_flags &= ~VM_SHARED;
    vm_page_prot = pgprot_modify(vm_page_prot, vm_get_page_prot(vm_flags));
  }
  vma.vm_page_prot = vm_page_prot;
}

/* Stack guard gaps ---------------------------------------------------------- */

export function stack_guard_start_gap(vma: vm_area_struct): unsigned_long {
  if (vma.vm_flags & VM_GROWSDOWN) return stack_guard_gap;
  if (vma.vm_flags & VM_SHADOW_STACK) return PAGE_SIZE;
  return 0;
}

/** vm_start lowered by the guard gap, clamped at 0 where C would wrap. */
export function vm_start_gap(vma: vm_area_struct): unsigned_long {
  const gap = stack_guard_start_gap(vma);
  let vm_start = vma.vm_start - gap;
  if (vm_start < 0) vm_start = 0;
  return vm_start;
}

export function vm_end_gap(vma: vm_area_struct): unsigned_long {
  let vm_end = vma.vm_end;
  if (vma.vm_flags & VM_GROWSUP) {
    vm_end += stack_guard_gap;
    if (vm_end < vma.vm_end) vm_end = -PAGE_SIZE;
  }
  return vm_end;
}

export function is_hugepage_only_range(_mm: mm_struct, _addr: unsigned_long, _len: unsigned_long): number {
  return 0;
}

/* NUMA policies are compiled out. */
export function vma_policy(_vma: vm_area_struct): mempolicy | null {
  return null;
}

export function mpol_equal(_a: mempolicy | null, _b: mempolicy | null): boolean {
  return true;
}

export function mpol_put(_pol: mempolicy | null): void {}

export function vma_dup_policy(_src: vm_area_struct, _dst: vm_area_struct): number {
  return 0;
}
