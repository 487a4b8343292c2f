// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fault sweep: "the Nth qualifying call of any injection point fails",
 * for every operation and every point it reaches.
 *
 * For each operation, random layouts are built (random command prefixes,
 * and for the operations that merge also the merge scenarios' neighbour-
 * hoods).  The operation is run once without injection, which tells how
 * many qualifying calls of each point (and how many preallocations) it
 * makes; the port and the model must agree on those counts.  Then, for
 * every point and every N up to that count, the layout is rebuilt and the
 * operation runs with exactly its Nth call of that point failing.  At each
 * such run:
 *  - the port must agree with the model exactly (which error, which VMAs,
 *    ids, refcounts, frees, anon_vma marks, counters, map_count) and keep
 *    every invariant (see harness.ts);
 *  - the failure must be reported, except where the kernel falls back
 *    (mmap and copy_vma map a new VMA when a merge fails; a userfaultfd
 *    change that gives up on OOM keeps the VMA as it is) or goes on
 *    (mlockall ignores a VMA's failure and walks on to the next);
 *  - where v6.15 promises it, nothing changed, checked without the model:
 *    "exact" (the VMAs, their ids, ranges, pgoff, flags, files, vm_ops,
 *    refcounts, map_count and the page counters as before), "pages" (the
 *    address space as before page by page, with splits already done
 *    allowed to stay, and the counters as before), or for mmap "pages or
 *    hole" (outside the range as before; inside it, either as before or
 *    unmapped, with the counters refunded for exactly what was unmapped);
 *  - after vma_merge_existing_range()'s abort path the trace's iterator is
 *    usable: the next VMA it yields is the one after the VMA being
 *    modified (checked after every command, see harness.ts);
 *  - with the point switched off again, the same operation (if still valid)
 *    runs and agrees with the model: the state left behind is usable.
 */

import {
  fault_calls,
  fault_calls_reset,
  fault_fail_nth,
  fault_inject_reset,
  type fault_point,
} from '../vma_internal/fault_inject';
import { prng } from '../util/prng';
import { INJECT_POINTS, type InjectPointName, type TraceExpect, type TraceOpName, type TraceStep, type VmaRow } from '../trace/types';
import { formatStep } from '../trace/write';
import { MergeCoverage } from './coverage';
import { FuzzStats, FuzzSystem } from './harness';
import { FLAG_PALETTE, OP_WEIGHTS, resolveIntent, type Intent } from './intents';
import { VmaModel } from './model';
import { DEFAULT_MAX_MAP_COUNT } from './model/faults';
import { pageMap } from './pages';
import { mergeScenarioArbitrary, SCENARIO_OP_CODES, scenarioSteps } from './scenarios';
import fc from 'fast-check';

/** Every operation that can meet an injected failure, in trace order. */
export const SWEEP_OPS: readonly TraceOpName[] = [
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
  'brk',
  'expand_stack',
  'modify_flags_uffd',
  'modify_name',
  'modify_policy',
  'vm_munmap',
  'take_all_locks',
  'mlockall',
];


/** A failure point of the sweep: the preallocation, or one of the injection points. */
type SweepPoint = 'vma_iter_prealloc' | InjectPointName;
const SWEEP_POINTS: readonly SweepPoint[] = ['vma_iter_prealloc', ...INJECT_POINTS];

/** What v6.15 promises to leave unchanged when an operation fails. */
type Promised = 'exact' | 'pages' | 'pages-or-hole';
const PROMISE: Partial<Record<TraceOpName, Promised>> = {
  alloc_and_link: 'exact',
  merge_new: 'exact',
  merge_existing: 'exact',
  expand: 'exact',
  shrink: 'exact',
  split: 'exact',
  merge_extend: 'exact',
  copy_vma: 'exact',
  brk: 'exact',
  expand_stack: 'exact',
  take_all_locks: 'exact',
  /* Reported only when killed waiting for the lock, before anything was done. */
  mlockall: 'exact',
  /* A split done before the failure stays. */
  modify_flags: 'pages',
  modify_flags_uffd: 'pages',
  modify_name: 'pages',
  modify_policy: 'pages',
  munmap: 'pages',
  vm_munmap: 'pages',
  /* Refused before the old mappings' page tables go: as before; after: a hole. */
  mmap: 'pages-or-hole',
};

