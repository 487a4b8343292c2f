// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Bugs from the history of the v6.15 VMA lock, planted in copies of the lock
 * model or of the port (never in src/): the default campaign finds each one,
 * shrinks it, and the shrunk program and schedule replay it exactly on the
 * copy, while the unmodified code runs the same schedule without a failure.
 */

import * as lock_module from '../../src/lock';
import * as port_module from '../../src/mm/vma';
import { DEFAULT_RACE, replay, runRaceCampaign, type RaceCampaignOptions } from '../../src/race/campaign';
import type { RaceKernel } from '../../src/race/explorer';
import type { RacePort } from '../../src/race/ops';
import { plantCleanup, plantedCopy } from '../../src/race/plant';
import { HISTORIC_BUGS } from '../../src/race/planted';

afterAll(() => plantCleanup());

const base: RaceCampaignOptions = { ...DEFAULT_RACE, timeLimitMs: 0, runs: 6000, shrinkTimeMs: 1000, regressionDir: null };

test.each(HISTORIC_BUGS.map((b) => [b.id, b] as const))('%s is found by the default campaign', (_id, bug) => {
  const kernel = bug.spec.dir === 'lock' ? plantedCopy<RaceKernel>(bug.spec, 'index') : lock_module;
  const port = bug.spec.dir === 'mm' ? plantedCopy<RacePort>(bug.spec, 'vma') : port_module;
  const o: RaceCampaignOptions = { ...base, kernel, port };
  const r = runRaceCampaign(o);
  const f = r.findings.find((x) => x.known === null);
  expect(f).toBeDefined();
  if (!f) return;
  expect(bug.kinds).toContain(f.finding.kind);
  expect(f.report).toContain(f.finding.message);
  /* The shrunk run reproduces on the copy... */
  const again = replay(o, f.program, f.schedule);
  expect(again.finding?.kind).toBe(f.finding.kind);
  /* ... and the real code runs it without a failure. */
  const real = replay({ ...base }, f.program, f.schedule);
  expect(real.finding).toBeNull();
});

test('a plant that no longer applies is an error, not a silent no-op', () => {
  expect(() => plantedCopy({ dir: 'lock', edits: [{ file: 'mm_h.ts', from: 'no such text', to: '' }] }, 'index')).toThrow(/exactly once/);
  expect(() => plantedCopy({ dir: 'lock', edits: [{ file: 'nope.ts', from: 'x', to: '' }] }, 'index')).toThrow(/no file/);
});
