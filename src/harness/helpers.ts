// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Port of the helper functions of tools/testing/vma/vma.c (v6.15): the
 * scaffolding the kernel's harness tests, the trace replayer and the fuzzer
 * build on.  The tests themselves are in tests/kernel/.
 */

import {
  PAGE_SIZE,
  TASK_SIZE,
  UINT_MAX,
  type pgoff_t,
  type unsigned_long,
  type vm_flags_t,
} from '../vma_internal/constants';
import {
  warn_reset,
} from '../vma_internal/bug';
import {
  maple_check_reset,
} from '../vma_internal/maple_state_check';
import {
  anon_vma,
  type mm_struct,
  type vm_area_struct,
} from '../vma_internal/structs';
import {
  fault_inject_reset,
  set_fail_prealloc,
} from '../vma_internal/fault_inject';
import {
  vma_registry,
} from '../vma_internal/registry';
import {
  mtree_destroy,
} from '../vma_internal/maple_tree';
import {
  vma_assert_attached,
  vma_assert_detached,
} from '../vma_internal/vma_lock';
import {
  vm_area_alloc,
  vm_area_free,
} from '../vma_internal/vma_alloc';
import {
  for_each_vma,
  vma_iter_next_range,
  vma_iter_set,
  vma_next,
  vma_prev,
  type Ref,
  type vma_iterator,
} from '../vma_internal/vma_iter';
import {
  current,
  DEFAULT_MAX_MAP_COUNT,
  set_sysctl_max_map_count,
} from '../vma_internal/mm_stubs';
import {
  VMA_MERGE_NOMERGE,
  VMA_MERGE_SUCCESS,
  vma_merge_state_name,
  type vma_merge_struct,
} from '../mm/vma_h';
import { vma_expand, vma_link, vma_merge_existing_range, vma_merge_new_range } from '../mm/vma';

/** The harness's static dummy_anon_vma (root NULL, all fields zero). */
export const dummy_anon_vma = new anon_vma();

/** A failed check inside a harness helper (the C helpers print and return). */
export class HarnessAssertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HarnessAssertError';
  }
}

/*
 * The C helpers trust their callers; this port is also driven by traces and
 * by users' own tests, so a range that no VMA could have is refused up front
 * (before anything is allocated or linked), naming the helper and the value.
 */
function check_vma_range(fn: string, start: unsigned_long, end: unsigned_long): void {
  check_vma_address(fn, 'start', start);
  check_vma_address(fn, 'end', end);
  if (start >= end) throw new RangeError(`${fn}: empty range [${hex_address(start)}, ${hex_address(end)})`);
}

/*
 * One end of check_vma_range()'s range.  Plain tests, nothing allocated
 * (alloc_and_link_vma() runs it for every VMA a build-up trace links: a
 * loop over an array of pairs cost more than the rest of the check).
 */
function check_vma_address(fn: string, what: string, v: unsigned_long): void {
  if (!Number.isSafeInteger(v) || v < 0 || v > TASK_SIZE) {
    throw new RangeError(`${fn}: ${what} ${hex_address(v)} is not an address below TASK_SIZE`);
  }
  if (v % PAGE_SIZE !== 0) throw new RangeError(`${fn}: ${what} ${hex_address(v)} is not page-aligned`);
}

/* An address for check_vma_range()'s messages. */
function hex_address(v: number): string {
  return Number.isSafeInteger(v) && v >= 0 ? `0x${v.toString(16)}` : String(v);
}

/** Allocate a VMA with the given range, offset and flags (detached); NULL if allocation fails. */
export function alloc_vma(
  mm: mm_struct,
  start: unsigned_long,
  end: unsigned_long,
  pgoff: pgoff_t,
  flags: vm_flags_t,
): vm_area_struct | null {
  check_vma_range('alloc_vma', start, end);
  const ret = vm_area_alloc(mm);

  if (ret === null) return null;

  ret.vm_start = start;
  ret.vm_end = end;
  ret.vm_pgoff = pgoff;
  ret.__vm_flags = flags;
  vma_assert_detached(ret);

  return ret;
}

/** Link a VMA into the tree; it must be attached afterwards. */
export function attach_vma(mm: mm_struct, vma: vm_area_struct): number {
  const res = vma_link(mm, vma);
  if (!res) vma_assert_attached(vma);
  return res;
}

/** Allocate a VMA and link it; the write mark linking leaves is cleared. */
export function alloc_and_link_vma(
  mm: mm_struct,
  start: unsigned_long,
  end: unsigned_long,
  pgoff: pgoff_t,
  flags: vm_flags_t,
): vm_area_struct | null {
  const vma = alloc_vma(mm, start, end, pgoff, flags);

  if (vma === null) return null;

  if (attach_vma(mm, vma)) {
    vm_area_free(vma);
    return null;
  }

  /* Linking started a write; forget it so tests only see their own. */
  vma.vm_lock_seq = UINT_MAX;

  return vma;
}

