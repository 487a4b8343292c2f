// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fault sweep: for each operation that preallocates, build a random
 * layout, then run the operation with its Nth preallocation failing, for
 * N = 1, 2, ... until the operation no longer reaches an Nth one.  At each
 * point the port must agree exactly with the model (which knows the order of
 * the preallocations), pass the invariants, report the failure, and, where
 * v6.15 promises it, leave the VMAs, their refcounts and map_count exactly as
 * they were.
 */

import { fail_nth_prealloc, fault_inject_reset, prealloc_attempts } from '../vma_internal/fault_inject';
import { prng } from '../util/prng';
import type { TraceExpect, TraceOpName, TraceStep, VmaRow } from '../trace/types';
import { formatStep } from '../trace/write';
import { FuzzStats, FuzzSystem } from './harness';
import { FLAG_PALETTE, OP_WEIGHTS, resolveIntent, type Intent } from './intents';
import { VmaModel } from './model';

/** Operations that can fail with -ENOMEM through a preallocation. */
export const FAULT_OPS: readonly TraceOpName[] = [
  'alloc_and_link',
  'merge_new',
  'merge_existing',
  'modify_flags',
  'expand',
  'shrink',
  'split',
  'munmap',
  'mmap',
  'merge_extend',
  'copy_vma',
];

/*
 * Where a failed preallocation must leave everything as it was.  (anon_vma
 * and write marks excepted: dup_anon_vma() and vma_start_write() run before
 * the preallocation, and the kernel keeps their effects.)  For
 * modify_flags and munmap only the first preallocation carries the promise:
 * a later one fails after a split has been done, which stays.  mmap is
 * checked against the model only (it may fall back to a new VMA, or leave a
 * hole where the old mappings were).
 */
const UNCHANGED_ON_FAILURE: ReadonlySet<TraceOpName> = new Set([
  'alloc_and_link',
  'merge_new',
  'merge_existing',
  'expand',
  'shrink',
  'split',
  'merge_extend',
  'copy_vma',
]);
const UNCHANGED_IF_FIRST_FAILS: ReadonlySet<TraceOpName> = new Set(['modify_flags', 'munmap']);

export interface SweepResult {
  /** Scenarios swept (one operation on one layout). */
  scenarios: number;
  /** Runs with a failing preallocation. */
  faultRuns: number;
  failures: string[];
}

function randomIntent(rnd: () => number, op?: TraceOpName): Intent {
  const n = (): number => Math.floor(rnd() * 256);
  let pick = op;
  if (!pick) {
    const total = OP_WEIGHTS.reduce((a, [, w]) => a + w, 0);
    let r = rnd() * total;
    for (const [o, w] of OP_WEIGHTS) {
      r -= w;
      if (r < 0) {
        pick = o;
        break;
      }
    }
  }
  return { op: pick ?? 'alloc_and_link', a: n(), b: n(), c: n(), d: n(), flags: Math.floor(rnd() * FLAG_PALETTE.length) };
}

/* A random valid prefix (without fault injection), and an op of the given kind. */
function scenario(rnd: () => number, op: TraceOpName, length: number): { prefix: TraceStep[]; step: TraceStep } | null {
  const model = new VmaModel();
  const prefix: TraceStep[] = [];
  for (let tries = 0; prefix.length < length && tries < length * 20; tries++) {
    const i = randomIntent(rnd);
    if (i.op === 'fail_prealloc') continue;
    const s = resolveIntent(i, model);
    if (!s) continue;
    model.apply(s);
    prefix.push(s);
  }
  for (let tries = 0; tries < 200; tries++) {
    const s = resolveIntent(randomIntent(rnd, op), model);
    /* A failed copy of a VMA without anon_vma would crash the C harness. */
    if (s && s.op === 'copy_vma' && model.byId(s.vma)?.anon === null) continue;
    if (s) return { prefix, step: s };
  }
  return null;
}

