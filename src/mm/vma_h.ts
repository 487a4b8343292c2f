// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Port of mm/vma.h (Linux v6.15): the structures shared by the VMA code and
 * its inline helpers, in the header's order.  The functions it declares are
 * implemented in vma.ts.
 */

import {
  ENOMEM,
  GFP_KERNEL,
  PHYS_PFN,
  VM_EXEC,
  VM_SEALED,
  VM_SHADOW_STACK,
  VM_SHARED,
  VM_STACK,
  VM_WRITE,
  type gfp_t,
  type pgoff_t,
  type pgprot_t,
  type unsigned_long,
  type vm_flags_t,
} from '../vma_internal/constants';
import {
  NULL_VM_UFFD_CTX,
  type address_space,
  type anon_vma,
  type anon_vma_name_t,
  type file,
  type mempolicy,
  type mm_struct,
  type vm_area_struct,
  type vm_userfaultfd_ctx,
} from '../vma_internal/structs';
import {
  __mas_set_range,
  ma_start,
  mas_empty_area,
  mas_empty_area_rev,
  mas_expected_entries,
  mas_is_err,
  mas_next_range,
  mas_preallocate,
  mas_prev,
  mas_prev_range,
  mas_reset,
  mas_store_prealloc,
  mas_walk,
} from '../vma_internal/maple_tree';
import {
  MAS_WARN_ON,
} from '../vma_internal/maple_state_check';
import {
  kconfig,
} from '../vma_internal/kconfig';
import {
  mas_store_gfp,
} from '../vma_internal/maple_store';
import {
  vma_assert_attached,
  vma_mark_attached,
} from '../vma_internal/vma_lock';
import {
  vma_iter_invalidate,
  vma_iter_next_range,
  vma_next,
  vma_prev,
  type Ref,
  type vma_iterator,
} from '../vma_internal/vma_iter';
import {
  anon_vma_name,
} from '../vma_internal/anon_vma';
import {
  pgprot_modify,
  vm_get_page_prot,
  vma_policy,
} from '../vma_internal/vma_helpers';
import { vma_wants_writenotify } from './vma';

/*
 * struct vma_prepare: what vma_prepare()/vma_complete() work on.  (Named
 * vma_prepare_t because a function takes the struct's name in the same scope.)
 */
export class vma_prepare_t {
  vma: vm_area_struct | null = null;
  adj_next: vm_area_struct | null = null;
  file: file | null = null;
  mapping: address_space | null = null;
  anon_vma: anon_vma | null = null;
  insert: vm_area_struct | null = null;
  remove: vm_area_struct | null = null;
  remove2: vm_area_struct | null = null;
}

export class unlink_vma_file_batch {
  count = 0;
  vmas: (vm_area_struct | null)[] = new Array<vm_area_struct | null>(8).fill(null);
}

/* State of one munmap operation. */
export class vma_munmap_struct {
  vmi: vma_iterator | null = null;
  /** The first VMA to unmap. */
  vma: vm_area_struct | null = null;
  /** The VMA before the unmapped area. */
  prev: vm_area_struct | null = null;
  /** The VMA after the unmapped area. */
  next: vm_area_struct | null = null;
  /** Userfaultfd list head. */
  uf: unknown = null;
  /** Aligned start address (inclusive). */
  start: unsigned_long = 0;
  /** Aligned end address (exclusive). */
  end: unsigned_long = 0;
  /** Page-table unmap range start. */
  unmap_start: unsigned_long = 0;
  /** Page-table unmap range end. */
  unmap_end: unsigned_long = 0;
  /** Number of VMAs that will be removed. */
  vma_count = 0;
  /** Drop the lock after the munmap. */
  unlock = false;
  /** Whether page-table entries are still to be cleared. */
  clear_ptes = false;
  /** Pages being removed. */
  nr_pages: unsigned_long = 0;
  /** Locked pages. */
  locked_vm: unsigned_long = 0;
  /** VM_ACCOUNT pages. */
  nr_accounted: unsigned_long = 0;
  exec_vm: unsigned_long = 0;
  stack_vm: unsigned_long = 0;
  data_vm: unsigned_long = 0;
}