/* Merge a new range: find next and prev first, as the operation requires. */
export function merge_new(vmg: vma_merge_struct): vm_area_struct | null {
  const vmi = vmg.vmi as vma_iterator;
  vmg.next = vma_next(vmi);
  vmg.prev = vma_prev(vmi);
  vma_iter_next_range(vmi);

  const vma = vma_merge_new_range(vmg);
  if (vma) vma_assert_attached(vma);

  return vma;
}

/* Merge a modified range of an existing VMA. */
export function merge_existing(vmg: vma_merge_struct): vm_area_struct | null {
  const vma = vma_merge_existing_range(vmg);
  if (vma) vma_assert_attached(vma);
  return vma;
}

/* Expand an existing VMA. */
export function expand_existing(vmg: vma_merge_struct): number {
  return vma_expand(vmg);
}

/* Reset the merge state and reposition the iterator for a new range. */
export function vmg_set_range(
  vmg: vma_merge_struct,
  start: unsigned_long,
  end: unsigned_long,
  pgoff: pgoff_t,
  flags: vm_flags_t,
): void {
  vma_iter_set(vmg.vmi as vma_iterator, start);

  vmg.prev = null;
  vmg.middle = null;
  vmg.next = null;
  vmg.target = null;

  vmg.start = start;
  vmg.end = end;
  vmg.pgoff = pgoff;
  vmg.flags = flags;

  vmg.just_expand = false;
  vmg.__remove_middle = false;
  vmg.__remove_next = false;
  vmg.__adjust_middle_start = false;
  vmg.__adjust_next_start = false;
}

/*
 * Try to merge a new range; failing that, allocate a VMA for it and link it.
 * *was_merged says which happened.
 */
export function try_merge_new_vma(
  mm: mm_struct,
  vmg: vma_merge_struct,
  start: unsigned_long,
  end: unsigned_long,
  pgoff: pgoff_t,
  flags: vm_flags_t,
  was_merged: Ref<boolean>,
): vm_area_struct | null {
  vmg_set_range(vmg, start, end, pgoff, flags);

  const merged = merge_new(vmg);
  if (merged) {
    was_merged.value = true;
    if (vmg.state !== VMA_MERGE_SUCCESS) {
      throw new HarnessAssertError(`try_merge_new_vma: state ${vma_merge_state_name(vmg.state)}, want VMA_MERGE_SUCCESS`);
    }
    return merged;
  }

  was_merged.value = false;

  if (vmg.state !== VMA_MERGE_NOMERGE) {
    throw new HarnessAssertError(`try_merge_new_vma: state ${vma_merge_state_name(vmg.state)}, want VMA_MERGE_NOMERGE`);
  }

  return alloc_and_link_vma(mm, start, end, pgoff, flags);
}

/* Mark dummy_anon_vma as neither cloned nor unlinked. */
export function reset_dummy_anon_vma(): void {
  dummy_anon_vma.was_cloned = false;
  dummy_anon_vma.was_unlinked = false;
}

/*
 * Free every VMA in the tree and destroy it; returns how many VMAs there
 * were.  Also clears fail_prealloc and the dummy anon_vma's marks.
 */
export function cleanup_mm(mm: mm_struct, vmi: vma_iterator): number {
  let count = 0;

  set_fail_prealloc(false);
  reset_dummy_anon_vma();

  vma_iter_set(vmi, 0);
  for_each_vma(vmi, (vma) => {
    vm_area_free(vma);
    count++;
  });

  mtree_destroy(mm.mm_mt);
  mm.map_count = 0;
  return count;
}

/* Has vma_start_write() run on @vma since the last check?  Resets the mark. */
export function vma_write_started(vma: vm_area_struct): boolean {
  const seq = vma.vm_lock_seq | 0; /* read as a signed int */

  /* Reset after each check. */
  vma.vm_lock_seq = UINT_MAX;

  /* The vma_start_write() stub only increments the field. */
  return seq > -1;
}

/* A vm_ops->close() that does nothing. */
export function dummy_close(_vma: vm_area_struct): void {}

/**
 * Return the harness to its starting state: no warnings or maple-tree
 * checks recorded, a fresh allocation registry (ids from 1), every failure
 * point off, the default max_map_count, clean dummy anon_vma, and no mm for
 * the current task.
 */
export function harness_reset(): void {
  warn_reset();
  maple_check_reset();
  vma_registry.reset();
  fault_inject_reset();
  set_sysctl_max_map_count(DEFAULT_MAX_MAP_COUNT);
  reset_dummy_anon_vma();
  current.mm = null;
  current.personality = 0;
}
