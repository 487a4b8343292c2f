// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fault injection for preallocation, the only fault switch of the harness.
 *
 * The original harness overrides vma_iter_prealloc() so that it returns
 * -ENOMEM while its static fail_prealloc flag is set, without touching the
 * maple state.  Here the switch lives in the stub layer and is consulted by
 * mas_preallocate(), which vma_iter_prealloc() is the only caller of.
 *
 * For fault sweeps there is also a one-shot switch: fail the Nth
 * preallocation attempted after it is armed.
 */

let fail_prealloc = false;
let failNth = 0;
let attempts = 0;

/** Set the harness's fail_prealloc switch. */
export function set_fail_prealloc(value: boolean): void {
  fail_prealloc = value;
}

export function get_fail_prealloc(): boolean {
  return fail_prealloc;
}

/** Arm a one-shot failure of the nth preallocation from now (n >= 1); 0 disarms. */
export function fail_nth_prealloc(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`fail_nth_prealloc: bad count ${n}`);
  failNth = n;
  attempts = 0;
}

/** Preallocations attempted since the last fail_nth_prealloc()/fault_inject_reset(). */
export function prealloc_attempts(): number {
  return attempts;
}

/** Clear every switch. */
export function fault_inject_reset(): void {
  fail_prealloc = false;
  failNth = 0;
  attempts = 0;
}

/** Called by mas_preallocate(): should this preallocation fail? */
export function prealloc_should_fail(): boolean {
  attempts++;
  if (fail_prealloc) return true;
  if (failNth !== 0 && attempts === failNth) return true;
  return false;
}