/* enum vma_merge_state */
export const VMA_MERGE_START = 0;
export const VMA_MERGE_ERROR_NOMEM = 1;
export const VMA_MERGE_NOMERGE = 2;
export const VMA_MERGE_SUCCESS = 3;
export type vma_merge_state = number;

const MERGE_STATE_NAMES = ['VMA_MERGE_START', 'VMA_MERGE_ERROR_NOMEM', 'VMA_MERGE_NOMERGE', 'VMA_MERGE_SUCCESS'];
export function vma_merge_state_name(state: vma_merge_state): string {
  return MERGE_STATE_NAMES[state] ?? `state(${state})`;
}

/** Fields a caller may set when building a vma_merge_struct. */
export type vma_merge_struct_init = Partial<
  Pick<
    vma_merge_struct,
    | 'mm'
    | 'vmi'
    | 'prev'
    | 'middle'
    | 'next'
    | 'target'
    | 'start'
    | 'end'
    | 'pgoff'
    | 'flags'
    | 'file'
    | 'anon_vma'
    | 'policy'
    | 'uffd_ctx'
    | 'anon_name'
    | 'state'
    | 'just_expand'
    | 'give_up_on_oom'
  >
>;

/**
 * Describes one merge and is threaded through it; any field may be changed
 * by the operation.
 *
 *   |------|--------|------|
 *   | prev | middle | next |
 *   |------|--------|------|
 *
 * middle is the VMA being modified, or absent when a new range is proposed;
 * next may be set by the caller.  start/end/pgoff first describe the proposed
 * range and are widened to cover every VMA the merge absorbs.
 */
export class vma_merge_struct {
  mm: mm_struct | null = null;
  vmi: vma_iterator | null = null;
  prev: vm_area_struct | null = null;
  middle: vm_area_struct | null = null;
  next: vm_area_struct | null = null;
  /** The VMA that ends up as the merged one. */
  target: vm_area_struct | null = null;
  start: unsigned_long = 0;
  end: unsigned_long = 0;
  pgoff: pgoff_t = 0;

  flags: vm_flags_t = 0n;
  file: file | null = null;
  anon_vma: anon_vma | null = null;
  policy: mempolicy | null = null;
  uffd_ctx: vm_userfaultfd_ctx = NULL_VM_UFFD_CTX;
  anon_name: anon_vma_name_t | null = null;
  state: vma_merge_state = VMA_MERGE_START;

  /* Caller switches. */

  /** Only expand prev; nothing to merge on the right; vmi is on prev. */
  just_expand = false;
  /** On failure to allocate, give up without reporting VMA_MERGE_ERROR_NOMEM. */
  give_up_on_oom = false;

  /* Set during the merge. */

  /** The merge raises middle->vm_start (and so prev->vm_end). */
  __adjust_middle_start = false;
  /** The merge lowers next->vm_start (and so middle->vm_end). */
  __adjust_next_start = false;
  /** The merge removes middle. */
  __remove_middle = false;
  /** The merge removes next. */
  __remove_next = false;

  constructor(init: vma_merge_struct_init = {}) {
    Object.assign(this, init);
  }

  describe(): string {
    const id = (v: vm_area_struct | null): string => (v ? `#${v.__id}` : 'NULL');
    return (
      `vmg[0x${this.start.toString(16)}-0x${this.end.toString(16)} pgoff 0x${this.pgoff.toString(16)}` +
      ` prev ${id(this.prev)} middle ${id(this.middle)} next ${id(this.next)} target ${id(this.target)}` +
      ` ${vma_merge_state_name(this.state)}]`
    );
  }
}

export function vmg_nomem(vmg: vma_merge_struct): boolean {
  return vmg.state === VMA_MERGE_ERROR_NOMEM;
}

/** The page offset of @addr within @vma (addr >= vma->vm_start). */
export function vma_pgoff_offset(vma: vm_area_struct, addr: unsigned_long): pgoff_t {
  return vma.vm_pgoff + PHYS_PFN(addr - vma.vm_start);
}

/** VMG_STATE(name, mm, vmi, start, end, flags, pgoff) */
export function VMG_STATE(
  mm: mm_struct,
  vmi: vma_iterator,
  start: unsigned_long,
  end: unsigned_long,
  flags: vm_flags_t,
  pgoff: pgoff_t,
): vma_merge_struct {
  return new vma_merge_struct({ mm, vmi, start, end, flags, pgoff, state: VMA_MERGE_START });
}