/** What a sweep did and found. */
export interface SweepResult {
  /** Layouts swept (one operation on one layout). */
  scenarios: number;
  /** Runs with an injected failure. */
  faultRuns: number;
  /** Runs per point. */
  readonly perPoint: Map<SweepPoint | 'sysctl_max_map_count', number>;
  failures: string[];
  readonly coverage: MergeCoverage;
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

/* Setup operations only: no fault switches in a prefix. */
const NOT_IN_PREFIX: ReadonlySet<TraceOpName> = new Set(['fail_prealloc', 'inject', 'set_max_map_count']);

/** A layout: the steps building it and the operation swept on it. */
interface Layout {
  prefix: TraceStep[];
  step: TraceStep;
}

/* A random valid prefix and an operation of the given kind on top of it. */
function randomLayout(rnd: () => number, op: TraceOpName, length: number): Layout | null {
  const model = new VmaModel();
  const prefix: TraceStep[] = [];
  for (let tries = 0; prefix.length < length && tries < length * 20; tries++) {
    const i = randomIntent(rnd);
    if (NOT_IN_PREFIX.has(i.op)) continue;
    const s = resolveIntent(i, model);
    if (!s) continue;
    model.apply(s);
    prefix.push(s);
  }
  for (let tries = 0; tries < 200; tries++) {
    const s = resolveIntent(randomIntent(rnd, op), model);
    if (s && s.op === op) return { prefix, step: s };
    /* An intent may resolve to a setup step first (a stack's anon_vma). */
    if (s && s.op === 'set_anon') {
      model.apply(s);
      prefix.push(s);
    }
  }
  return null;
}

/* A merge scenario ending with the operation, without its fail_prealloc. */
export function scenarioLayout(seed: number, op: TraceOpName): Layout | null {
  const codes = SCENARIO_OP_CODES[op];
  if (!codes) return null;
  const [sc] = fc.sample(mergeScenarioArbitrary(), { seed, numRuns: 1 });
  const steps = scenarioSteps({ ...sc, op: codes[seed % codes.length], failPrealloc: false, inject: null });
  const last = steps[steps.length - 1];
  if (!last || last.op !== op) return null;
  return { prefix: steps.slice(0, -1), step: last };
}

/* The layout without write marks and anon_vma: what an exact promise keeps. */
function shape(rows: readonly VmaRow[]): string {
  return JSON.stringify(rows.map((r) => [r[0], r[1], r[2], r[3], r[4], r[6], r[7], r[8]]));
}

/* The address space page by page, anon_vma aside (a failed merge may leave one behind in the harness). */
function pagesOf(rows: readonly VmaRow[], outside?: [number, number]): Map<number, string> {
  const out = new Map<number, string>();
  for (const [addr, p] of pageMap(rows)) {
    if (outside && addr >= outside[0] && addr < outside[1]) continue;
    out.set(addr, `${p.flags} ${p.file} ${p.pgoff} ${p.ops}`);
  }
  return out;
}

function samePages(a: Map<number, string>, b: Map<number, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function failed(e: TraceExpect): boolean {
  return (e.err !== undefined && e.err !== 0) || e.state === 'ERROR_NOMEM' || (e.vma === null && e.err === undefined);
}

/* Must a failure of this step be reported (no fallback)? */
function mustReport(step: TraceStep): boolean {
  if (step.op === 'mmap' || step.op === 'copy_vma') return false;
  if (step.op === 'modify_flags_uffd') return !step.give_up_on_oom;
  /* apply_mlockall_flags() ignores a VMA's failure and walks on; only the lock's failure is reported. */
  if (step.op === 'mlockall') return false;
  return true;
}

/* Arm the port and the model to fail the nth call of a point. */
function arm(model: VmaModel, point: SweepPoint, n: number): void {
  fault_fail_nth(point, n);
  if (point === 'vma_iter_prealloc') {
    model.faults.failNth = n;
    model.faults.preallocAttempts = 0;
  } else {
    model.faults.arm(point, 1, n - 1);
  }
}

/* Switch every point off on both sides. */
function disarm(model: VmaModel): void {
  fault_inject_reset();
  model.faults.failNth = 0;
  for (const p of INJECT_POINTS) model.faults.arm(p, 0, 0);
}

/* Layout candidates tried for each layout swept. */
const CANDIDATES = 6;

/* What a layout's operation reaches without injection, as the model sees it: points called and paths taken. */
export function reach(layout: Layout): Set<string> | null {
  const model = new VmaModel();
  for (const s of layout.prefix) model.apply(s);
  if (model.validate(layout.step) !== null) return null;
  model.faults.calls.clear();
  model.apply(layout.step);
  const out = new Set<string>(model.paths);
  for (const [p, n] of model.faults.calls) if (n > 0) out.add(p);
  /* Which merge happened, with or without an anon_vma to clone, and whether OOM would be given up: as one feature. */
  const merge = model.paths.filter((p) => p.startsWith('merge:')).sort();
  if ('give_up_on_oom' in layout.step && layout.step.give_up_on_oom) merge.push('give_up_on_oom');
  if (merge.length) out.add(merge.join('+'));
  if (SPLITS_OR_GROWS.has(layout.step.op)) out.add(`map_count:${model.mapCount}`);
  return out;
}

/**
 * Sweep every operation on `perOp` layouts each.  Each layout is the best of
 * a few candidates: the one whose operation reaches the most points and
 * paths not yet swept for that operation (a smarter sweep, not a longer one).
 */
export function faultSweep(seed: number, perOp: number, onScenario?: () => void, ops: readonly TraceOpName[] = SWEEP_OPS): SweepResult {
  const res = emptyResult();
  for (const _ of sweepLayouts(seed, perOp, res, ops)) onScenario?.();
  return res;
}

function emptyResult(): SweepResult {
  return { scenarios: 0, faultRuns: 0, perPoint: new Map(), failures: [], coverage: new MergeCoverage() };
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
  const res = emptyResult();
  const it = sweepLayouts(seed, perOp, res, SWEEP_OPS);
  for (;;) {
    await stop.pause();
    if (stop.requested) return { ...res, interrupted: true };
    if (it.next().done) return { ...res, interrupted: false };
    onScenario?.();
  }
}

/* The sweep, one layout at a time: yields after each layout, filling @p res. */
function* sweepLayouts(seed: number, perOp: number, res: SweepResult, ops: readonly TraceOpName[]): Generator<void, void, void> {
  for (const op of ops) {
    /* Each operation draws from its own stream: sweeping some operations sweeps them exactly as the whole sweep does. */
    const rnd = prng(seed + 7919 * SWEEP_OPS.indexOf(op));
    const seen = new Set<string>();
    for (let k = 0; k < perOp; k++) {
      let best: Layout | null = null;
      let bestNew = -1;
      let bestReach: Set<string> | null = null;
      for (let c = 0; c < CANDIDATES; c++) {
        const fromScenario = SCENARIO_OP_CODES[op] !== undefined && c % 2 === 1;
        const layout = fromScenario
          ? scenarioLayout(seed + (k * CANDIDATES + c) * 7919 + op.length, op)
          : randomLayout(rnd, op, 4 + Math.floor(rnd() * 12));
        const r = layout ? reach(layout) : null;
        if (!layout || !r) continue;
        /* New points and paths first; then the most of them. */
        let fresh = 0;
        for (const x of r) if (!seen.has(x)) fresh++;
        fresh = fresh * 100 + r.size;
        if (fresh > bestNew) {
          best = layout;
          bestNew = fresh;
          bestReach = r;
        }
      }
      if (!best || !bestReach) continue;
      for (const x of bestReach) seen.add(x);
      res.scenarios++;
      sweepLayout(best.prefix, best.step, res);
      if (res.failures.length >= 5) return;
      yield;
    }
  }
}

/* At most this many runs per point and layout (calls beyond are rare). */
const MAX_NTH = 8;

/* Sweep one operation on one layout. */
function sweepLayout(prefix: readonly TraceStep[], step: TraceStep, res: SweepResult): void {
  const counts = countCalls(prefix, step, res);
  if (typeof counts === 'string') {
    res.failures.push(`${formatStep(step)} without injection: ${counts}`);
    return;
  }
  const report = (what: string, problem: string): void => {
    res.failures.push(`${formatStep(step)} with ${what}: ${problem}\n  after: ${prefix.map((s) => formatStep(s)).join('\n         ')}`);
  };
  for (const point of SWEEP_POINTS) {
    const calls = Math.min(counts.get(point) ?? 0, MAX_NTH);
    for (let n = 1; n <= calls; n++) {
      res.faultRuns++;
      res.perPoint.set(point, (res.perPoint.get(point) ?? 0) + 1);
      const problem = sweepOnce(prefix, step, { point, n }, res);
      if (problem) return report(`call #${n} of ${point} failing`, problem);
    }
  }
  /* The map count limit one above the current count, right at it, and one below (brk checks '>'). */
  if (!SPLITS_OR_GROWS.has(step.op)) return;
  for (const below of [-1, 0, 1]) {
    res.faultRuns++;
    res.perPoint.set('sysctl_max_map_count', (res.perPoint.get('sysctl_max_map_count') ?? 0) + 1);
    const problem = sweepOnce(prefix, step, { maxBelow: below }, res);
    if (problem) return report(`sysctl_max_map_count at map_count - ${below}`, problem);
  }
}

/* Operations that check sysctl_max_map_count (they split or add a VMA). */
const SPLITS_OR_GROWS: ReadonlySet<TraceOpName> = new Set([
  'split',
  'modify_flags',
  'modify_flags_uffd',
  'modify_name',
  'modify_policy',
  'munmap',
  'vm_munmap',
  'mmap',
  'brk',
]);

/** What one run injects: the nth call of a point, or a map count limit below the current count. */
type Injection = { point: SweepPoint; n: number } | { maxBelow: number };

/* Run the step once without injection: the qualifying calls of each point, or what went wrong. */
function countCalls(prefix: readonly TraceStep[], step: TraceStep, res: SweepResult): Map<SweepPoint, number> | string {
  const stats = new FuzzStats();
  const sys = new FuzzSystem(stats);
  const model = new VmaModel();
  try {
    for (const s of prefix) sys.run(s, model);
    fault_calls_reset();
    model.faults.calls.clear();
    model.faults.preallocAttempts = 0;
    sys.run(step, model);
    const counts = new Map<SweepPoint, number>();
    for (const p of SWEEP_POINTS) {
      const port = fault_calls(p as fault_point);
      const mine = p === 'vma_iter_prealloc' ? model.faults.preallocAttempts : (model.faults.calls.get(p) ?? 0);
      if (port !== mine) return `the port makes ${port} qualifying calls of ${p}, the model ${mine}`;
      counts.set(p, port);
    }
    res.coverage.merge(stats.coverage);
    return counts;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    fault_inject_reset();
    sys.dispose();
  }
}

/* One run with an injected failure; what went wrong, or null. */
function sweepOnce(prefix: readonly TraceStep[], step: TraceStep, inj: Injection, res: SweepResult): string | null {
  const stats = new FuzzStats();
  const sys = new FuzzSystem(stats);
  const model = new VmaModel();
  try {
    for (const s of prefix) sys.run(s, model);
    const rowsBefore = sys.world.vmaRows();
    const mmBefore = { ...(sys.lastExpect?.mm ?? { total_vm: 0, locked_vm: 0, data_vm: 0, exec_vm: 0, stack_vm: 0 }) };
    if ('point' in inj) {
      arm(model, inj.point, inj.n);
    } else {
      const limit: TraceStep = { op: 'set_max_map_count', value: Math.max(0, model.mapCount - inj.maxBelow) };
      sys.run(limit, model);
    }
    /* Some failures the harness cannot survive (see validate.ts): not a valid run. */
    if (model.validate(step) !== null) return null;
    /* Port and model must agree exactly, and the invariants hold. */
    sys.run(step, model);
    if ('point' in inj && fault_calls(inj.point as fault_point) < inj.n) return 'the failing call was not reached';
    const e = sys.lastExpect as TraceExpect;
    const reported = failed(e);
    /* A map count limit the operation does not reach changes nothing: only refusals are checked. */
    if (!('point' in inj) && !reported) return null;
    if (!reported && mustReport(step)) return 'the failure was not reported';
    if (reported) {
      const broken = brokenPromise(step, rowsBefore, sys.world.vmaRows(), mmBefore, e);
      if (broken) return broken;
    }
    res.coverage.merge(stats.coverage);
    /* Switched off again, the operation runs on what was left. */
    disarm(model);
    if (!('point' in inj)) sys.run({ op: 'set_max_map_count', value: DEFAULT_MAX_MAP_COUNT }, model);
    if (model.validate(step) === null) sys.run(step, model);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    fault_inject_reset();
    sys.dispose();
  }
}

type Counters = NonNullable<TraceExpect['mm']>;
const sameCounters = (a: Counters, b: Counters | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);

/* Check what v6.15 promises after a reported failure, without the model. */
function brokenPromise(step: TraceStep, before: readonly VmaRow[], after: readonly VmaRow[], mmBefore: Counters, e: TraceExpect): string | null {
  const promise = PROMISE[step.op] ?? 'exact';
  if (promise === 'exact') {
    if (shape(after) !== shape(before)) return 'the VMAs, their ids, ranges, flags or refcounts changed';
    if (!sameCounters(mmBefore, e.mm)) return 'the page counters changed';
    return null;
  }
  if (promise === 'pages') {
    if (!samePages(pagesOf(before), pagesOf(after))) return 'the address space changed';
    if (!sameCounters(mmBefore, e.mm)) return 'the page counters changed';
    return null;
  }
  /* mmap: outside the range as before; inside, as before or unmapped. */
  if (step.op !== 'mmap') return null;
  const range: [number, number] = [step.addr, step.addr + step.len];
  if (!samePages(pagesOf(before, range), pagesOf(after, range))) return 'the address space outside the range changed';
  const inside = (rows: readonly VmaRow[]): Map<number, string> => {
    const all = pagesOf(rows);
    for (const k of [...all.keys()]) if (k < range[0] || k >= range[1]) all.delete(k);
    return all;
  };
  const was = inside(before);
  const now = inside(after);
  if (samePages(was, now)) return sameCounters(mmBefore, e.mm) ? null : 'the page counters changed';
  if (now.size !== 0) return 'the range is neither as before nor unmapped';
  if ((e.mm?.total_vm ?? 0) !== mmBefore.total_vm - was.size) return 'total_vm was not refunded exactly for the hole';
  return null;
}
