// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vma-harness race`: option errors (exit 2), an exact replay of a saved
 * report (--program/--schedule), --fix, and a short campaign's summary.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli';
import { parseRaceArgs } from '../../src/cli/race_cmd';
import { raceFixturesDir, regressionFiles } from '../../src/race/regressions';

let out: string[];
let err: string[];
beforeEach(() => {
  out = [];
  err = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
  jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err.push(String(s));
    return true;
  });
});
afterEach(() => jest.restoreAllMocks());

test('bad options exit with status 2 and say what is wrong', async () => {
  expect(await main(['race', '--runs', 'x'])).toBe(2);
  expect(err.join('')).toContain('--runs needs an integer');
  expect(await main(['race', '--fix', 'deadbeef0000'])).toBe(2);
  expect(err.join('')).toContain("unknown upstream fix 'deadbeef0000'");
  expect(await main(['race', '--schedule', '1,2'])).toBe(2);
  expect(err.join('')).toContain('--schedule needs --program');
  expect(await main(['race', '--program', '1,a'])).toBe(2);
  expect(await main(['race', '--scheduler', 'fifo'])).toBe(2);
  expect(await main(['race', '--bogus'])).toBe(2);
});

test('options are parsed into a campaign', () => {
  const o = parseRaceArgs(['--mms', '2', '--readers', '1', '--ops', '3', '--scheduler', 'pct', '--depth', '4', '--fix', '9bbffee67ffd', '--seed', '7']);
  expect(typeof o).not.toBe('string');
  if (typeof o === 'string') return;
  expect(o.shape).toMatchObject({ mms: 2, readers: 1, ops: 3 });
  expect([o.scheduler, o.depth, o.seed, o.fixes]).toEqual(['pct', 4, 7, ['9bbffee67ffd']]);
});

test('a saved report replays exactly, and the upstream fix makes it pass', async () => {
  const file = regressionFiles(raceFixturesDir()).find((f) => f.includes('use-after-free'));
  expect(file).toBeDefined();
  const reg = JSON.parse(readFileSync(file as string, 'utf8')) as { program: number[]; schedule: number[]; memoryModel: string; found: { message: string } };
  const args = ['race', '--program', reg.program.join(','), '--schedule', reg.schedule.join(',') || '0', '--memory-model', reg.memoryModel];
  expect(await main(args)).toBe(0); /* a known defect keeps the status 0 */
  const text = out.join('');
  expect(text).toContain(reg.found.message);
  expect(text).toContain('known defect, fixed upstream by 9bbffee67ffd');
  expect(text).toContain('interleaving');
  out = [];
  expect(await main([...args, '--fix', '9bbffee67ffd'])).toBe(0);
  expect(out.join('')).not.toContain('RACE:');
});

test('a short campaign prints the summary', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vma-race-cli-'));
  try {
    expect(await main(['race', '--runs', '40', '--time', '0', '--regressions', dir])).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const text = out.join('');
  expect(text).toContain('schedules run: 40');
  expect(text).toContain('vm_refcnt states reached');
  expect(text).toContain('reader outcomes');
});
