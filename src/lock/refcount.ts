// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * refcount_t as v6.15's include/linux/refcount.h defines it (the functions
 * the VMA lock uses, in the header's order), with the saturation handling of
 * lib/refcount.c.
 *
 * The count is a signed 32-bit int.  An operation that would take it below
 * zero, or start from a negative value, warns and pins the count at
 * REFCOUNT_SATURATED (INT_MIN / 2), after which the object is leaked rather
 * than freed.  The orderings are the kernel's: the limited increment is
 * acquire on success, the add-not-zero is relaxed, set_release is a release
 * store, sub-and-test is a release RMW that becomes acquire when it hits
 * zero.  Each compare-and-exchange loop is written as in C: a relaxed read,
 * then a CAS that may fail (another task got there first) and retry; every
 * access is its own atomic step.  (A wrapper that only passes its arguments
 * on returns the callee's generator instead of delegating to it: same steps,
 * one generator less.)
 */

import { WARN_ON_ONCE } from '../vma_internal/bug';
import {
  atomic_fetch_sub_release,
  atomic_read,
  atomic_set,
  atomic_set_release,
  atomic_try_cmpxchg_acquire,
  atomic_try_cmpxchg_relaxed,
  Cell,
  smp_acquire__after_ctrl_dep,
  type atomic_t,
  type IntRef,
} from './atomic';
import { at, step, type Gen } from './step';

/** INT_MAX */
export const INT_MAX = 0x7fffffff;
/** INT_MIN */
export const INT_MIN = -0x80000000;

/** struct refcount_struct: an atomic_t. */
export class refcount_t {
  readonly refs: atomic_t;

  /** @owner is the object the count lives in (for reports). */
  constructor(owner: object, name: string, n = 0) {
    this.refs = new Cell<number>(owner, name, n);
  }
}

/** The largest count. */
export const REFCOUNT_MAX = INT_MAX;
/** The value a count is pinned at after an overflow or underflow (it then leaks). */
export const REFCOUNT_SATURATED = INT_MIN / 2;

/* enum refcount_saturation_type */
export const REFCOUNT_ADD_NOT_ZERO_OVF = 0;
/** Why refcount_warn_saturate() warns: an increment overflowed. */
export const REFCOUNT_ADD_OVF = 1;
/** An increment from 0: use after free. */
export const REFCOUNT_ADD_UAF = 2;
/** A decrement below 0: use after free. */
export const REFCOUNT_SUB_UAF = 3;
/** A plain decrement reached 0: the object leaks. */
export const REFCOUNT_DEC_LEAK = 4;

const S_SATURATE = step('refcount_warn_saturate', 'atomic_set(&r->refs, REFCOUNT_SATURATED)');

const WARN_TEXT: readonly string[] = [
  'refcount_t: saturated; leaking memory.',
  'refcount_t: saturated; leaking memory.',
  'refcount_t: addition on 0; use-after-free.',
  'refcount_t: underflow; use-after-free.',
  'refcount_t: decrement hit 0; leaking memory.',
];

/* lib/refcount.c: pin the count, then warn about what happened. */
export function* refcount_warn_saturate(r: refcount_t, t: number): Gen<void> {
  yield at(S_SATURATE, r.refs.owner);
  refcount_set(r, REFCOUNT_SATURATED);
  WARN_ON_ONCE(true, WARN_TEXT[t] ?? 'refcount_t: unknown saturation event!?', r.refs.owner);
}

/** A 32-bit signed sum, as the kernel's __signed_wrap arithmetic gives it. */
function s32(x: number): number {
  return x | 0;
}

/** Set the count (atomic_set: a marked, unordered store). */
export function refcount_set(r: refcount_t, n: number): void {
  atomic_set(r.refs, n);
}

/**
 * Set the count with release ordering: every earlier store to the object is
 * visible to whoever reads this value with acquire (used when the memory
 * may have held another object before: SLAB_TYPESAFE_BY_RCU).
 */
export function refcount_set_release(r: refcount_t, n: number): void {
  atomic_set_release(r.refs, n);
}

/** The count, as the unsigned int the kernel returns (relaxed). */
export function refcount_read(r: refcount_t): number {
  return atomic_read(r.refs) >>> 0;
}

const S_ANZ_READ = step('__refcount_add_not_zero', 'refcount_read(r)');
const S_ANZ_CAS = step('__refcount_add_not_zero', 'atomic_try_cmpxchg_relaxed(&r->refs, &old, old + i)');

