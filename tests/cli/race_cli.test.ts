// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vma-harness race`: option errors (exit 2), the options reaching the
 * campaign (--json), an exact replay of a saved report (--program/--schedule),
 * --fix, a short campaign's summary, Ctrl-C, and the race phase of the main job.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli';
import { mainJob } from '../../src/cli/main_job';
import { REPORT_SCHEMA, type ReportJson } from '../../src/cli/report';
import { DEFAULT_RACE } from '../../src/race/campaign';
import { raceFixturesDir, regressionFiles } from '../../src/race/regressions';
import { testContext } from './context';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vma-race-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('bad options exit with status 2 and say what is wrong', async () => {
  const bad: [string[], string][] = [
    [['--runs', 'x'], 'Expected a decimal integer'],
    [['--mms', '9'], 'Expected a decimal integer from 1 to 4'],
    [['--fix', 'deadbeef0000'], "unknown upstream fix 'deadbeef0000'"],
    [['--schedule', '1,2'], '--schedule needs --program'],
    [['--program', '1,a'], 'comma-separated non-negative integers'],
    [['--scheduler', 'fifo'], "Allowed choices are mix, random, pct, dfs"],
    [['--memory-model', 'tso'], 'Allowed choices are sc, lkmm'],
    [['--bogus'], "unknown option '--bogus'"],
  ];
  for (const [args, msg] of bad) {
    const ctx = testContext();
    expect(await main(['race', ...args], ctx)).toBe(2);
    expect(ctx.stderr()).toContain(msg);
    expect(ctx.stdout()).toBe('');
  }
});

test('the options reach the campaign, and --json prints one report/1 document', async () => {
  const ctx = testContext();
  const args = ['race', '--mms', '2', '--readers', '1', '--ops', '3', '--scheduler', 'pct', '--depth', '4', '--fix', '9bbffee67ffd', '--seed', '7', '--runs', '12', '--time', '0'];
  expect(await main([...args, '--memory-model', 'sc', '--regressions', dir, '--json'], ctx)).toBe(0);
  const doc = JSON.parse(ctx.stdout()) as ReportJson;
  expect(doc).toMatchObject({ schema: REPORT_SCHEMA, command: 'race', exit_code: 0, interrupted: false });
  expect(doc.race).toMatchObject({ seed: 7, scheduler: 'pct', memory_model: 'sc', fixes: ['9bbffee67ffd'], shape: { mms: 2, readers: 1, ops: 3 }, runs: 12, failures: [] });
  expect(doc.race?.steps).toBeGreaterThan(0);
  expect(doc.race?.checks).toBeGreaterThan(0);
  expect(doc.race?.refcount_states['1 (attached)']).toBeGreaterThan(0);
});

test('a saved report replays exactly, and the upstream fix makes it pass', async () => {
  const file = regressionFiles(raceFixturesDir()).find((f) => f.includes('use-after-free'));
  expect(file).toBeDefined();
  const reg = JSON.parse(readFileSync(file as string, 'utf8')) as { program: number[]; schedule: number[]; memoryModel: string; found: { message: string } };
  const args = ['race', '--program', reg.program.join(','), '--schedule', reg.schedule.join(',') || '0', '--memory-model', reg.memoryModel];
  let ctx = testContext();
  expect(await main(args, ctx)).toBe(0); /* a known defect keeps the status 0 */
  const text = ctx.stdout();
  expect(text).toContain(reg.found.message);
  expect(text).toContain('known defect, fixed upstream by 9bbffee67ffd');
  expect(text).toContain('interleaving');
  ctx = testContext();
  expect(await main([...args, '--fix', '9bbffee67ffd'], ctx)).toBe(0);
  expect(ctx.stdout()).not.toContain('RACE:');
});

test('a short campaign prints the summary', async () => {
  const ctx = testContext();
  expect(await main(['race', '--runs', '40', '--time', '0', '--regressions', dir], ctx)).toBe(0);
  const text = ctx.stdout();
  expect(text).toContain('schedules run: 40');
  expect(text).toContain('vm_refcnt states reached');
  expect(text).toContain('reader outcomes');
});

test('Ctrl-C stops the campaign: exit 130 and a partial summary', async () => {
  const ctx = testContext();
  ctx.interrupt.request();
  expect(await main(['race', '--runs', '100000', '--time', '0', '--regressions', dir, '--json'], ctx)).toBe(130);
  const doc = JSON.parse(ctx.stdout()) as ReportJson;
  expect(doc).toMatchObject({ command: 'race', exit_code: 130, interrupted: true });
  expect(doc.race?.runs).toBeLessThan(100000);
});

test('the main job runs the race phase after the fuzz campaign and reports it', async () => {
  const ctx = testContext();
  const campaign = { runs: 5, commands: 5, seed: 3, scenarios: 5, sweep: 0, sequences: true, scenariosPhase: true, regressionDir: join(dir, 'reg') };
  const race = { ...DEFAULT_RACE, runs: 30, timeLimitMs: 0, regressionDir: join(dir, 'race') };
  const code = await mainJob(ctx, true, campaign, dir, race);
  const doc = JSON.parse(ctx.stdout()) as ReportJson;
  expect(code).toBe(0);
  expect(doc).toMatchObject({ command: 'run', exit_code: 0 });
  expect(doc.race).toMatchObject({ runs: 30, failures: [], regressions: { replayed: 0, failed: [] } });
});
