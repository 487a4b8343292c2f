// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Preemption-bounded exhaustive search (iterative context bounding, Musuvathi
 * and Qadeer, PLDI 2007; loom's LOOM_MAX_PREEMPTIONS): for b = 0, 1, … every
 * schedule of one program with at most b preemptions, depth first, by
 * re-execution.  A preemption is a choice other than "let the running actor
 * continue" while it could; switching when the running actor blocks,
 * finishes or busy-waits is free.  The first bound at which a finding
 * appears is the bug's difficulty rating.
 */

import type { RunResult } from './explorer';

/** What a preemption-bounded search of one program found. */
export interface DfsResult {
  /** The first failing run, or null. */
  readonly failing: RunResult | null;
  /** The bound at which it failed (or the last bound searched). */
  readonly bound: number;
  /** Schedules run. */
  readonly runs: number;
  /** Was every schedule within the last bound run (no budget cut)? */
  readonly complete: boolean;
}

/* A choice's option count (negative: option 0 was not "continue"; see Explorer). */
function isPreemption(meta: number, choice: number): boolean {
  return meta > 0 && choice !== 0;
}

/** Preemptions used by a run. */
export function preemptions(r: Pick<RunResult, 'decisions' | 'choiceMeta'>): number {
  let n = 0;
  for (let i = 0; i < r.decisions.length; i++) if (isPreemption(r.choiceMeta[i], r.decisions[i])) n++;
  return n;
}

/**
 * Explore @run's schedules with up to @maxBound preemptions; @budget runs per
 * bound.  Bounds are searched in turn from 0 (so that the first failure has
 * the fewest preemptions), or only @only when given.
 */
export function dfsExplore(
  run: (schedule: number[]) => RunResult,
  maxBound: number,
  account: (r: RunResult) => void,
  budget = 20000,
  only: number | null = null,
): DfsResult {
  let total = 0;
  let complete = true;
  for (let b = only ?? 0; b <= (only ?? maxBound); b++) {
    let prefix: number[] = [];
    let n = 0;
    complete = true;
    for (;;) {
      const r = run(prefix);
      account(r);
      total++;
      n++;
      if (r.finding !== null) return { failing: r, bound: preemptions(r), runs: total, complete };
      if (n >= budget) {
        complete = false;
        break;
      }
      const d = r.decisions;
      const m = r.choiceMeta;
      /* Preemptions before each position. */
      const before: number[] = [];
      let used = 0;
      for (let i = 0; i < d.length; i++) {
        before.push(used);
        if (isPreemption(m[i], d[i])) used++;
      }
      let next: number[] | null = null;
      for (let j = d.length - 1; j >= 0; j--) {
        const alt = d[j] + 1;
        if (alt >= Math.abs(m[j])) continue;
        if (before[j] + (isPreemption(m[j], alt) ? 1 : 0) > b) continue;
        next = [...d.slice(0, j), alt];
        break;
      }
      if (next === null) break;
      prefix = next;
    }
  }
  return { failing: null, bound: maxBound, runs: total, complete };
}
