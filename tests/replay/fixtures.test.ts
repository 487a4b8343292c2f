// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every trace under fixtures/ (the oracle traces recorded from the original
 * v6.15 C code, and the saved fuzzing regressions) must replay with no
 * difference at all.  While the oracle traces replay, V8's precise coverage
 * watches the port: every function of src/mm that the harness can reach
 * must have been called by them (src/bench/coverage.ts lists the others and
 * why).
 */

import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { collectTraceFiles, describeResult, replayFile } from '../../src/trace/replay';
import { parseTrace } from '../../src/trace/parse';
import { PROJECT_OPS } from '../../src/trace/types';
import { missed, PortCoverage, unknownUnreachable, wronglyUnreachable } from '../../src/bench/coverage';
import { quickBe } from '../support/quick_expect';

const root = join(__dirname, '..', '..', 'fixtures');
const files = collectTraceFiles([root]).filter((f) => !f.endsWith('README.md'));
const inOracle = (f: string): boolean => f.includes(`${join('fixtures', 'oracle')}`);

test('fixtures/ holds the 600 public oracle traces (random-*, ext-*, fault-*)', () => {
  const oracle = files.filter(inOracle);
  expect(oracle.filter((f) => /random-s\d+\.json$/.test(f)).length).toBe(200);
  expect(oracle.filter((f) => /ext-s\d+\.json$/.test(f)).length).toBe(200);
  expect(oracle.filter((f) => /fault-s\d+\.json$/.test(f)).length).toBe(200);
});

test("no oracle trace holds an operation of this project (their expectations are the model's, fixtures/project/)", () => {
  const op = new RegExp(`"op"\\s*:\\s*"(${PROJECT_OPS.join('|')})"`);
  expect(files.filter(inOracle).filter((f) => op.test(readFileSync(f, 'utf8')))).toEqual([]);
  const project = files.filter((f) => f.includes(join('fixtures', 'project')));
  expect(project.length).toBeGreaterThan(0);
  for (const f of project) expect(parseTrace(readFileSync(f, 'utf8'), f).steps.some((s) => PROJECT_OPS.includes(s.op))).toBe(true);
});

const coverage = new PortCoverage();
beforeAll(() => coverage.start());

const replays = (list: string[]): [string, string][] => list.map((f) => [f.slice(root.length + 1), f]);

describe.each(replays(files.filter(inOracle)))('%s', (_name, file) => {
  test('replays with no mismatch', () => {
    const r = replayFile(file);
    quickBe(r.status === 'pass' ? 'pass' : describeResult(r), 'pass');
  });
});

test('the oracle replay reaches every function of src/mm the harness can reach', async () => {
  await coverage.take();
  await coverage.stop();
  const rows = coverage.report();
  expect(rows.length).toBeGreaterThan(100);
  expect(missed(rows, 0).map((r) => `${r.file} ${r.name}`)).toEqual([]);
  expect(wronglyUnreachable(rows, 0).map((r) => `${r.file} ${r.name}`)).toEqual([]);
  expect(unknownUnreachable(rows)).toEqual([]);
});

/* The saved fuzzing regressions (there may be none). */
const regressions = files.filter((f) => !inOracle(f));
if (regressions.length) {
  describe.each(replays(regressions))('%s', (_name, file) => {
    test('replays with no mismatch', () => {
      const r = replayFile(file);
      expect(r.status === 'pass' ? 'pass' : describeResult(r)).toBe('pass');
    });
  });
}
