// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Strict parsers for option values, used as commander argument parsers.
 * Integers are decimal digits only ("", "0x10", "1e2", "+5", " 7" and "-1"
 * are refused) and must lie in the documented range; nothing is silently
 * rounded, wrapped or aliased.
 */

import { InvalidArgumentError } from 'commander';

/** The largest seed: fast-check and the fault sweep take 31-bit non-negative seeds. */
export const MAX_SEED = 2 ** 31 - 1;

/** A parser for a decimal integer in [min, max]. */
export function intInRange(min: number, max: number): (value: string) => number {
  return (value: string): number => {
    if (!/^[0-9]+$/.test(value)) {
      throw new InvalidArgumentError(`Expected a decimal integer from ${min} to ${max} (digits only), got ${JSON.stringify(value)}.`);
    }
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`Expected a decimal integer from ${min} to ${max}, got ${value}.`);
    }
    return n;
  };
}

/** A fast-check replay path: decimal numbers separated by colons ("12:0:3"). */
export function fcPath(value: string): string {
  if (!/^[0-9]{1,9}(:[0-9]{1,9})*$/.test(value)) {
    throw new InvalidArgumentError(
      `Expected a fast-check path, decimal numbers separated by colons such as "42:3:0" (printed with a failure), got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** fc.commands' replay path: two base64 strings joined by a colon ("CDE:Q"). */
export function fcReplayPath(value: string): string {
  if (!/^[A-Za-z0-9+/]*:[A-Za-z0-9+/]*$/.test(value)) {
    throw new InvalidArgumentError(
      `Expected fc.commands' replay path, two base64 strings joined by a colon such as "AAAB:F" (printed with a failure), got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/** A non-empty string (directory names and the like). */
export function nonEmpty(value: string): string {
  if (value === '') throw new InvalidArgumentError('Expected a non-empty value.');
  return value;
}
