// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Port of the per-VMA lock block of the v6.15 include/linux/mm.h (lines
 * ≈659–931), in the header's order, plus vma_init().
 *
 * vm_refcnt is the lock: 0 detached, 1 attached, +1 per reader, and
 * +VMA_LOCK_OFFSET while a writer keeps readers out.  A VMA is write-locked
 * while its vm_lock_seq equals its mm's mm_lock_seq.
 *
 * Lockdep annotations (vmlock_dep_map) are left out: they describe the lock
 * to lockdep and change nothing.  Functions defined in mm/memory.c but
 * declared here (__vma_start_write) are linked at load time by memory.ts,
 * as an extern declaration is in C.
 */

import { VM_BUG_ON_VMA, WARN_ON_ONCE } from '../vma_internal/bug';
import { EAGAIN, UINT_MAX } from '../vma_internal/constants';
import { ERR_PTR, type ErrPtr } from '../vma_internal/err';
import { INIT_LIST_HEAD } from '../vma_internal/list';
import { vma_dummy_vm_ops } from '../vma_internal/vma_alloc';
import { LOAD, READ_ONCE, STORE, type IntRef } from './atomic';
import { fixed, FIX_VMA_UAF } from './fixes';
import { kmm, VMA_LOCK_OFFSET, VMA_REF_LIMIT, type lock_mm_struct, type slab_vm_area_struct } from './mm_types';
import { mmap_assert_locked, mmap_assert_write_locked, mmap_read_unlock } from './mmap_lock';
import { rcuwait_wake_up } from './rcuwait';
import {
  __refcount_dec_and_test,
  __refcount_inc_not_zero_limited_acquire,
  refcount_read,
  refcount_set,
  refcount_set_release,
} from './refcount';
import { rcu_read_lock, rcu_read_unlock } from './sched';
import { mmdrop, mmgrab } from './sched_mm';
import { raw_read_seqcount } from './seqlock';
import { at, step, type Gen } from './step';

/* CONFIG_NUMA_BALANCING is off in the model: no scan state to set up or free. */
export function vma_numab_state_init(_vma: slab_vm_area_struct): void {}
/** Nothing to free (CONFIG_NUMA_BALANCING is off). */
export function vma_numab_state_free(_vma: slab_vm_area_struct): void {}

const S_LOCK_INIT_REFCNT = step('vma_lock_init', 'refcount_set(&vma->vm_refcnt, 0)');

/** Reset the lock of a VMA being (re)initialised: count 0 if asked, no write lock. */
export function* vma_lock_init(vma: slab_vm_area_struct, reset_refcnt: boolean): Gen<void> {
  if (reset_refcnt) {
    yield at(S_LOCK_INIT_REFCNT, vma);
    refcount_set(vma.mem.vm_refcnt, 0);
  }
  vma.vm_lock_seq = UINT_MAX;
}

/**
 * A count with the writer bit and no reader: VMA_LOCK_OFFSET for a detaching
 * writer, VMA_LOCK_OFFSET + 1 for a write-locking one.  Only the reader that
 * leaves such a count behind wakes the writer.
 */
export function is_vma_writer_only(refcnt: number): boolean {
  return (refcnt & VMA_LOCK_OFFSET) !== 0 && refcnt <= VMA_LOCK_OFFSET + 1;
}

const S_PUT_MM = step('vma_refcount_put', 'mm = vma->vm_mm (copied before the count drops)');

/** Drop a reader's count; the last reader wakes a waiting writer. */
export function* vma_refcount_put(vma: slab_vm_area_struct): Gen<void> {
  /* Once the count drops the VMA may be freed and reused: keep its mm now. */
  yield at(S_PUT_MM, vma);
  const mm = kmm(LOAD(vma.mem.vm_mm));
  const oldcnt: IntRef = { value: 0 };

  if (!(yield* __refcount_dec_and_test(vma.mem.vm_refcnt, oldcnt))) {
    if (is_vma_writer_only(oldcnt.value - 1)) yield* rcuwait_wake_up(mm.vma_writer_wait);
  }
}

const S_START_READ_EARLY = step('vma_start_read', 'READ_ONCE(vma->vm_lock_seq) == READ_ONCE(mm->mm_lock_seq.sequence)');
const S_START_READ_RECHECK = step('vma_start_read', 'vma->vm_lock_seq == raw_read_seqcount(&mm->mm_lock_seq)');
const S_START_READ_MM = step('vma_start_read', 'vma->vm_mm != mm (9bbffee67ffd)');

/**
 * Try to read-lock @vma, which the caller found in @mm's tree under RCU (it
 * may be a recycled object by now).  Returns the VMA with a reader's count
 * held, NULL when it is (or may be) write-locked or the reader limit is
 * reached (fall back to the mmap lock), or -EAGAIN when it was detached
 * after the caller found it (look again).  A false "locked" answer is
 * allowed (sequence wrap, or a VMA recycled into another mm), a false
 * "unlocked" one never.
 */
