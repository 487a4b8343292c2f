// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The harness's ASSERT_* macros as Jest expectations, so that each kernel
 * assertion stays one visible line in the ported tests.
 */

import { warn_count, warn_summary } from '../../src/vma_internal';

export function ASSERT_TRUE(v: unknown): void {
  expect(Boolean(v)).toBe(true);
}

export function ASSERT_FALSE(v: unknown): void {
  expect(Boolean(v)).toBe(false);
}

export function ASSERT_EQ<T>(a: T, b: T): void {
  expect(a).toBe(b);
}

export function ASSERT_NE<T>(a: T, b: T): void {
  expect(a).not.toBe(b);
}

/** No WARN-class check fired during the test. */
export function ASSERT_NO_WARNINGS(): void {
  expect(warn_summary()).toBe('');
  expect(warn_count()).toBe(0);
}
