// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The showcase: v6.15 as released has a use-after-free in vma_refcount_put()
 * (a reader that drops its count on a VMA recycled into another mm wakes
 * that mm's writer slot while nothing keeps that mm alive; fixed upstream by
 * 9bbffee67ffd).  The default campaign finds it, shrinks it, reports it as a
 * known defect with a replay command, and it reproduces exactly; with the
 * upstream fix applied the same schedule is harmless and the same campaign
 * finds nothing.
 */

import { KNOWN_DEFECTS } from '../../src/known_defects';
import { DEFAULT_RACE, replay, runRaceCampaign, type RaceCampaignOptions } from '../../src/race/campaign';
import { main } from '../../src/cli';
import type { ReportJson } from '../../src/cli/report';
import { testContext } from '../cli/context';

const o: RaceCampaignOptions = { ...DEFAULT_RACE, timeLimitMs: 0, runs: 5000, stopAtFirst: false, stopAtKnown: true, shrinkTimeMs: 500, regressionDir: null };
const uaf = KNOWN_DEFECTS.find((d) => d.id === 'v6.15-vma-refcount-put-uaf');

test('the default campaign finds the v6.15 use-after-free, as a known defect fixed by 9bbffee67ffd', async () => {
  const r = runRaceCampaign(o);
  const f = r.findings.find((x) => x.known?.id === 'v6.15-vma-refcount-put-uaf');
  expect(f).toBeDefined();
  if (!f) return;
  expect(uaf?.fix).toMatch(/^9bbffee67ffd /);
  expect(f.finding.kind).toBe('use-after-free');
  expect(f.finding.message).toMatch(/vma_writer_wait\.task of mm#\d+ in rcuwait_wake_up\(\)/);
  expect(f.report).toContain('known defect, fixed upstream by 9bbffee67ffd');
  expect(f.report).toMatch(/\| vm_refcnt +\| vm_lock_seq \| mm_lock_seq/);
  expect(r.findings.filter((x) => x.known === null)).toEqual([]);

  /* The printed command replays it exactly. */
  const cmd = /replay: vma-harness race (.*)$/m.exec(f.report);
  expect(cmd).not.toBeNull();
  const ctx = testContext();
  expect(await main(['race', ...(cmd as RegExpExecArray)[1].split(' '), '--json'], ctx)).toBe(0);
  const doc = JSON.parse(ctx.stdout()) as ReportJson;
  expect(doc.race?.known_defects.map((k) => [k.id, k.message])).toEqual([['v6.15-vma-refcount-put-uaf', f.finding.message]]);

  /* The upstream fix: the same program and schedule are harmless, ... */
  const fixed = replay({ ...o, fixes: ['9bbffee67ffd'] }, f.program, f.schedule);
  expect(fixed.finding).toBeNull();
  /* ... and the same campaign finds nothing. */
  const clean = runRaceCampaign({ ...o, fixes: ['9bbffee67ffd'], runs: f.run + 1 });
  expect(clean.findings.map((x) => x.finding.message)).toEqual([]);
});
