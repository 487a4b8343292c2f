// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Port of the v6.15 include/linux/mmap_lock.h, in the header's order
 * (tracepoints are no-ops and left out; mmap_init_lock() moved to
 * kernel/fork.c before v6.15 and lives in fork.ts).
 *
 * mm_lock_seq is odd exactly while the mmap lock is write-held.  A VMA is
 * write-locked while its vm_lock_seq equals the current value, so ending the
 * write-hold (unlock or downgrade) unlocks every VMA at once: there is no
 * per-VMA write unlock.
 */

import { KernelBug } from '../vma_internal/bug';
import type { lock_mm_struct } from './mm_types';
import {
  down_read,
  down_read_killable,
  down_read_trylock,
  down_write,
  down_write_killable,
  downgrade_write,
  rwsem_assert_held,
  rwsem_assert_held_write,
  up_read,
  up_write,
} from './rwsem';
import { current } from './sched';
import {
  do_raw_write_seqcount_begin,
  do_raw_write_seqcount_end,
  raw_seqcount_try_begin,
  read_seqcount_retry,
  seqcount_init,
} from './seqlock';
import { at, step, type Gen } from './step';

/** Warn unless the mmap lock is held (read or write). */
export function mmap_assert_locked(mm: lock_mm_struct): void {
  rwsem_assert_held(mm.mmap_lock);
}

/** Warn unless the mmap lock is write-held. */
export function mmap_assert_write_locked(mm: lock_mm_struct): void {
  rwsem_assert_held_write(mm.mmap_lock);
}

/* KCSAN's ASSERT_EXCLUSIVE_WRITER(mm->mm_lock_seq): only the write-holder may write it. */
function ASSERT_EXCLUSIVE_WRITER_mm_lock_seq(mm: lock_mm_struct): void {
  if (mm.mmap_lock.owner !== current) {
    throw new KernelBug('KCSAN', `concurrent writer of mm_lock_seq of ${mm.describe()} (${current.describe()} does not hold mmap_lock for write)`);
  }
}

/** Start the mm sequence at 0 (no writer). */
export function mm_lock_seqcount_init(mm: lock_mm_struct): void {
  seqcount_init(mm.mm_lock_seq);
}

const S_SEQ_BEGIN = step('mm_lock_seqcount_begin', 'mm->mm_lock_seq.sequence++ (odd); smp_wmb()');
const S_SEQ_END = step('mm_lock_seqcount_end', 'smp_wmb(); mm->mm_lock_seq.sequence++ (even)');

/** Make the mm sequence odd: a writer holds the mmap lock. */
export function* mm_lock_seqcount_begin(mm: lock_mm_struct): Gen<void> {
  yield at(S_SEQ_BEGIN, mm);
  do_raw_write_seqcount_begin(mm.mm_lock_seq);
}

/** Make the mm sequence even again (release): the write-hold is over. */
export function* mm_lock_seqcount_end(mm: lock_mm_struct): Gen<void> {
  ASSERT_EXCLUSIVE_WRITER_mm_lock_seq(mm);
  yield at(S_SEQ_END, mm);
  do_raw_write_seqcount_end(mm.mm_lock_seq);
}

const S_SPEC_BEGIN = step('mmap_lock_speculate_try_begin', 'raw_read_seqcount(&mm->mm_lock_seq)');
const S_SPEC_RETRY = step('mmap_lock_speculate_retry', 'read_seqcount_retry(&mm->mm_lock_seq, seq)');

/**
 * Start a lockless section that must not overlap a write-hold: false (take
 * the lock instead) when the mmap lock is write-held right now.
 */
export function* mmap_lock_speculate_try_begin(mm: lock_mm_struct, seq: { value: number }): Gen<boolean> {
  yield at(S_SPEC_BEGIN, mm);
  return raw_seqcount_try_begin(mm.mm_lock_seq, seq);
}

/** Did a write-hold begin or end since @seq? */
export function* mmap_lock_speculate_retry(mm: lock_mm_struct, seq: number): Gen<boolean> {
  yield at(S_SPEC_RETRY, mm);
  return read_seqcount_retry(mm.mm_lock_seq, seq);
}

/** Take the mmap lock for write and open a write-hold. */
export function* mmap_write_lock(mm: lock_mm_struct): Gen<void> {
  yield* down_write(mm.mmap_lock);
  yield* mm_lock_seqcount_begin(mm);
}

/** Lockdep subclasses are not modelled: as mmap_write_lock(). */
export function* mmap_write_lock_nested(mm: lock_mm_struct, _subclass: number): Gen<void> {
  yield* down_write(mm.mmap_lock);
  yield* mm_lock_seqcount_begin(mm);
}

/** The sequence only begins when the lock was obtained. */
export function* mmap_write_lock_killable(mm: lock_mm_struct): Gen<number> {
  const ret = yield* down_write_killable(mm.mmap_lock);
  if (!ret) yield* mm_lock_seqcount_begin(mm);
  return ret;
}

/**
 * Drop every VMA write lock of this write-hold (the only way to release
 * one), just before the mmap lock is released or downgraded.
 */
export function vma_end_write_all(mm: lock_mm_struct): Gen<void> {
  mmap_assert_write_locked(mm);
  return mm_lock_seqcount_end(mm);
}

/** End the write-hold (every VMA write lock with it) and release the lock. */
export function* mmap_write_unlock(mm: lock_mm_struct): Gen<void> {
  yield* vma_end_write_all(mm);
  yield* up_write(mm.mmap_lock);
}

/** End the write-hold and keep the lock for read. */
export function* mmap_write_downgrade(mm: lock_mm_struct): Gen<void> {
  yield* vma_end_write_all(mm);
  yield* downgrade_write(mm.mmap_lock);
}

/** Take the mmap lock for read. */
export function mmap_read_lock(mm: lock_mm_struct): Gen<void> {
  return down_read(mm.mmap_lock);
}

/** Take the mmap lock for read (no signal can interrupt it in the model: 0). */
export function mmap_read_lock_killable(mm: lock_mm_struct): Gen<number> {
  return down_read_killable(mm.mmap_lock);
}

/** Take the mmap lock for read if no writer holds it. */
export function mmap_read_trylock(mm: lock_mm_struct): Gen<boolean> {
  return down_read_trylock(mm.mmap_lock);
}

/** Release a read hold of the mmap lock. */
export function mmap_read_unlock(mm: lock_mm_struct): Gen<void> {
  return up_read(mm.mmap_lock);
}
