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

test('fixtures/ holds the 200 public oracle traces', () => {
  expect(files.filter((f) => f.includes(`${join('fixtures', 'oracle')}`)).length).toBe(200);
});

describe.each(files.map((f) => [f.slice(root.length + 1), f]))('%s', (_name, file) => {
  test('replays with no mismatch', () => {
    const r = replayFile(file);
    expect(r.status === 'pass' ? 'pass' : describeResult(r)).toBe('pass');
  });
});