/* The layout without write marks and anon_vma: what must not change. */
function shape(rows: readonly VmaRow[]): string {
  return JSON.stringify(rows.map((r) => [r[0], r[1], r[2], r[3], r[4], r[6], r[7], r[8]]));
}

function failed(e: TraceExpect): boolean {
  return (e.err !== undefined && e.err !== 0) || e.state === 'ERROR_NOMEM' || (e.vma === null && e.err === undefined);
}

/* Operations that must report a failed preallocation (the others may fall back). */
const MUST_REPORT: ReadonlySet<TraceOpName> = new Set([
  'alloc_and_link',
  'merge_new',
  'merge_existing',
  'modify_flags',
  'expand',
  'shrink',
  'split',
  'munmap',
  'merge_extend',
]);

export function faultSweep(seed: number, perOp: number, onScenario?: () => void): SweepResult {
  const res: SweepResult = { scenarios: 0, faultRuns: 0, failures: [] };
  for (const _ of sweepScenarios(seed, perOp, res)) onScenario?.();
  return res;
}

/**
 * faultSweep() that lets @p stop in before each layout and ends early when
 * it asks to (Ctrl-C); the result then covers the layouts swept so far.
 */
export async function faultSweepAsync(
  seed: number,
  perOp: number,
  stop: { readonly requested: boolean; pause(): Promise<void> },
  onScenario?: () => void,
): Promise<SweepResult & { interrupted: boolean }> {
  const res: SweepResult = { scenarios: 0, faultRuns: 0, failures: [] };
  const it = sweepScenarios(seed, perOp, res);
  for (;;) {
    await stop.pause();
    if (stop.requested) return { ...res, interrupted: true };
    if (it.next().done) return { ...res, interrupted: false };
    onScenario?.();
  }
}

/* The sweep, one layout at a time: yields after each layout, filling @p res. */
function* sweepScenarios(seed: number, perOp: number, res: SweepResult): Generator<void, void, void> {
  const rnd = prng(seed);
  for (const op of FAULT_OPS) {
    for (let k = 0; k < perOp; k++) {
      const sc = scenario(rnd, op, 4 + Math.floor(rnd() * 12));
      if (!sc) continue;
      res.scenarios++;
      for (let n = 1; ; n++) {
        const problem = sweepOnce(sc.prefix, sc.step, n);
        if (problem === 'not reached') break;
        res.faultRuns++;
        if (problem) {
          res.failures.push(`${formatStep(sc.step)} with preallocation #${n} failing: ${problem}`);
          break;
        }
      }
      yield;
    }
  }
}

/* One point of the sweep; returns what went wrong, 'not reached', or null. */
function sweepOnce(prefix: readonly TraceStep[], step: TraceStep, n: number): string | null {
  const sys = new FuzzSystem(new FuzzStats());
  const model = new VmaModel();
  try {
    for (const s of prefix) sys.run(s, model);
    const shapeBefore = shape(sys.world.vmaRows());
    const countBefore = sys.world.mm.map_count;
    fail_nth_prealloc(n);
    model.faults.failNth = n;
    model.faults.preallocAttempts = 0;
    /* Port and model must agree exactly, and the invariants hold. */
    sys.run(step, model);
    if (prealloc_attempts() < n) return 'not reached';
    const e = sys.lastExpect as TraceExpect;
    const reported = failed(e);
    if (!reported && MUST_REPORT.has(step.op)) return 'the failure was not reported';
    const changed = shape(sys.world.vmaRows()) !== shapeBefore || sys.world.mm.map_count !== countBefore;
    const promised = UNCHANGED_ON_FAILURE.has(step.op) || (n === 1 && UNCHANGED_IF_FIRST_FAILS.has(step.op));
    if (reported && promised && changed) return 'the VMAs, their refcounts or map_count changed';
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    fault_inject_reset();
    sys.dispose();
  }
}
