// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `vma-harness run` (what `npm start` does): the main job.  Replays every
 * trace under fixtures/ (the oracle traces and saved fuzzing regressions),
 * then runs the default fuzz campaign and the bounded race campaign against
 * the real v6.15 VMA lock, with progress and a summary.
 */

import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { collectTraceFiles, describeResult, replayFile } from '../trace/replay';
import { progressLine } from './progress';
import { DEFAULT_CAMPAIGN, runCampaign } from './fuzz_cmd';
import { mainJobRace } from './race_main';

/** The project's fixtures/ directory (next to src/ or dist/). */
export function fixturesDir(): string {
  return join(__dirname, '..', '..', 'fixtures');
}

export interface MainJobResult {
  readonly passed: number;
  readonly failed: number;
  readonly badInput: number;
  readonly steps: number;
}

export function replayCorpus(dir: string, write: (s: string) => void, tty: boolean): MainJobResult {
  const files = existsSync(dir) ? collectTraceFiles([dir]) : [];
  let passed = 0;
  let failed = 0;
  let badInput = 0;
  let steps = 0;
  const t0 = Date.now();
  write(`Replaying ${files.length} traces from ${relative(process.cwd(), dir) || dir}\n`);
  files.forEach((f, i) => {
    const r = replayFile(f);
    steps += r.stepsRun;
    if (r.status === 'pass') passed++;
    else {
      failed++;
      if (r.status === 'bad-input') badInput++;
      if (tty) write('\r\x1b[K');
      write(`${describeResult(r)}\n`);
    }
    if (tty) write(`\r${progressLine(i + 1, files.length, `${passed} passed, ${failed} failed`)}`);
  });
  if (tty && files.length) write('\r\x1b[K');
  const secs = (Date.now() - t0) / 1000;
  write(`Regression corpus: ${files.length} traces, ${steps} steps in ${secs.toFixed(1)} s\n`);
  write(`${passed} passed, ${failed} failed\n`);
  return { passed, failed, badInput, steps };
}

export function mainJob(_argv: readonly string[]): number {
  const write = (s: string): void => void process.stdout.write(s);
  const tty = Boolean(process.stdout.isTTY);
  write('== 1. Regression corpus ==\n');
  const res = replayCorpus(fixturesDir(), write, tty);
  write('\n== 2. Fuzz campaign ==\n');
  const fuzz = runCampaign(DEFAULT_CAMPAIGN, write, tty);
  write('\n== 3. Race campaign (the real v6.15 VMA lock) ==\n');
  const race = mainJobRace(write, tty);
  write(
    `\nMain job: corpus ${res.passed} passed, ${res.failed} failed; fuzzing ${fuzz.failures.length} failure(s); ` +
      `races ${race.failures} failure(s)${race.known ? `, ${race.known} known v6.15 defect(s)` : ''}\n`,
  );
  if (res.badInput || race.badInput) return 2;
  return res.failed || fuzz.failures.length || race.failures ? 1 : 0;
}
