// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which paths the fuzzed commands took.
 *
 * Merge cases: the paths of vma_merge_existing_range(), vma_merge_new_range()
 * and vma_expand() the merge_existing / merge_new / expand steps took, read
 * off the vma_merge_struct each one leaves behind on the port.
 *
 * Paths: the other rules and every error path that fault injection opens,
 * as the reference model names them while it predicts a command (the port
 * agreed with the model on every such command, or the run failed).
 */

import {
  VMA_MERGE_ERROR_NOMEM,
  VMA_MERGE_NOMERGE,
  VMA_MERGE_START,
  VMA_MERGE_SUCCESS,
  type vma_merge_struct,
} from '../mm/vma_h';

/** The merge cases, read off the vma_merge_struct. */
export const MERGE_CASES = [
  'existing:left',
  'existing:right',
  'existing:both',
  'existing:adjust_middle_start',
  'existing:adjust_next_start',
  'existing:remove_middle',
  'existing:remove_next',
  'existing:nomerge',
  'existing:nomem',
  'new:left',
  'new:right',
  'new:both',
  'new:nomerge',
  'new:nomem',
  'expand:plain',
  'expand:remove_next',
  'expand:nomem',
] as const;
/** One merge case. */
export type MergeCase = (typeof MERGE_CASES)[number];

/** The other paths, with what each means (all reached by the default campaign). */
export const PATH_ROWS: readonly (readonly [string, string])[] = [
  ['brk:expand', 'do_brk_flags() grows the heap VMA'],
  ['brk:new_vma', 'do_brk_flags() maps a new VMA'],
  ['stack:grow', 'expand_downwards() grows a stack'],
  ['stack:guard_gap', 'expand_downwards() refused by the stack guard gap'],
  ['gap:bottom_up', 'unmapped_area() finds an area'],
  ['gap:top_down', 'unmapped_area_topdown() finds an area'],
  ['gap:stack_guard_retry', 'the gap search retries past a stack guard gap'],
  ['gap:none', 'the gap search finds nothing (-ENOMEM)'],
  ['uffd:give_up_on_oom', 'vma_modify_flags_uffd() gives up a merge on OOM'],
  ['find_mergeable_anon_vma:next', "find_mergeable_anon_vma() reuses next's anon_vma"],
  ['find_mergeable_anon_vma:prev', "find_mergeable_anon_vma() reuses prev's anon_vma"],
  ['vms_abort_munmap_vmas:reattach', 'mmap refused after gathering: the old VMAs re-attached'],
  ['vms_abort_munmap_vmas:hole', 'mmap failed after clearing: a hole where the old VMAs were'],
  ['err:alloc_and_link:vm_area_alloc', 'vm_area_alloc() NULL in the harness helper'],
  ['err:vma_link:vma_iter_prealloc', 'vma_link() preallocation fails'],
  ['err:vma_shrink:vma_iter_prealloc', 'vma_shrink() preallocation fails'],
  ['err:split_vma:max_map_count', 'split_vma() at sysctl_max_map_count'],
  ['err:__split_vma:vm_area_dup', '__split_vma(): vm_area_dup() NULL'],
  ['err:__split_vma:vma_iter_prealloc', '__split_vma(): preallocation fails'],
  ['err:__split_vma:anon_vma_clone', '__split_vma(): anon_vma_clone() fails (out_free_mpol)'],
  ['err:vma_merge_existing_range:abort', 'vma_merge_existing_range(): dup_anon_vma() fails (abort:)'],
  ['err:vma_expand:dup_anon_vma', 'vma_expand(): dup_anon_vma() fails'],
  ['err:copy_vma:vm_area_dup', 'copy_vma(): vm_area_dup() NULL'],
  ['err:copy_vma:anon_vma_clone', 'copy_vma(): anon_vma_clone() fails (out_free_mempol)'],
  ['err:copy_vma:vma_link', 'copy_vma(): vma_link() fails (out_vma_link)'],
  ['err:vms_gather_munmap_vmas:max_map_count', 'vms_gather_munmap_vmas(): map_count_exceeded'],
  ['err:vms_gather_munmap_vmas:mas_store_gfp', 'vms_gather_munmap_vmas(): munmap_gather_failed'],
  ['err:do_vmi_align_munmap:vma_iter_clear_gfp', 'do_vmi_align_munmap(): clear_tree_failed'],
  ['err:__vm_munmap:mmap_write_lock_killable', '__vm_munmap(): killed waiting for the lock'],
  ['err:__mmap_prepare:may_expand_vm', '__mmap_prepare(): address space limit'],
  ['err:__mmap_prepare:security_vm_enough_memory_mm', '__mmap_prepare(): commit charge refused'],
  ['err:__mmap_new_vma:vm_area_alloc', '__mmap_new_vma(): vm_area_alloc() NULL'],
  ['err:__mmap_new_vma:vma_iter_prealloc', '__mmap_new_vma(): preallocation fails'],
  ['err:__mmap_new_file_vma:mmap_file', "__mmap_new_file_vma(): the driver's mmap fails (unmap_region)"],
  ['err:__mmap_new_vma:shmem_zero_setup', '__mmap_new_vma(): shmem_zero_setup() fails'],
  ['err:do_brk_flags:may_expand_vm', 'do_brk_flags(): address space limit'],
  ['err:do_brk_flags:max_map_count', 'do_brk_flags(): above sysctl_max_map_count'],
  ['err:do_brk_flags:security_vm_enough_memory_mm', 'do_brk_flags(): commit charge refused'],
  ['err:do_brk_flags:vma_expand', 'do_brk_flags(): expanding the heap fails'],
  ['err:do_brk_flags:vm_area_alloc', 'do_brk_flags(): vm_area_alloc() NULL'],
  ['err:do_brk_flags:mas_store_gfp', 'do_brk_flags(): mas_store_fail'],
  ['err:expand_downwards:vma_iter_prealloc', 'expand_downwards(): preallocation fails'],
  ['err:expand_downwards:anon_vma_prepare', 'expand_downwards(): anon_vma_prepare() fails'],
  ['err:acct_stack_growth:may_expand_vm', 'acct_stack_growth(): address space limit'],
  ['err:acct_stack_growth:mlock_future_ok', 'acct_stack_growth(): mlock limit'],
  ['err:acct_stack_growth:security_vm_enough_memory_mm', 'acct_stack_growth(): commit charge refused'],
  ['err:mm_take_all_locks:signal_pending', 'mm_take_all_locks(): interrupted'],
  ['mlock:lock', 'mlock_fixup() locks a VMA (mlockall)'],
  ['mlock:unlock', 'mlock_fixup() unlocks a VMA (munlockall)'],
  ['err:mlock_fixup:vma_modify_flags', "mlock_fixup(): vma_modify_flags() fails, apply_mlockall_flags() walks on"],
  ['err:mlockall:mmap_write_lock_killable', 'mlockall()/munlockall(): killed waiting for the lock'],
];

