// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Jest's matchers for loops that assert once per trace step or per fuzz
 * command: each expect() call builds an Error and a closure per matcher
 * (~50 us), so these compare first and call the same matcher only on a
 * difference.  A failure reads exactly as the plain matcher's would.
 */

import { isDeepStrictEqual } from 'node:util';

/** expect(got).toEqual(want), the matcher called only when a strict deep comparison differs. */
export function quickEqual<T>(got: T, want: T): void {
  if (!isDeepStrictEqual(got, want)) expect(got).toEqual(want);
}

/**
 * expect(got).toStrictEqual(want), the matcher called only when a strict deep
 * comparison differs (which compares prototypes, undefined members and holes too).
 */
export function quickStrictEqual<T>(got: T, want: T): void {
  if (!isDeepStrictEqual(got, want)) expect(got).toStrictEqual(want);
}

/** expect(got).toBe(want), the matcher called only when they differ. */
export function quickBe<T>(got: T, want: T): void {
  if (!Object.is(got, want)) expect(got).toBe(want);
}
