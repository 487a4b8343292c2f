// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A campaign spread over worker threads (src/race/parallel.ts) gives the
 * sequential campaign's result: the same runs, counts and coverage, the
 * same first finding (the lowest run index), shrunk and reported the same.
 * The workers run the compiled dist/ (npm test builds it first).
 */

import { DEFAULT_RACE, runRaceCampaign, type RaceCampaignOptions, type RaceCampaignResult } from '../../src/race/campaign';
import { parallelCampaignPossible, runRaceCampaignThreaded } from '../../src/race/parallel';

const stop = { requested: false, pause: (): Promise<void> => new Promise((r) => setImmediate(r)) };

/* What must not depend on the number of threads (everything but the time). */
function outcome(r: RaceCampaignResult): unknown {
  return {
    runs: r.runs,
    steps: r.steps,
    checks: r.checks,
    nesting: r.nestingLimited,
    coverage: [r.coverage.refcountStates, r.coverage.readerOutcomes, r.coverage.ops].map((m) => [...m].sort()),
    findings: r.findings.map((f) => [f.run, f.known?.id ?? null, f.finding.kind, f.finding.message, f.program, f.schedule, f.report]),
  };
}

/* Shrinking bounded by evaluations only, so that it does not depend on the machine's speed. */
const base: RaceCampaignOptions = { ...DEFAULT_RACE, timeLimitMs: 0, shrinkBudget: 40, shrinkTimeMs: 600_000, regressionDir: null };

test('the default campaign can run over worker threads', () => {
  expect(parallelCampaignPossible(base)).toBe(true);
  expect(parallelCampaignPossible({ ...base, scheduler: 'dfs' })).toBe(false);
  expect(parallelCampaignPossible({ ...base, program: [1, 0] })).toBe(false);
});

test('two threads: the same runs and the same first finding as one (mix, PCT runs included, going on after a known defect)', async () => {
  /* Seed 7 meets the known v6.15 use-after-free at run 243 and goes on. */
  const o: RaceCampaignOptions = { ...base, seed: 7, runs: 270, stopAtFirst: false, stopAtKnown: false };
  const seq = runRaceCampaign(o);
  expect(seq.findings.length).toBeGreaterThan(0);
  const par = await runRaceCampaignThreaded({ ...o, threads: 2 }, stop);
  expect(outcome(par)).toEqual(outcome(seq));
}, 60_000);

test('two threads stop where one does (at the first finding)', async () => {
  const o: RaceCampaignOptions = { ...base, seed: 7, runs: 400, stopAtFirst: true, stopAtKnown: true };
  const seq = runRaceCampaign(o);
  const par = await runRaceCampaignThreaded({ ...o, threads: 2 }, stop);
  expect(outcome(par)).toEqual(outcome(seq));
  expect(seq.findings.map((f) => f.run)).toEqual([243]);
  expect(par.runs).toBe(244);
}, 60_000);