/** Counts of the merge cases and the other paths. */
export class MergeCoverage {
  readonly counts = new Map<MergeCase, number>(MERGE_CASES.map((c) => [c, 0]));
  readonly paths = new Map<string, number>(PATH_ROWS.map(([p]) => [p, 0]));

  private hit(c: MergeCase): void {
    this.counts.set(c, (this.counts.get(c) ?? 0) + 1);
  }

  /** Count the paths one merge step took. */
  record(op: string, vmg: vma_merge_struct): void {
    if (op === 'merge_existing') {
      if (vmg.state === VMA_MERGE_NOMERGE) return this.hit('existing:nomerge');
      if (vmg.state === VMA_MERGE_ERROR_NOMEM) return this.hit('existing:nomem');
      if (vmg.state !== VMA_MERGE_SUCCESS) return;
      if (vmg.target === vmg.prev && vmg.__remove_next) this.hit('existing:both');
      else if (vmg.target === vmg.prev) this.hit('existing:left');
      else this.hit('existing:right');
      if (vmg.__adjust_middle_start) this.hit('existing:adjust_middle_start');
      if (vmg.__adjust_next_start) this.hit('existing:adjust_next_start');
      if (vmg.__remove_middle) this.hit('existing:remove_middle');
      if (vmg.__remove_next) this.hit('existing:remove_next');
    } else if (op === 'merge_new') {
      if (vmg.state === VMA_MERGE_NOMERGE) return this.hit('new:nomerge');
      if (vmg.state === VMA_MERGE_ERROR_NOMEM) return this.hit('new:nomem');
      if (vmg.state !== VMA_MERGE_SUCCESS) return;
      if (vmg.middle === vmg.prev && vmg.__remove_next) this.hit('new:both');
      else if (vmg.middle === vmg.prev) this.hit('new:left');
      else this.hit('new:right');
    } else if (op === 'expand') {
      if (vmg.state === VMA_MERGE_ERROR_NOMEM) return this.hit('expand:nomem');
      if (vmg.state !== VMA_MERGE_START) return;
      this.hit(vmg.__remove_next ? 'expand:remove_next' : 'expand:plain');
    }
  }

  /** Count the paths the model named for one command (unknown names are ignored). */
  recordPaths(paths: readonly string[]): void {
    for (const p of paths) {
      const n = this.paths.get(p);
      if (n !== undefined) this.paths.set(p, n + 1);
    }
  }

  merge(other: MergeCoverage): void {
    for (const [c, n] of other.counts) this.counts.set(c, (this.counts.get(c) ?? 0) + n);
    for (const [p, n] of other.paths) this.paths.set(p, (this.paths.get(p) ?? 0) + n);
  }

  /** The cases and paths never reached. */
  missing(): string[] {
    return [
      ...MERGE_CASES.filter((c) => (this.counts.get(c) ?? 0) === 0),
      ...PATH_ROWS.map(([p]) => p).filter((p) => (this.paths.get(p) ?? 0) === 0),
    ];
  }

  /** Every row with its count. */
  rows(): [string, number][] {
    return [...this.counts, ...this.paths];
  }

  format(): string {
    return this.rows()
      .map(([c, n]) => `${c}=${n}`)
      .join(' ');
  }
}
