// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Shrinking a race failure to something a person can read, in three passes,
 * each keeping only changes that still give the same failure (same
 * invariant, same known defect if any):
 *
 *  1. the program, structurally: drop whole mms, readers, operations,
 *     faults, initial mappings and hold times, one at a time, greedily; the
 *     schedule is replayed by actor name meanwhile, so that the choices of
 *     the actors that remain keep their meaning;
 *  2. the schedule: trailing default choices dropped, then each remaining
 *     preemption tried as "no preemption", from the last one back;
 *  3. fast-check's own shrinking of both integer arrays, for what is left of
 *     the budget.
 */

import fc from 'fast-check';
import { knownRaceDefect } from '../known_defects';
import type { Finding, RunResult } from './explorer';
import { summary } from './report';
import { decodeProgram, encodeProgram, type MmPlan, type Scenario } from './scenario';
import { NameReplayStrategy, ReplayStrategy, type Strategy } from './strategy';

/** How a shrinker runs a program under a strategy. */
export type RunFn = (program: readonly number[], strategy: Strategy) => RunResult;

/** Is @r the same failure as @f (same invariant, same known defect if any)? */
export function sameFailure(r: RunResult, f: Finding): boolean {
  if (r.finding === null || r.finding.kind !== f.kind) return false;
  return knownRaceDefect(summary(r.finding))?.id === knownRaceDefect(summary(f))?.id;
}

/* Every program one structural step smaller than @s. */
function smaller(s: Scenario): Scenario[] {
  const out: Scenario[] = [];
  const withMm = (m: number, plan: MmPlan | null): Scenario => ({
    mms: plan === null ? s.mms.filter((_, i) => i !== m) : s.mms.map((p, i) => (i === m ? plan : p)),
  });
  s.mms.forEach((p, m) => {
    if (s.mms.length > 1) out.push(withMm(m, null));
    p.readers.forEach((r, ri) => {
      out.push(withMm(m, { ...p, readers: p.readers.filter((_, i) => i !== ri) }));
      r.faults.forEach((f, fi) => {
        if (r.faults.length > 1) {
          const faults = r.faults.filter((_, i) => i !== fi);
          out.push(withMm(m, { ...p, readers: p.readers.map((x, i) => (i === ri ? { faults } : x)) }));
        }
        if (f.hold > 0) {
          const faults = r.faults.map((x, i) => (i === fi ? { ...x, hold: 0 } : x));
          out.push(withMm(m, { ...p, readers: p.readers.map((x, i) => (i === ri ? { faults } : x)) }));
        }
      });
    });
    p.ops.forEach((_, oi) => out.push(withMm(m, { ...p, ops: p.ops.filter((__, i) => i !== oi) })));
    p.initial.forEach((_, ii) => out.push(withMm(m, { ...p, initial: p.initial.filter((__, i) => i !== ii) })));
  });
  return out;
}

/** A shrunk failing run. */
export interface Shrunk {
  readonly program: number[];
  readonly schedule: number[];
  readonly evaluations: number;
}

/** Shrink the failing run @r of @program (finding @f) within @budget replays and @timeMs. */
export function shrinkRace(
  run: RunFn,
  program: readonly number[],
  r: RunResult,
  f: Finding,
  budget: number,
  seed: number,
  timeMs = 4000,
): Shrunk {
  let evaluations = 0;
  const deadline = Date.now() + timeMs;
  let scen = decodeProgram(program);
  let picks: readonly (string | number)[] = r.picks;
  let last: RunResult = r;
  /* Once true, true for good: every later tryRun() fails without running. */
  const exhausted = (): boolean => evaluations >= budget || Date.now() > deadline;
  const tryRun = (p: readonly number[], st: Strategy): boolean => {
    if (exhausted()) return false;
    evaluations++;
    const x = run(p, st);
    if (!sameFailure(x, f)) return false;
    last = x;
    return true;
  };

  /* 1. The program. */
  for (let changed = true; changed && evaluations < budget && Date.now() <= deadline; ) {
    changed = false;
    for (const cand of smaller(scen)) {
      if (tryRun(encodeProgram(cand), new NameReplayStrategy(picks))) {
        scen = cand;
        picks = last.picks;
        changed = true;
        break;
      }
    }
  }
  const prog = encodeProgram(scen);

  /* 2. The schedule, as option indices. */
  if (!tryRun(prog, new NameReplayStrategy(picks))) return { program: [...program], schedule: [...r.decisions], evaluations };
  let sched = [...last.decisions];
  while (sched.length && sched[sched.length - 1] === 0) sched.pop();
  for (let j = sched.length - 1; j >= 0 && evaluations < budget; j--) {
    if (sched[j] === 0) continue;
    const cand = [...sched];
    cand[j] = 0;
    if (tryRun(prog, new ReplayStrategy(cand))) {
      sched = [...last.decisions];
      while (sched.length && sched[sched.length - 1] === 0) sched.pop();
    }
  }

  /*
   * 3. fast-check, with what is left.  Once the budget or the time is spent,
   * every candidate would pass without running, so fast-check would only
   * walk the rest of its shrink tree (seconds, for long arrays) to keep the
   * same counterexample: the run is interrupted there instead, which ends
   * it with that counterexample (or none, as before).
   */
  let best = { program: prog, schedule: sched };
  const arr = fc.array(fc.nat(), { maxLength: 1 << 20 });
  const res = fc.check(
    fc.property(arr, arr, (p, s) => {
      if (exhausted()) throw new fc.PreconditionFailure(true);
      return !tryRun(p, new ReplayStrategy(s));
    }),
    { examples: [[prog, sched]], numRuns: 1, seed },
  );
  if (res.failed && res.counterexample !== null) {
    const [p, s] = res.counterexample;
    const t = [...s];
    while (t.length && t[t.length - 1] === 0) t.pop();
    best = { program: p, schedule: t };
  }
  return { ...best, evaluations };
}
