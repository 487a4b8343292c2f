// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fault injection: the switches that make stubs fail the way the kernel
 * functions they stand for can fail.
 *
 * The original harness can fail one thing, vma_iter_prealloc(), while its
 * static fail_prealloc flag is set; that switch is here and is consulted by
 * mas_preallocate(), the only callee of vma_iter_prealloc().  On top of it
 * every stub that can really fail is a failure point (TRACE_FORMAT.md,
 * "Fault injection").  A stub asks fault_should_fail() only for the calls
 * its kernel counterpart could fail (its "qualifying" calls); the other calls
 * behave as the plain stub and neither pass nor consume an armed point.
 *
 * Arming a point (fault_inject()) lets the next `after` qualifying calls pass
 * and fails the `count` after them; then the point is off again.  Every point
 * also counts its qualifying calls, armed or not, so that a sweep can tell
 * when "fail the Nth call" has run past the last call an operation makes.
 * With every point off the stubs are exactly the v6.15 harness's stubs.
 */

import { __GFP_NOFAIL, type gfp_t } from './constants';

/**
 * The failure points.  vma_iter_prealloc is the harness's own (driven by
 * fail_prealloc in traces); the other thirteen are those of the trace
 * operation `inject`, in TRACE_FORMAT.md's order.
 */
export const FAULT_POINTS = [
  'vma_iter_prealloc',
  'anon_vma_clone',
  'vm_area_alloc',
  'vm_area_dup',
  'may_expand_vm',
  'security_vm_enough_memory_mm',
  'mmap_file',
  'shmem_zero_setup',
  'anon_vma_prepare',
  'mlock_future_ok',
  'mas_store_gfp',
  'vma_iter_clear_gfp',
  'signal_pending',
  'mmap_write_lock_killable',
] as const;

/** Name of one failure point. */
export type fault_point = (typeof FAULT_POINTS)[number];

/* Indices into FAULT_POINTS, used by the stubs (a number is cheaper than a name). */
export const FP_VMA_ITER_PREALLOC = 0;
export const FP_ANON_VMA_CLONE = 1;
export const FP_VM_AREA_ALLOC = 2;
export const FP_VM_AREA_DUP = 3;
export const FP_MAY_EXPAND_VM = 4;
export const FP_SECURITY_VM_ENOUGH_MEMORY_MM = 5;
export const FP_MMAP_FILE = 6;
export const FP_SHMEM_ZERO_SETUP = 7;
export const FP_ANON_VMA_PREPARE = 8;
export const FP_MLOCK_FUTURE_OK = 9;
export const FP_MAS_STORE_GFP = 10;
export const FP_VMA_ITER_CLEAR_GFP = 11;
export const FP_SIGNAL_PENDING = 12;
export const FP_MMAP_WRITE_LOCK_KILLABLE = 13;

const NR_POINTS = FAULT_POINTS.length;

/* Per point: qualifying calls still to pass, failures still to inject, calls seen, failures injected. */
const passLeft = new Float64Array(NR_POINTS);
const failLeft = new Float64Array(NR_POINTS);
const calls = new Float64Array(NR_POINTS);
const fired = new Float64Array(NR_POINTS);
/* How many points have failures left: the fast path needs only this. */
let armed = 0;

let fail_prealloc = false;

function point_index(point: fault_point): number {
  const i = FAULT_POINTS.indexOf(point);
  if (i < 0) throw new RangeError(`fault injection: unknown point '${String(point)}'`);
  return i;
}