/** VMG_VMA_STATE(name, vmi, prev, vma, start, end): a merge that modifies @vma. */
export function VMG_VMA_STATE(
  vmi: vma_iterator,
  prev: vm_area_struct | null,
  vma: vm_area_struct,
  start: unsigned_long,
  end: unsigned_long,
): vma_merge_struct {
  return new vma_merge_struct({
    mm: vma.vm_mm,
    vmi,
    prev,
    middle: vma,
    next: null,
    start,
    end,
    flags: vma.vm_flags,
    pgoff: vma_pgoff_offset(vma, start),
    file: vma.vm_file,
    anon_vma: vma.anon_vma,
    policy: vma_policy(vma),
    uffd_ctx: vma.vm_userfaultfd_ctx,
    anon_name: anon_vma_name(vma),
    state: VMA_MERGE_START,
  });
}

/** Store @vma (allocating as needed) and mark it attached. */
export function vma_iter_store_gfp(vmi: vma_iterator, vma: vm_area_struct, gfp: gfp_t): number {
  if (vmi.mas.status !== ma_start && (vmi.mas.index > vma.vm_start || vmi.mas.last < vma.vm_start)) {
    vma_iter_invalidate(vmi);
  }
  __mas_set_range(vmi.mas, vma.vm_start, vma.vm_end - 1);
  mas_store_gfp(vmi.mas, vma, gfp);
  if (mas_is_err(vmi.mas)) return -ENOMEM;
  vma_mark_attached(vma);
  return 0;
}

/** Must PTEs be upgraded to writable by hand for this VMA? */
export function vma_wants_manual_pte_write_upgrade(vma: vm_area_struct): boolean {
  /*
   * Shared mappings need it only when write notification is wanted; private
   * writable ones always do, to handle copy-on-write.
   */
  if (vma.vm_flags & VM_SHARED) return vma_wants_writenotify(vma, vma.vm_page_prot);
  return (vma.vm_flags & VM_WRITE) !== 0n;
}

export function vm_pgprot_modify(oldprot: pgprot_t, vm_flags: vm_flags_t): pgprot_t {
  return pgprot_modify(oldprot, vm_get_page_prot(vm_flags));
}

export function vma_prev_limit(vmi: vma_iterator, min: unsigned_long): vm_area_struct | null {
  return mas_prev(vmi.mas, min);
}

/* Classification of VMAs for the virtual memory counters. */

/** Executable code: executable, not writable, not stack. */
export function is_exec_mapping(flags: vm_flags_t): boolean {
  return (flags & (VM_EXEC | VM_WRITE | VM_STACK)) === VM_EXEC;
}

/** Stack, shadow stacks included (only private anonymous VMAs grow). */
export function is_stack_mapping(flags: vm_flags_t): boolean {
  return (flags & VM_STACK) === VM_STACK || (flags & VM_SHADOW_STACK) !== 0n;
}

/** Data: private, writable, not stack. */
export function is_data_mapping(flags: vm_flags_t): boolean {
  return (flags & (VM_WRITE | VM_SHARED | VM_STACK)) === VM_WRITE;
}

/** Point the iterator at [index, last) for the next store. */
export function vma_iter_config(vmi: vma_iterator, index: unsigned_long, last: unsigned_long): void {
  __mas_set_range(vmi.mas, index, last - 1);
}

export function vma_iter_reset(vmi: vma_iterator): void {
  mas_reset(vmi.mas);
}

export function vma_iter_prev_range_limit(vmi: vma_iterator, min: unsigned_long): vm_area_struct | null {
  return mas_prev_range(vmi.mas, min);
}

export function vma_iter_next_range_limit(vmi: vma_iterator, max: unsigned_long): vm_area_struct | null {
  return mas_next_range(vmi.mas, max);
}

export function vma_iter_area_lowest(
  vmi: vma_iterator,
  min: unsigned_long,
  max: unsigned_long,
  size: unsigned_long,
): number {
  return mas_empty_area(vmi.mas, min, max - 1, size);
}

