// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Port of the VMA and mm lifetime parts of the v6.15 kernel/fork.c, in the
 * file's order: vm_area_cachep and vm_area_alloc(), vm_area_init_from(),
 * vm_area_dup(), vm_area_free(); mmap_init_lock(); __mmdrop(); mm_alloc();
 * mmput(); proc_caches_init().  dup_mmap() is not ported (the model has no
 * fork).
 */

import { BUG_ON } from '../vma_internal/bug';
import { INIT_LIST_HEAD } from '../vma_internal/list';
import { mm_struct } from '../vma_internal/structs';
import { atomic_dec_and_test, atomic_set, STORE } from './atomic';
import { lock_mm_struct, slab_vm_area_struct } from './mm_types';
import { vma_assert_detached, vma_init, vma_lock_init, vma_numab_state_free, vma_numab_state_init } from './mm_h';
import { mm_lock_seqcount_init } from './mmap_lock';
import { exit_mmap } from './mmap';
import { rcuwait_init } from './rcuwait';
import { link___mmdrop, mmdrop } from './sched_mm';
import { kmem_cache, kmem_cache_alloc, kmem_cache_free, SLAB_ACCOUNT, SLAB_HWCACHE_ALIGN, SLAB_PANIC, SLAB_TYPESAFE_BY_RCU } from './slab';
import { at, step, type Gen } from './step';

/* What a brand-new slab object's vm_mm points at before vma_init(): nothing valid. */
const slab_garbage_mm = new mm_struct();

/** SLAB cache for vm_area_struct structures (created by proc_caches_init()). */
export let vm_area_cachep: kmem_cache<slab_vm_area_struct>;

/** A new, detached VMA of @mm (count 0, not write-locked). */
export function* vm_area_alloc(mm: lock_mm_struct): Gen<slab_vm_area_struct | null> {
  const vma = yield* kmem_cache_alloc(vm_area_cachep);

  if (!vma) return null;

  yield* vma_init(vma, mm);

  return vma;
}

/*
 * Copy exactly these members; vm_refcnt, vm_lock_seq, anon_vma_chain and
 * the NUMA scan state are deliberately left alone (the caller resets them).
 * Each copy is a plain store into an object stale readers may still see.
 */
function vm_area_init_from(src: slab_vm_area_struct, dest: slab_vm_area_struct): void {
  dest.vm_mm = src.vm_mm;
  dest.vm_ops = src.vm_ops;
  dest.vm_start = src.vm_start;
  dest.vm_end = src.vm_end;
  dest.anon_vma = src.anon_vma;
  dest.vm_pgoff = src.vm_pgoff;
  dest.vm_file = src.vm_file;
  dest.vm_private_data = src.vm_private_data;
  /* vm_flags_init() */
  dest.__vm_flags = src.vm_flags;
  dest.vm_page_prot = src.vm_page_prot;
  /* (shared.rb: no i_mmap tree in the model.) */
  dest.vm_userfaultfd_ctx = src.vm_userfaultfd_ctx;
  /* (anon_name, swap_readahead_info, vm_region, vm_policy: not modelled.) */
}

/**
 * A detached copy of @orig.  The new object may be a VMA freed a moment ago
 * that stale readers still point at: its count is 0, so they cannot lock it,
 * and vma_lock_init() keeps it 0 until the copy is attached.
 */
export function* vm_area_dup(orig: slab_vm_area_struct): Gen<slab_vm_area_struct | null> {
  const neu = yield* kmem_cache_alloc(vm_area_cachep);

  if (!neu) return null;

  /* (ASSERT_EXCLUSIVE_WRITER on orig's flags and file: the mmap write lock guarantees it.) */
  vm_area_init_from(orig, neu);
  yield* vma_lock_init(neu, true);
  INIT_LIST_HEAD(neu.anon_vma_chain);
  vma_numab_state_init(neu);
  /* (dup_anon_vma_name(), untrack_pfn_clear(): nothing to do in the model.) */

  return neu;
}

/** Free a VMA, which must be detached; its memory may be reused at once. */
export function* vm_area_free(vma: slab_vm_area_struct): Gen<void> {
  /* The VMA must be detached while being destroyed. */
  yield* vma_assert_detached(vma);
  vma_numab_state_free(vma);
  /* (free_anon_vma_name()) */
  yield* kmem_cache_free(vm_area_cachep, vma);
}

/** Initialise the mmap lock, its sequence and the writer slot of a new mm. */
export function mmap_init_lock(mm: lock_mm_struct): void {
  /* init_rwsem(&mm->mmap_lock) */
  mm.mmap_lock.count.v = 0;
  mm.mmap_lock.owner = null;
  mm.mmap_lock.readers.clear();
  mm_lock_seqcount_init(mm);
  rcuwait_init(mm.vma_writer_wait);
}

const S_FREE_MM = step('__mmdrop', 'free_mm(mm)');

/** The last mm_count reference is gone: free the mm_struct. */
export function* __mmdrop(mm: lock_mm_struct): Gen<void> {
  BUG_ON(mm.__mm_id === 0, 'mm == &init_mm');
  /* (lazy TLB shootdown, page directory, context, notifiers, counters) */
  yield at(S_FREE_MM, mm);
  mm.__freed = true;
}
link___mmdrop(__mmdrop);

/** A new, empty mm with one user (the caller). */
export function mm_alloc(): lock_mm_struct {
  const mm = new lock_mm_struct();
  /* mm_init() */
  mmap_init_lock(mm);
  atomic_set(mm.mm_users, 1);
  atomic_set(mm.mm_count, 1);
  return mm;
}

/* The last user is gone: tear the address space down, drop mm_users' mm_count. */
function* __mmput(mm: lock_mm_struct): Gen<void> {
  BUG_ON(mm.mm_users.v !== 0, 'atomic_read(&mm->mm_users)');
  /* (uprobes, aio, KSM, khugepaged: not modelled) */
  yield* exit_mmap(mm);
  /* (huge zero folio, exe_file, mmlist, binfmt, lru_gen) */
  yield* mmdrop(mm);
}

const S_MMPUT = step('mmput', 'atomic_dec_and_test(&mm->mm_users)');

/** A user of the address space is done; the last one tears it down. */
export function* mmput(mm: lock_mm_struct): Gen<void> {
  yield at(S_MMPUT, mm);
  if (atomic_dec_and_test(mm.mm_users)) yield* __mmput(mm);
}

/** Create the caches (boot time; the model calls it when loaded). */
export function proc_caches_init(): void {
  vm_area_cachep = new kmem_cache<slab_vm_area_struct>(
    'vm_area_struct',
    SLAB_HWCACHE_ALIGN | SLAB_PANIC | SLAB_TYPESAFE_BY_RCU | SLAB_ACCOUNT,
    {
      create: (slot) => new slab_vm_area_struct(slot, slab_garbage_mm),
      /* .freeptr_offset = offsetof(struct vm_area_struct, vm_freeptr): over vm_start. */
      set_freeptr: (vma, link) => STORE(vma.mem.vm_start, link),
      slot_of: (vma) => vma.__slot,
    },
  );
}
proc_caches_init();