function check_count(fn: string, what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${fn}: bad ${what} ${v}`);
}

/** Is @name one of the failure points? */
export function is_fault_point(name: string): name is fault_point {
  return (FAULT_POINTS as readonly string[]).includes(name);
}

/**
 * Arm @point: let its next @after qualifying calls pass, then fail the next
 * @count of them.  @count 0 switches the point off (@after is then ignored).
 * Replaces the point's earlier setting; its call count is kept.
 */
export function fault_inject(point: fault_point, count: number, after: number): void {
  check_count('fault_inject', 'count', count);
  check_count('fault_inject', 'after', after);
  const i = point_index(point);
  if (failLeft[i] > 0) armed--;
  failLeft[i] = count;
  passLeft[i] = count > 0 ? after : 0;
  if (count > 0) armed++;
}

/**
 * Arm @point to fail its @n-th qualifying call from now (n >= 1) and no
 * other; 0 switches it off.  Restarts the point's call count, so that
 * fault_calls() then tells whether the n-th call was reached.
 */
export function fault_fail_nth(point: fault_point, n: number): void {
  check_count('fault_fail_nth', 'n', n);
  calls[point_index(point)] = 0;
  fault_inject(point, n > 0 ? 1 : 0, n > 0 ? n - 1 : 0);
}

/** Is @point armed (failures left to inject)? */
export function fault_armed(point: fault_point): boolean {
  return failLeft[point_index(point)] > 0;
}

/** Qualifying calls @point has seen since the last fault_calls_reset() (or fault_fail_nth() of it). */
export function fault_calls(point: fault_point): number {
  return calls[point_index(point)];
}

/** Failures @point has injected since the last fault_calls_reset(). */
export function fault_fired(point: fault_point): number {
  return fired[point_index(point)];
}

/** Qualifying calls of every point that saw any, since the last reset (for sweeps). */
export function fault_calls_all(): Partial<Record<fault_point, number>> {
  const out: Partial<Record<fault_point, number>> = {};
  for (let i = 0; i < NR_POINTS; i++) if (calls[i] > 0) out[FAULT_POINTS[i]] = calls[i];
  return out;
}

/** Restart the call and failure counts of every point (their arming stays). */
export function fault_calls_reset(): void {
  calls.fill(0);
  fired.fill(0);
}

/** Switch every point and fail_prealloc off and restart every count. */
export function fault_inject_reset(): void {
  fail_prealloc = false;
  passLeft.fill(0);
  failLeft.fill(0);
  calls.fill(0);
  fired.fill(0);
  armed = 0;
}

/**
 * Called by a stub for each qualifying call of point @p (an FP_* index):
 * should this call fail?
 */
export function fault_should_fail(p: number): boolean {
  calls[p]++;
  if (armed === 0 || failLeft[p] === 0) return false;
  if (passLeft[p] > 0) {
    passLeft[p]--;
    return false;
  }
  if (--failLeft[p] === 0) armed--;
  fired[p]++;
  return true;
}

/* The harness's preallocation switch ------------------------------------- */

/** Set the harness's fail_prealloc switch. */
export function set_fail_prealloc(value: boolean): void {
  fail_prealloc = value;
}

/** The harness's fail_prealloc switch. */
export function get_fail_prealloc(): boolean {
  return fail_prealloc;
}

/** Arm a one-shot failure of the nth preallocation from now (n >= 1); 0 disarms. */
export function fail_nth_prealloc(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`fail_nth_prealloc: bad count ${n}`);
  fault_fail_nth('vma_iter_prealloc', n);
}

/** Preallocations attempted since the last fail_nth_prealloc()/fault_inject_reset(). */
export function prealloc_attempts(): number {
  return calls[FP_VMA_ITER_PREALLOC];
}

/** Called by mas_preallocate(): should this preallocation fail? */
export function prealloc_should_fail(): boolean {
  if (fail_prealloc) {
    calls[FP_VMA_ITER_PREALLOC]++;
    return true;
  }
  return fault_should_fail(FP_VMA_ITER_PREALLOC);
}

/**
 * The mas_store_gfp() point (see maple_store.ts): a store the maple tree
 * could fail to allocate for.  Stores with __GFP_NOFAIL never qualify, nor
 * does a store of index 0 alone into an empty tree (@root_store), which lives
 * in the root pointer.
 */
export function mas_store_gfp_should_fail(gfp: gfp_t, root_store: boolean): boolean {
  if (gfp & __GFP_NOFAIL || root_store) return false;
  return fault_should_fail(FP_MAS_STORE_GFP);
}