export function* vma_start_read(mm: lock_mm_struct, vma: slab_vm_area_struct): Gen<slab_vm_area_struct | ErrPtr | null> {
  const oldcnt: IntRef = { value: 0 };

  /* A racy early bail-out; its answer is not relied upon, so no ordering. */
  yield at(S_START_READ_EARLY, vma);
  if (READ_ONCE(vma.mem.vm_lock_seq) === READ_ONCE(mm.mm_lock_seq.sequence)) return null;

  /*
   * With VMA_LOCK_OFFSET set the increment fails, as the limit is below it.
   * Acquire: the checks below must not be satisfied by stale values.
   */
  if (!(yield* __refcount_inc_not_zero_limited_acquire(vma.mem.vm_refcnt, oldcnt, VMA_REF_LIMIT))) {
    /* A count of 0: detached since the caller found it. */
    return oldcnt.value ? null : ERR_PTR(-EAGAIN);
  }

  if (fixed(FIX_VMA_UAF)) {
    /*
     * Upstream after v6.15: a VMA recycled into another mm is dropped here,
     * with that mm pinned, so that the wake-up in vma_refcount_put() cannot
     * touch an mm that has been freed meanwhile.
     */
    yield at(S_START_READ_MM, vma);
    if (LOAD(vma.mem.vm_mm) !== mm) {
      const other_mm = kmm(LOAD(vma.mem.vm_mm));
      rcu_read_unlock();
      yield* mmgrab(other_mm);
      yield* vma_refcount_put(vma);
      yield* mmdrop(other_mm);
      rcu_read_lock();
      return null;
    }
  }

  /*
   * Acquire on the mm sequence: if vma_end_write_all() has just run, the
   * reader must see everything the writer did before it (pairs with the
   * release in mm_lock_seqcount_end()).  A wrapped sequence can only give a
   * false "locked".
   */
  yield at(S_START_READ_RECHECK, vma);
  if (LOAD(vma.mem.vm_lock_seq) === raw_read_seqcount(mm.mm_lock_seq)) {
    yield* vma_refcount_put(vma);
    return null;
  }

  return vma;
}

/**
 * Read-lock a VMA while holding the mmap read lock (no writer can exist, so
 * only a detached VMA or the reader limit make it fail).
 */
export function* vma_start_read_locked_nested(vma: slab_vm_area_struct, _subclass: number): Gen<boolean> {
  const oldcnt: IntRef = { value: 0 };

  mmap_assert_locked(kmm(vma.vm_mm));
  if (!(yield* __refcount_inc_not_zero_limited_acquire(vma.mem.vm_refcnt, oldcnt, VMA_REF_LIMIT))) return false;

  return true;
}

/** Take a VMA read lock while holding the mmap read lock (cannot fail there). */
export function vma_start_read_locked(vma: slab_vm_area_struct): Gen<boolean> {
  return vma_start_read_locked_nested(vma, 0);
}

/** Drop a VMA read lock. */
export function vma_end_read(vma: slab_vm_area_struct): Gen<void> {
  return vma_refcount_put(vma);
}

/**
 * Only with the mmap lock write-held: is @vma write-locked in this
 * write-hold?  The mm's sequence goes to @mm_lock_seq.  Neither field can
 * change under us, so plain reads.
 */
export function __is_vma_write_locked(vma: slab_vm_area_struct, mm_lock_seq: IntRef): boolean {
  const mm = kmm(LOAD(vma.mem.vm_mm));
  mmap_assert_write_locked(mm);

  mm_lock_seq.value = LOAD(mm.mm_lock_seq.sequence);
  return LOAD(vma.mem.vm_lock_seq) === mm_lock_seq.value;
}

/* Defined in mm/memory.c (memory.ts), declared in mm.h. */
let __vma_start_write_impl: ((vma: slab_vm_area_struct, mm_lock_seq: number) => Gen<void>) | null = null;

/** Link the definition of __vma_start_write() (memory.ts does, when loaded). */
export function link___vma_start_write(fn: (vma: slab_vm_area_struct, mm_lock_seq: number) => Gen<void>): void {
  __vma_start_write_impl = fn;
}

/* The declaration: calls the definition in memory.ts. */
function __vma_start_write(vma: slab_vm_area_struct, mm_lock_seq: number): Gen<void> {
  if (__vma_start_write_impl === null) throw new Error('__vma_start_write: mm/memory.c (src/lock/memory.ts) is not linked');
  return __vma_start_write_impl(vma, mm_lock_seq);
}

/**
 * Write-lock @vma until the mmap write lock is released or downgraded:
 * readers are kept out until then.  Cheap when already write-locked.
 */
export function* vma_start_write(vma: slab_vm_area_struct): Gen<void> {
  const mm_lock_seq: IntRef = { value: 0 };

  if (__is_vma_write_locked(vma, mm_lock_seq)) return;

  yield* __vma_start_write(vma, mm_lock_seq.value);
}

/** Warn unless the VMA is write-locked in the current write-hold. */
export function vma_assert_write_locked(vma: slab_vm_area_struct): void {
  const mm_lock_seq: IntRef = { value: 0 };

  VM_BUG_ON_VMA(!__is_vma_write_locked(vma, mm_lock_seq), vma, '!__is_vma_write_locked(vma, &mm_lock_seq)');
}

