// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ordering bugs from the history of the VMA lock, planted in copies of the
 * model: the default race campaign (LKMM visibility on) finds each one,
 * shrinks it and replays it; with sequentially consistent memory the same
 * number of schedules finds nothing (these are bugs of ordering, not of
 * program order); and the unmodified model runs the shrunk schedule cleanly.
 */

import { DEFAULT_RACE, replay, runRaceCampaign, type RaceCampaignOptions } from '../../src/race/campaign';
import type { RaceKernel } from '../../src/race/explorer';
import { plantCleanup, plantedCopy } from '../../src/race/plant';
import { ORDERING_BUGS } from '../../src/race/planted';

afterAll(() => plantCleanup());

const base: RaceCampaignOptions = { ...DEFAULT_RACE, timeLimitMs: 0, runs: 4000, shrinkTimeMs: 500, regressionDir: null };

test.each(ORDERING_BUGS.map((b) => [b.id, b] as const))('%s is found with LKMM visibility, not without', (_id, bug) => {
  const kernel = plantedCopy<RaceKernel>(bug.spec, 'index');
  const o: RaceCampaignOptions = { ...base, kernel };
  expect(o.memoryModel).toBe('lkmm');
  const r = runRaceCampaign(o);
  const f = r.findings.find((x) => x.known === null);
  expect(f).toBeDefined();
  if (!f) return;
  expect(bug.kinds).toContain(f.finding.kind);
  expect(replay(o, f.program, f.schedule).finding?.kind).toBe(f.finding.kind);
  expect(replay({ ...base }, f.program, f.schedule).finding).toBeNull();

  const sc = runRaceCampaign({ ...o, memoryModel: 'sc', runs: f.run + 1 });
  expect(sc.findings.filter((x) => x.known === null).map((x) => x.finding.message)).toEqual([]);
});
