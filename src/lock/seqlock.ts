// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The seqcount_t operations mmap_lock.h builds on, with the semantics of
 * include/linux/seqlock.h (not ported line by line): the writer increments
 * the sequence (odd while writing) with a write barrier after the first
 * increment and before the second; a reader's raw_read_seqcount() is a load
 * followed by a read barrier (an acquire); read_seqcount_retry() is a read
 * barrier and a re-read.
 */

import { atomic_fetch_add_relaxed, READ_ONCE, smp_rmb, smp_wmb } from './atomic';
import type { seqcount_t } from './mm_types';

/** Start a sequence at 0. */
export function seqcount_init(s: seqcount_t): void {
  s.sequence.v = 0;
}

/*
 * The single writer's `sequence++` is a load and a store that depends on it;
 * it is modelled as a relaxed atomic increment, so that the next writer's
 * increment carries on what the previous writer published (as the
 * dependency does on real hardware).
 */
function sequence_inc(s: seqcount_t): void {
  atomic_fetch_add_relaxed(1, s.sequence);
}

/** sequence++ (now odd), then smp_wmb(): the single writer's begin. */
export function do_raw_write_seqcount_begin(s: seqcount_t): void {
  sequence_inc(s);
  smp_wmb();
}

/** smp_wmb(), then sequence++ (now even): publishes what was written in between. */
export function do_raw_write_seqcount_end(s: seqcount_t): void {
  smp_wmb();
  sequence_inc(s);
}

/** The sequence, read with acquire semantics (load, then smp_rmb()). */
export function raw_read_seqcount(s: seqcount_t): number {
  const seq = READ_ONCE(s.sequence);
  smp_rmb();
  return seq;
}

/** raw_read_seqcount() into @start; false while a write is in progress. */
export function raw_seqcount_try_begin(s: seqcount_t, start: { value: number }): boolean {
  start.value = raw_read_seqcount(s);
  return !(start.value & 1);
}

/** Did the sequence move since @start? */
export function read_seqcount_retry(s: seqcount_t, start: number): boolean {
  smp_rmb();
  return READ_ONCE(s.sequence) !== start;
}