export function vma_iter_area_highest(
  vmi: vma_iterator,
  min: unsigned_long,
  max: unsigned_long,
  size: unsigned_long,
): number {
  return mas_empty_area_rev(vmi.mas, min, max - 1, size);
}

/* VMA iterator functions shared between nommu and mmap. */

/**
 * Preallocate for a store of @vma (NULL for a clear).  The harness's
 * fail_prealloc switch is honoured inside mas_preallocate() (stub layer).
 */
export function vma_iter_prealloc(vmi: vma_iterator, vma: vm_area_struct | null): number {
  return mas_preallocate(vmi.mas, vma, GFP_KERNEL);
}

export function vma_iter_clear(vmi: vma_iterator): void {
  mas_store_prealloc(vmi.mas, null);
}

export function vma_iter_load(vmi: vma_iterator): vm_area_struct | null {
  return mas_walk(vmi.mas);
}

/** Store @vma, already attached, with preallocated memory. */
export function vma_iter_store_overwrite(vmi: vma_iterator, vma: vm_area_struct): void {
  vma_assert_attached(vma);

  /* The state must already be on the slot @vma starts in (maple-tree checks, not WARNs). */
  if (kconfig.CONFIG_DEBUG_VM_MAPLE_TREE) {
    MAS_WARN_ON(
      vmi.mas,
      vmi.mas.status !== ma_start && vmi.mas.index > vma.vm_start,
      'vmi->mas.status != ma_start && vmi->mas.index > vma->vm_start',
      vma.vm_start,
      vma.vm_end - 1,
    );
    MAS_WARN_ON(
      vmi.mas,
      vmi.mas.status !== ma_start && vmi.mas.last < vma.vm_start,
      'vmi->mas.status != ma_start && vmi->mas.last < vma->vm_start',
      vma.vm_start,
      vma.vm_end - 1,
    );
  }

  if (vmi.mas.status !== ma_start && (vmi.mas.index > vma.vm_start || vmi.mas.last < vma.vm_start)) {
    vma_iter_invalidate(vmi);
  }
  __mas_set_range(vmi.mas, vma.vm_start, vma.vm_end - 1);
  mas_store_prealloc(vmi.mas, vma);
}

/** Attach a new VMA and store it. */
export function vma_iter_store_new(vmi: vma_iterator, vma: vm_area_struct): void {
  vma_mark_attached(vma);
  vma_iter_store_overwrite(vmi, vma);
}

export function vma_iter_addr(vmi: vma_iterator): unsigned_long {
  return vmi.mas.index;
}

export function vma_iter_end(vmi: vma_iterator): unsigned_long {
  return vmi.mas.last + 1;
}

export function vma_iter_bulk_alloc(vmi: vma_iterator, count: unsigned_long): number {
  return mas_expected_entries(vmi.mas, count);
}

export function vma_iter_prev_range(vmi: vma_iterator): vm_area_struct | null {
  return mas_prev_range(vmi.mas, 0);
}

/**
 * Return the next VMA and rewind the iterator to the end of the previous VMA
 * (or to index 0 when there is none).
 */
export function vma_iter_next_rewind(
  vmi: vma_iterator,
  pprev: Ref<vm_area_struct | null> | null,
): vm_area_struct | null {
  const next = vma_next(vmi);
  const prev = vma_prev(vmi);

  /*
   * With no previous VMA, vma_prev() already left us at the start of the
   * range; stepping forward again would land on next, so only step over a
   * previous VMA.
   */
  if (prev) vma_iter_next_range(vmi);

  if (pprev) pprev.value = prev;

  return next;
}

/* CONFIG_64BIT: sealing. */

export function vma_is_sealed(vma: vm_area_struct): boolean {
  return (vma.vm_flags & VM_SEALED) !== 0n;
}

/** Is modification of @vma allowed (it is not sealed)? */
export function can_modify_vma(vma: vm_area_struct): boolean {
  if (vma_is_sealed(vma)) return false;
  return true;
}

/*
 * can_modify_vma_madv() is implemented in mm/mseal.c on 64-bit builds, which
 * the harness does not compile; the header's !CONFIG_64BIT variants of it and
 * of can_modify_vma() always allow.  This is the !CONFIG_64BIT variant.
 */
export function can_modify_vma_madv(_vma: vm_area_struct, _behavior: number): boolean {
  return true;
}
