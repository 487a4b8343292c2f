// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Port of exit_mmap() from the v6.15 mm/mmap.c: the address space of an
 * exiting process is torn down.  Pages are unmapped under the mmap read
 * lock; then, under the write lock, free_pgtables() write-locks every VMA
 * and each one is detached (vma_mark_detached(), which may wait for readers
 * that hold a transient count) before remove_vma() frees it.
 */

import { BUG_ON } from '../vma_internal/bug';
import { FIRST_USER_ADDRESS, ULONG_MAX, USER_PGTABLES_CEILING, VM_ACCOUNT } from '../vma_internal/constants';
import { __mt_destroy } from '../vma_internal/maple_tree';
import { __test_and_set_bit, vm_unacct_memory } from '../vma_internal/mm_stubs';
import { tlb_finish_mmu, tlb_gather_mmu, unmap_vmas } from '../vma_internal/noops';
import { mmu_gather } from '../vma_internal/structs';
import { vma_iter_set, VMA_ITERATOR, vma_next } from '../vma_internal/vma_iter';
import { remove_vma } from '../mm/vma';
import { vma_pages } from '../vma_internal/vma_helpers';
import { free_pgtables, vma_mark_detached } from './memory';
import { kvma, type lock_mm_struct } from './mm_types';
import { mmap_read_lock, mmap_read_unlock, mmap_write_lock, mmap_write_unlock } from './mmap_lock';
import type { Gen } from './step';

/** The mm's memory is gone: the OOM reaper may skip it (include/linux/mm_types.h). */
const MMF_OOM_SKIP = 21;

/** Release all mappings of @mm (its last user has gone). */
export function* exit_mmap(mm: lock_mm_struct): Gen<void> {
  const tlb = new mmu_gather();
  let nr_accounted = 0;
  const vmi = VMA_ITERATOR(mm, 0);
  let count = 0;

  /* (mmu_notifier_release()) */

  yield* mmap_read_lock(mm);
  /* (arch_exit_mmap()) */

  const first = vma_next(vmi);
  if (!first) {
    yield* mmap_read_unlock(mm);
    yield* mmap_write_lock(mm);
  } else {
    let vma = kvma(first);
    /* (flush_cache_mm()) */
    tlb_gather_mmu(tlb, mm);
    /* Every VMA of the mm is unmapped (ULONG_MAX). */
    unmap_vmas(tlb, vmi.mas, vma, 0, ULONG_MAX, ULONG_MAX, false);
    yield* mmap_read_unlock(mm);

    /* Hide the task from the OOM killer: its memory is already gone. */
    __test_and_set_bit(MMF_OOM_SKIP, mm, 'flags');
    yield* mmap_write_lock(mm);
    /* (mt_clear_in_rcu(): the stand-in tree has no RCU mode to leave.) */
    vma_iter_set(vmi, vma.vm_end);
    yield* free_pgtables(tlb, vmi.mas, vma, FIRST_USER_ADDRESS, USER_PGTABLES_CEILING, true);
    tlb_finish_mmu(tlb);

    /* Walk the VMAs again, freeing each, with only the (unreachable) write lock. */
    vma_iter_set(vmi, vma.vm_end);
    for (;;) {
      if (vma.vm_flags & VM_ACCOUNT) nr_accounted += vma_pages(vma);
      yield* vma_mark_detached(vma);
      remove_vma(vma);
      count++;
      /* (cond_resched()) */
      const next = vma_next(vmi);
      if (!next) break;
      vma = kvma(next);
    }

    BUG_ON(count !== mm.map_count, 'count != mm->map_count');
  }

  /* destroy: */
  __mt_destroy(mm.mm_mt);
  yield* mmap_write_unlock(mm);
  vm_unacct_memory(nr_accounted);
}