/** Add @i unless the count is 0 (relaxed); the value seen goes to @oldp. */
export function* __refcount_add_not_zero(i: number, r: refcount_t, oldp: IntRef | null): Gen<boolean> {
  yield at(S_ANZ_READ, r.refs.owner);
  const old: IntRef = { value: s32(refcount_read(r)) };

  for (;;) {
    if (!old.value) break;
    yield at(S_ANZ_CAS, r.refs.owner);
    if (atomic_try_cmpxchg_relaxed(r.refs, old, s32(old.value + i))) break;
  }

  if (oldp) oldp.value = old.value;

  if (old.value < 0 || s32(old.value + i) < 0) yield* refcount_warn_saturate(r, REFCOUNT_ADD_NOT_ZERO_OVF);

  return old.value !== 0;
}

/** refcount_add_not_zero(): no ordering beyond the control dependency. */
export function refcount_add_not_zero(i: number, r: refcount_t): Gen<boolean> {
  return __refcount_add_not_zero(i, r, null);
}

const S_LIM_READ = step('__refcount_add_not_zero_limited_acquire', 'refcount_read(r)');
const S_LIM_CAS = step('__refcount_add_not_zero_limited_acquire', 'atomic_try_cmpxchg_acquire(&r->refs, &old, old + i)');

/**
 * Add @i unless the count is 0 or the sum would pass @limit; acquire on
 * success.  The value seen goes to @oldp whether or not it succeeds.
 */
export function* __refcount_add_not_zero_limited_acquire(
  i: number,
  r: refcount_t,
  oldp: IntRef | null,
  limit: number,
): Gen<boolean> {
  yield at(S_LIM_READ, r.refs.owner);
  const old: IntRef = { value: s32(refcount_read(r)) };

  for (;;) {
    if (!old.value) break;

    /* Written so that the test cannot overflow. */
    if (i > limit - old.value) {
      if (oldp) oldp.value = old.value;
      return false;
    }
    yield at(S_LIM_CAS, r.refs.owner);
    if (atomic_try_cmpxchg_acquire(r.refs, old, s32(old.value + i))) break;
  }

  if (oldp) oldp.value = old.value;

  if (old.value < 0 || s32(old.value + i) < 0) yield* refcount_warn_saturate(r, REFCOUNT_ADD_NOT_ZERO_OVF);

  return old.value !== 0;
}

/** The +1 case of the above: what VMA readers use. */
export function __refcount_inc_not_zero_limited_acquire(r: refcount_t, oldp: IntRef | null, limit: number): Gen<boolean> {
  return __refcount_add_not_zero_limited_acquire(1, r, oldp, limit);
}

/** No limit (INT_MAX): unused by the VMA lock, added with it. */
export function __refcount_add_not_zero_acquire(i: number, r: refcount_t, oldp: IntRef | null): Gen<boolean> {
  return __refcount_add_not_zero_limited_acquire(i, r, oldp, INT_MAX);
}

/** Add @i unless the count is 0, acquire on success. */
export function refcount_add_not_zero_acquire(i: number, r: refcount_t): Gen<boolean> {
  return __refcount_add_not_zero_acquire(i, r, null);
}

const S_SUB = step('__refcount_sub_and_test', 'atomic_fetch_sub_release(i, &r->refs)');

/**
 * Subtract @i with release ordering; true (with acquire ordering) when that
 * makes the count 0.  Warns on underflow.  The old value goes to @oldp.
 */
export function* __refcount_sub_and_test(i: number, r: refcount_t, oldp: IntRef | null): Gen<boolean> {
  yield at(S_SUB, r.refs.owner);
  const old = atomic_fetch_sub_release(i, r.refs);

  if (oldp) oldp.value = old;

  if (old > 0 && old === i) {
    smp_acquire__after_ctrl_dep();
    return true;
  }

  if (old <= 0 || s32(old - i) < 0) yield* refcount_warn_saturate(r, REFCOUNT_SUB_UAF);

  return false;
}

/** Subtract @i (release); true when the count reached 0 (then acquire). */
export function refcount_sub_and_test(i: number, r: refcount_t): Gen<boolean> {
  return __refcount_sub_and_test(i, r, null);
}

/** Decrement (release), reporting the old value in @oldp; true at 0. */
export function __refcount_dec_and_test(r: refcount_t, oldp: IntRef | null): Gen<boolean> {
  return __refcount_sub_and_test(1, r, oldp);
}

/** Decrement (release); true when the count reached 0. */
export function refcount_dec_and_test(r: refcount_t): Gen<boolean> {
  return __refcount_dec_and_test(r, null);
}
