// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The scenarios of examples/ run as part of npm test (they import the
 * package by name, mapped to src/ here; tests/package/ builds and runs
 * them against the packed package from a project outside the repository).
 */

import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(__dirname, '..', '..', 'examples');
const examples = readdirSync(dir).filter((f) => f.endsWith('.ts'));

test('there are the three documented examples', () => {
  expect(examples.sort()).toEqual(['close_hook_forbids_merge.ts', 'merge_fills_gap.ts', 'munmap_fails_halfway.ts']);
});

test.each(examples)('examples/%s runs to the end', (file) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(join(dir, file)) as { run: (log: (l: string) => void) => void };
  const lines: string[] = [];
  mod.run((l) => lines.push(l));
  expect(lines.join('\n')).toMatch(/^0x1000 {2}0123/);
});