const S_ASSERT_LOCKED = step('vma_assert_locked', 'refcount_read(&vma->vm_refcnt)');

/** Some reader holds it (maybe not the caller), or it is write-locked. */
export function* vma_assert_locked(vma: slab_vm_area_struct): Gen<void> {
  const mm_lock_seq: IntRef = { value: 0 };

  yield at(S_ASSERT_LOCKED, vma);
  VM_BUG_ON_VMA(
    refcount_read(vma.mem.vm_refcnt) <= 1 && !__is_vma_write_locked(vma, mm_lock_seq),
    vma,
    'refcount_read(&vma->vm_refcnt) <= 1 && !__is_vma_write_locked(vma, &mm_lock_seq)',
  );
}

const S_ASSERT_ATTACHED = step('vma_assert_attached', 'refcount_read(&vma->vm_refcnt)');
const S_ASSERT_DETACHED = step('vma_assert_detached', 'refcount_read(&vma->vm_refcnt)');

/*
 * Only meaningful under the mmap write lock or on a VMA isolated under it
 * (otherwise vma_mark_attached()/vma_mark_detached() may race).
 */
export function* vma_assert_attached(vma: slab_vm_area_struct): Gen<void> {
  yield at(S_ASSERT_ATTACHED, vma);
  WARN_ON_ONCE(!refcount_read(vma.mem.vm_refcnt), '!refcount_read(&vma->vm_refcnt)', vma);
}

/** Warn unless the VMA is detached (vm_refcnt 0). */
export function* vma_assert_detached(vma: slab_vm_area_struct): Gen<void> {
  yield at(S_ASSERT_DETACHED, vma);
  WARN_ON_ONCE(refcount_read(vma.mem.vm_refcnt) !== 0, 'refcount_read(&vma->vm_refcnt)', vma);
}

const S_MARK_ATTACHED = step('vma_mark_attached', 'refcount_set_release(&vma->vm_refcnt, 1)');

/**
 * Make a write-locked, detached VMA attached.  The release store publishes
 * everything written to it before (range, mm, flags, vm_lock_seq) to a
 * reader whose acquire increment sees this 1.
 */
export function* vma_mark_attached(vma: slab_vm_area_struct): Gen<void> {
  vma_assert_write_locked(vma);
  yield* vma_assert_detached(vma);
  yield at(S_MARK_ATTACHED, vma);
  refcount_set_release(vma.mem.vm_refcnt, 1);
}

/* struct vm_fault, reduced to what release_fault_lock() looks at. */
export const FAULT_FLAG_VMA_LOCK = 1 << 12;

/** What the fault handler knows about a fault (the fields the lock asserts use). */
export interface vm_fault {
  vma: slab_vm_area_struct;
  flags: number;
}

/** Drop whichever lock the fault was handled under. */
export function* release_fault_lock(vmf: vm_fault): Gen<void> {
  if (vmf.flags & FAULT_FLAG_VMA_LOCK) yield* vma_end_read(vmf.vma);
  else yield* mmap_read_unlock(kmm(vmf.vma.vm_mm));
}

/** Assert the fault holds its VMA read lock or the mmap lock. */
export function* assert_fault_locked(vmf: vm_fault): Gen<void> {
  if (vmf.flags & FAULT_FLAG_VMA_LOCK) yield* vma_assert_locked(vmf.vma);
  else mmap_assert_locked(kmm(vmf.vma.vm_mm));
}

const S_VMA_INIT = step('vma_init', 'memset(vma, 0, sizeof(*vma))');

/** Zero a freshly allocated VMA and give it to @mm (detached, not write-locked). */
export function* vma_init(vma: slab_vm_area_struct, mm: lock_mm_struct): Gen<void> {
  yield at(S_VMA_INIT, vma);
  memset_vma(vma, mm);
  vma.vm_mm = mm;
  vma.vm_ops = vma_dummy_vm_ops;
  INIT_LIST_HEAD(vma.anon_vma_chain);
  yield* vma_lock_init(vma, false);
}

/* memset(vma, 0, sizeof(*vma)): every field, vm_refcnt included, in one step. */
function memset_vma(vma: slab_vm_area_struct, zero_mm: lock_mm_struct): void {
  const m = vma.mem;
  STORE(m.vm_start, 0);
  STORE(m.vm_end, 0);
  /*
   * vm_mm cannot be NULL here: the zeroed pointer is modelled by the mm the
   * next statement stores.  (A stale reader cannot use it in between: the
   * count is 0, so its increment fails.)
   */
  STORE(m.vm_mm, zero_mm);
  STORE(m.__vm_flags, 0n);
  STORE(m.vm_lock_seq, 0);
  STORE(m.anon_vma, null);
  STORE(m.vm_ops, null);
  STORE(m.vm_pgoff, 0);
  STORE(m.vm_file, null);
  STORE(m.vm_refcnt.refs, 0);
  vma.vm_page_prot = 0n;
  vma.vm_private_data = null;
}
