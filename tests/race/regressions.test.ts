// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every saved race regression (fixtures/race/*.race) replayed against the
 * current code: the planted bugs' shrunk schedules pass on the real model,
 * and the known v6.15 use-after-free is shown again, exactly.  Bad files are
 * reported with the file and the field.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { raceFixturesDir, regressionFiles, loadRegression } from '../../src/race/regressions';
import { replayRegression } from '../../src/race/regression_replay';

const files = regressionFiles(raceFixturesDir());

test('there are saved race regressions', () => {
  expect(files.length).toBeGreaterThanOrEqual(9);
  expect(files.some((f) => loadRegression(f).expectKnown === 'v6.15-vma-refcount-put-uaf')).toBe(true);
});

test.each(files.map((f) => [f.split('/').pop() as string, f]))('%s replays', (_name, file) => {
  const r = replayRegression(file);
  expect(r.message).toBeDefined();
  expect(r.status).toBe('pass');
});

test('a malformed regression file names the file and the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vma-race-'));
  try {
    const f = join(dir, 'bad.race');
    writeFileSync(f, JSON.stringify({ format: 'vma-race/1', program: [1, -2], schedule: [], found: { kind: 'x', message: 'y' } }));
    const r = replayRegression(f);
    expect(r.status).toBe('bad-input');
    expect(r.message).toContain('bad.race');
    expect(r.message).toContain("field 'program'");
    writeFileSync(f, '{');
    expect(replayRegression(f).status).toBe('bad-input');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
