// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stubs that do nothing (or always answer the same) in the v6.15 harness:
 * page tables and TLB, rmap interval trees, uprobes, file references,
 * userfaultfd, khugepaged, KSM, perf, hugetlb, locks and the like.
 */

import { ENODEV, ENOMEM, type unsigned_long, type vm_flags_t } from './constants';
import { FP_MMAP_FILE, FP_SHMEM_ZERO_SETUP, FP_SIGNAL_PENDING, fault_should_fail } from './fault_inject';
import { vma_dummy_vm_ops } from './vma_alloc';
import type { address_space, file, mm_struct, mmu_gather, mutex, vm_area_struct, vm_userfaultfd_ctx } from './structs';
import type { ma_state } from './maple_tree';

export function might_sleep(): void {}
export function lru_add_drain(): void {}

export function tlb_gather_mmu(_tlb: mmu_gather, _mm: mm_struct): void {}
export function tlb_finish_mmu(_tlb: mmu_gather): void {}
export function unmap_vmas(
  _tlb: mmu_gather,
  _mas: ma_state<vm_area_struct>,
  _vma: vm_area_struct,
  _start_addr: unsigned_long,
  _end_addr: unsigned_long,
  _tree_end: unsigned_long,
  _mm_wr_locked: boolean,
): void {}
export function free_pgtables(
  _tlb: mmu_gather,
  _mas: ma_state<vm_area_struct>,
  _vma: vm_area_struct,
  _floor: unsigned_long,
  _ceiling: unsigned_long,
  _mm_wr_locked: boolean,
): void {}

export function flush_dcache_mmap_lock(_mapping: address_space): void {}
export function flush_dcache_mmap_unlock(_mapping: address_space): void {}
export function i_mmap_lock_write(_mapping: address_space): void {}
export function i_mmap_unlock_write(_mapping: address_space): void {}
export function vma_interval_tree_insert(_vma: vm_area_struct, _root: unknown): void {}
export function vma_interval_tree_remove(_vma: vm_area_struct, _root: unknown): void {}

export function uprobe_mmap(_vma: vm_area_struct): void {}
export function uprobe_munmap(_vma: vm_area_struct, _start: unsigned_long, _end: unsigned_long): void {}

export function get_file(f: file): file {
  return f;
}
export function fput(_f: file): void {}

/** Does not call vm_ops->close in the harness. */
export function vma_close(_vma: vm_area_struct): void {}

export function vma_adjust_trans_huge(
  _vma: vm_area_struct,
  _start: unsigned_long,
  _end: unsigned_long,
  _next: vm_area_struct | null,
): void {}

/** No stub in the v6.15 harness; the port needs one (upstream added this no-op after v6.15). */
export function fixup_hugetlb_reservations(_vma: vm_area_struct): void {}

export function is_mergeable_vm_userfaultfd_ctx(_vma: vm_area_struct, _ctx: vm_userfaultfd_ctx): boolean {
  return true;
}
export function userfaultfd_unmap_prep(
  _vma: vm_area_struct,
  _start: unsigned_long,
  _end: unsigned_long,
  _unmaps: unknown,
): number {
  return 0;
}
export function userfaultfd_unmap_complete(_mm: mm_struct, _uf: unknown): void {}
export function userfaultfd_wp(_vma: vm_area_struct): boolean {
  return false;
}

export function khugepaged_enter_vma(_vma: vm_area_struct, _vm_flags: vm_flags_t): void {}
export function ksm_add_vma(_vma: vm_area_struct): void {}
export function perf_event_mmap(_vma: vm_area_struct): void {}

export function is_vm_hugetlb_page(_vma: vm_area_struct): boolean {
  return false;
}
export function vma_soft_dirty_enabled(_vma: vm_area_struct): boolean {
  return false;
}
export function vma_is_dax(_vma: vm_area_struct): boolean {
  return false;
}
export function get_gate_vma(_mm: mm_struct): vm_area_struct | null {
  return null;
}
/** No VMA of the harness maps a secretmem file (used by the mlockall driver). */
export function vma_is_secretmem(_vma: vm_area_struct): boolean {
  return false;
}
export function arch_validate_flags(_flags: vm_flags_t): boolean {
  return true;
}

export function call_mmap(_file: file, _vma: vm_area_struct): number {
  return 0;
}
/**
 * The file's ->mmap() hook succeeds, unless its failure point stands for a
 * driver refusing: then, as the kernel's mmap_file() does on error, the VMA
 * gets the dummy vm_ops, and -ENODEV is returned.
 */
export function mmap_file(_file: file, vma: vm_area_struct): number {
  if (fault_should_fail(FP_MMAP_FILE)) {
    vma.vm_ops = vma_dummy_vm_ops;
    return -ENODEV;
  }
  return 0;
}
/** Succeeds, unless its failure point stands for shmem_kernel_file_setup() failing (-ENOMEM, VMA untouched). */
export function shmem_zero_setup(_vma: vm_area_struct): number {
  return fault_should_fail(FP_SHMEM_ZERO_SETUP) ? -ENOMEM : 0;
}

export function mutex_lock(_m: mutex): void {}
export function mutex_unlock(_m: mutex): void {}
export function mutex_is_locked(_m: mutex): boolean {
  return true;
}
export function down_write_nest_lock(_sem: unknown, _nest: unknown): void {}
/** No signal, unless its failure point delivers one. */
export function signal_pending(_task: unknown): boolean {
  return fault_should_fail(FP_SIGNAL_PENDING);
}

/* Diagnostics used by validate_mm(): quiet unless asked for. */
export function pr_emerg(msg: string): void {
  if (process.env.VMA_HARNESS_VERBOSE === '1') process.stderr.write(`${msg}\n`);
}
export function dump_stack(): void {}
export function dump_vma(vma: vm_area_struct): void {
  pr_emerg(vma.describe());
}
