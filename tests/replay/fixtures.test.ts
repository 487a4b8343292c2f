// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every trace under fixtures/ (the oracle traces recorded from the original
 * v6.15 C code, and the saved fuzzing regressions) must replay with no
 * difference at all.
 */

import { join } from 'node:path';
import { collectTraceFiles, describeResult, replayFile } from '../../src/trace/replay';

const root = join(__dirname, '..', '..', 'fixtures');
const files = collectTraceFiles([root]).filter((f) => !f.endsWith('README.md'));

test('fixtures/ holds the 600 public oracle traces (random-*, ext-*, fault-*)', () => {
  const oracle = files.filter((f) => f.includes(`${join('fixtures', 'oracle')}`));
  expect(oracle.filter((f) => /random-s\d+\.json$/.test(f)).length).toBe(200);
  expect(oracle.filter((f) => /ext-s\d+\.json$/.test(f)).length).toBe(200);
  expect(oracle.filter((f) => /fault-s\d+\.json$/.test(f)).length).toBe(200);
});

describe.each(files.map((f) => [f.slice(root.length + 1), f]))('%s', (_name, file) => {
  test('replays with no mismatch', () => {
    const r = replayFile(file);
    expect(r.status === 'pass' ? 'pass' : describeResult(r)).toBe('pass');
  });
});
