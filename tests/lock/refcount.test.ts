// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * refcount_t as the v6.15 header defines it: the add-not-zero and limited
 * acquire variants (including the value reported on failure), sub-and-test,
 * and saturation with its warnings.
 */

import * as K from '../../src/lock';
import { warn_count, warn_records, warn_reset } from '../../src/vma_internal';

const owner = {};
const ref = (n: number): K.refcount_t => new K.refcount_t(owner, 'test', n);

beforeEach(() => warn_reset());

test('refcount_add_not_zero adds unless zero, and reports the old value', () => {
  const r = ref(3);
  const old: K.IntRef = { value: -1 };
  expect(K.run_sync(K.__refcount_add_not_zero(K.VMA_LOCK_OFFSET, r, old))).toBe(true);
  expect(old.value).toBe(3);
  expect(r.refs.v).toBe(K.VMA_LOCK_OFFSET + 3);
  const z = ref(0);
  expect(K.run_sync(K.refcount_add_not_zero(K.VMA_LOCK_OFFSET, z))).toBe(false);
  expect(z.refs.v).toBe(0);
  expect(warn_count()).toBe(0);
});

test('the limited increment refuses zero, refuses passing the limit, and reports what it saw', () => {
  const old: K.IntRef = { value: -1 };
  const r = ref(1);
  expect(K.run_sync(K.__refcount_inc_not_zero_limited_acquire(r, old, K.VMA_REF_LIMIT))).toBe(true);
  expect([old.value, r.refs.v]).toEqual([1, 2]);

  const z = ref(0);
  expect(K.run_sync(K.__refcount_inc_not_zero_limited_acquire(z, old, K.VMA_REF_LIMIT))).toBe(false);
  expect([old.value, z.refs.v]).toEqual([0, 0]);

  /* A writer's VMA_LOCK_OFFSET is above the limit: readers fail without touching the count. */
  const w = ref(K.VMA_LOCK_OFFSET + 1);
  expect(K.run_sync(K.__refcount_inc_not_zero_limited_acquire(w, old, K.VMA_REF_LIMIT))).toBe(false);
  expect([old.value, w.refs.v]).toEqual([K.VMA_LOCK_OFFSET + 1, K.VMA_LOCK_OFFSET + 1]);

  /* Exactly at the limit. */
  const full = ref(K.VMA_REF_LIMIT);
  expect(K.run_sync(K.__refcount_inc_not_zero_limited_acquire(full, old, K.VMA_REF_LIMIT))).toBe(false);
  const below = ref(K.VMA_REF_LIMIT - 1);
  expect(K.run_sync(K.__refcount_inc_not_zero_limited_acquire(below, old, K.VMA_REF_LIMIT))).toBe(true);
  expect(below.refs.v).toBe(K.VMA_REF_LIMIT);
  expect(warn_count()).toBe(0);
});

test('VMA_LOCK_OFFSET + VMA_REF_LIMIT is INT_MAX: a writer on a full count cannot saturate it', () => {
  expect(K.VMA_LOCK_OFFSET).toBe(0x40000000);
  expect(K.VMA_REF_LIMIT + K.VMA_LOCK_OFFSET).toBe(K.INT_MAX);
  const r = ref(K.VMA_REF_LIMIT);
  expect(K.run_sync(K.refcount_add_not_zero(K.VMA_LOCK_OFFSET, r))).toBe(true);
  expect(r.refs.v).toBe(K.INT_MAX);
  expect(warn_count()).toBe(0);
});

test('sub_and_test: true only on reaching zero; underflow warns and saturates', () => {
  const r = ref(2);
  const old: K.IntRef = { value: -1 };
  expect(K.run_sync(K.__refcount_dec_and_test(r, old))).toBe(false);
  expect(old.value).toBe(2);
  expect(K.run_sync(K.refcount_dec_and_test(r))).toBe(true);
  expect(r.refs.v).toBe(0);
  expect(warn_count()).toBe(0);

  expect(K.run_sync(K.refcount_dec_and_test(r))).toBe(false);
  expect(r.refs.v).toBe(K.REFCOUNT_SATURATED);
  expect(warn_records()[0].what).toBe('refcount_t: underflow; use-after-free.');
});

test('adding to a negative count saturates with the "leaking memory" warning', () => {
  const r = ref(-5);
  expect(K.run_sync(K.refcount_add_not_zero(1, r))).toBe(true);
  expect(r.refs.v).toBe(K.REFCOUNT_SATURATED);
  expect(warn_records()[0].what).toBe('refcount_t: saturated; leaking memory.');
});

test('refcount_set_release and refcount_read (unsigned)', () => {
  const r = ref(0);
  K.refcount_set_release(r, 1);
  expect(K.refcount_read(r)).toBe(1);
  K.refcount_set(r, K.REFCOUNT_SATURATED);
  expect(K.refcount_read(r)).toBe(K.REFCOUNT_SATURATED >>> 0);
});
