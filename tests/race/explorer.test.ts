// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The race explorer on the unmodified v6.15 model, bounded and with fixed
 * seeds: nothing but the known defects is found, every state of vm_refcnt
 * and every reader outcome is reached, runs replay exactly from their
 * schedule, a fast-check property over programs and schedules holds, and the
 * preemption-bounded search is exhaustive for a small program.
 */

import fc from 'fast-check';
import { knownRaceDefect } from '../../src/known_defects';
import { DEFAULT_RACE, replay, runOnce, runRaceCampaign, type RaceCampaignOptions } from '../../src/race/campaign';
import { dfsExplore, preemptions } from '../../src/race/dfs';
import { summary } from '../../src/race/report';
import { decodeProgram, encodeProgram, randomProgram } from '../../src/race/scenario';
import { PctStrategy, RandomStrategy, ReplayStrategy } from '../../src/race/strategy';

const o: RaceCampaignOptions = { ...DEFAULT_RACE, timeLimitMs: 0, shrinkTimeMs: 300, regressionDir: null };

test('a bounded campaign finds nothing but known v6.15 defects and reaches every vm_refcnt state', () => {
  const r = runRaceCampaign({ ...o, runs: 300, stopAtFirst: false });
  const unknown = r.findings.filter((f) => f.known === null).map((f) => summary(f.finding));
  expect(unknown).toEqual([]);
  const states = [...r.coverage.refcountStates.keys()].sort();
  expect(states).toEqual(
    [
      '0 (detached)',
      '1 (attached)',
      '2..O-1 (attached, readers)',
      'O (detaching writer, no reader)',
      'O+1 (write-locking writer, no reader)',
      'O+n (writer waiting for readers)',
    ].sort(),
  );
  for (const outcome of ['success (VMA lock)', '-EAGAIN retry (VMA_LOCK_MISS)', 'fallback (mmap lock)', 'no VMA (SIGSEGV)']) {
    expect(r.coverage.readerOutcomes.get(outcome) ?? 0).toBeGreaterThan(0);
  }
  /* Every step is checked (a run that fails stops in the middle of its last step). */
  expect(r.checks).toBeGreaterThanOrEqual(r.steps - r.findings.length);
});

test('a run replays exactly from its schedule', () => {
  const prog = randomProgram(42, DEFAULT_RACE.shape);
  const a = runOnce(o, prog, new RandomStrategy(7), true);
  const b = replay(o, prog, a.decisions, true);
  expect(b.steps).toBe(a.steps);
  expect(b.decisions).toEqual(a.decisions);
  expect(b.trace?.map((t) => `${t.actor}:${t.fn}:${t.refAfter}`)).toEqual(a.trace?.map((t) => `${t.actor}:${t.fn}:${t.refAfter}`));
});

test('programs encode and decode; any integers decode to a runnable program', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(), { maxLength: 60 }), (p) => {
      const s = decodeProgram(p);
      expect(decodeProgram(encodeProgram(s))).toEqual(s);
      return s.mms.length >= 1;
    }),
    { seed: 20261121, numRuns: 200 },
  );
});

test('property: no schedule of any program breaks an invariant, known defects aside', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(), { maxLength: 50 }), fc.array(fc.nat({ max: 4 }), { maxLength: 200 }), (p, s) => {
      const r = replay(o, p, s);
      if (r.finding === null) return true;
      return knownRaceDefect(summary(r.finding)) !== null;
    }),
    { seed: 20261121, numRuns: 150 },
  );
});

test('PCT runs are deterministic per seed and terminate', () => {
  const prog = randomProgram(5, DEFAULT_RACE.shape);
  const a = runOnce(o, prog, new PctStrategy(3, 3, 300));
  const b = runOnce(o, prog, new PctStrategy(3, 3, 300));
  expect(a.decisions).toEqual(b.decisions);
  expect(a.finding).toBeNull();
});

test('preemption-bounded search covers every schedule of a small program up to bound 2', () => {
  const prog = encodeProgram({
    mms: [
      {
        initial: [{ kind: 'mmap', a: 0, b: 1, c: 0, d: 0 }],
        ops: [{ kind: 'munmap', a: 0, b: 1, c: 1, d: 0 }],
        readers: [{ faults: [{ page: 1, hold: 0 }] }],
      },
    ],
  });
  const seen = new Set<string>();
  let runs = 0;
  const sc: RaceCampaignOptions = { ...o, memoryModel: 'sc' };
  const d = dfsExplore(
    (s) => replay(sc, prog, s),
    2,
    (r) => {
      runs++;
      expect(preemptions(r)).toBeLessThanOrEqual(2);
      seen.add(r.decisions.join(','));
    },
  );
  expect(d.failing).toBeNull();
  expect(d.complete).toBe(true);
  expect(seen.size).toBeGreaterThan(50);
  /* Bound 0 has exactly one schedule; each bound re-runs the lower ones. */
  expect(runs).toBeGreaterThan(seen.size);
  expect(replay(sc, prog, []).decisions.every((c) => c === 0)).toBe(true);
  expect(new ReplayStrategy([5]).name).toBe('replay');
});
