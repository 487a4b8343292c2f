// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mm_struct lifetime, from include/linux/sched/mm.h: mm_count pins the
 * struct (mmgrab/mmdrop), mm_users pins the address space (mmget/mmput, the
 * latter in kernel/fork.c).  The last mmput() tears the address space down
 * (exit_mmap()) and drops mm_users' own mm_count; the last mmdrop() frees
 * the struct.  __mmdrop() is defined in kernel/fork.c (fork.ts) and linked
 * at load time.
 */

import { atomic_dec_and_test, atomic_inc } from './atomic';
import type { lock_mm_struct } from './mm_types';
import { at, step, type Gen } from './step';

let __mmdrop_impl: ((mm: lock_mm_struct) => Gen<void>) | null = null;

/** Link the definition of __mmdrop() (fork.ts does, when loaded). */
export function link___mmdrop(fn: (mm: lock_mm_struct) => Gen<void>): void {
  __mmdrop_impl = fn;
}

function* __mmdrop(mm: lock_mm_struct): Gen<void> {
  if (__mmdrop_impl === null) throw new Error('__mmdrop: kernel/fork.c (src/lock/fork.ts) is not linked');
  yield* __mmdrop_impl(mm);
}

const S_MMGRAB = step('mmgrab', 'atomic_inc(&mm->mm_count)');
const S_MMDROP = step('mmdrop', 'atomic_dec_and_test(&mm->mm_count)');
const S_MMGET = step('mmget', 'atomic_inc(&mm->mm_users)');

/** Pin the mm_struct (not the address space). */
export function* mmgrab(mm: lock_mm_struct): Gen<void> {
  yield at(S_MMGRAB, mm);
  atomic_inc(mm.mm_count);
}

/** Unpin the mm_struct; the last reference frees it. */
export function* mmdrop(mm: lock_mm_struct): Gen<void> {
  yield at(S_MMDROP, mm);
  /* The implicit full barrier of the RMW orders earlier accesses before the free. */
  if (atomic_dec_and_test(mm.mm_count)) yield* __mmdrop(mm);
}

/** Pin the address space (a new user thread). */
export function* mmget(mm: lock_mm_struct): Gen<void> {
  yield at(S_MMGET, mm);
  atomic_inc(mm.mm_users);
}
