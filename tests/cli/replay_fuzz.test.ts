// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The replay fuzz target (src/fuzz/trace_mutations.ts), bounded: valid
 * oracle traces mutated by fast-check (fixed seed) must each end as a
 * replay result (exit 0, 1 or 2) within a time bound, with no exception
 * escaping, and none may crash the port: bad input is refused (exit 2)
 * before the port sees it, so a JavaScript error or a KernelBug from a
 * mutated trace is a gap in the validator.  It runs in a child process,
 * so that a hang is caught by a timeout and reported with the input that
 * hung.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mutateTrace } from '../../src/fuzz/trace_mutations';
import { cleanEnv, ensureBuilt, repo } from '../util/build';

const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const RUNS = Number(process.env.REPLAY_FUZZ_RUNS ?? 300);
const BASES = [
  ...['random-s0002', 'random-s0004', 'random-s0005', 'ext-s0002', 'ext-s0004', 'fault-s0010', 'fault-s0028'].map((n) => join(repo, 'fixtures', 'oracle', `${n}.json`)),
  /* mlockall, an operation of this project (no oracle trace holds it). */
  join(repo, 'fixtures', 'project', 'mlockall-basic.json'),
];

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'vma-replay-fuzz-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('mutations are applied as described', () => {
  const base = readFileSync(BASES[0], 'utf8');
  const n = (JSON.parse(base) as { steps: unknown[] }).steps.length;
  const steps = (t: string): unknown[] => (JSON.parse(t) as { steps: unknown[] }).steps;
  expect(steps(mutateTrace(base, [{ kind: 'drop', a: 0, b: 0, c: 0 }]))).toHaveLength(n - 1);
  expect(steps(mutateTrace(base, [{ kind: 'duplicate', a: 3, b: 0, c: 0 }]))).toHaveLength(n + 1);
  expect(mutateTrace(base, [{ kind: 'truncate', a: 10, b: 0, c: 0 }])).toHaveLength(10);
  const renamed = steps(mutateTrace(base, [{ kind: 'rename-op', a: 0, b: 12, c: 0 }]))[0] as { op: string };
  expect(renamed.op).toBe('frob');
});

test('mutated oracle traces always end with exit 0, 1 or 2, within the time bound, never an exception', () => {
  const inputFile = join(dir, 'input.json');
  const script = `
    const { replayFuzz } = require(${JSON.stringify(join(repo, 'dist', 'fuzz', 'trace_mutations.js'))});
    const fs = require('node:fs');
    const bases = ${JSON.stringify(BASES)}.map((f) => fs.readFileSync(f, 'utf8'));
    const r = replayFuzz(bases, { seed: ${SEED}, runs: ${RUNS}, limitMs: 5000, inputFile: ${JSON.stringify(inputFile)} });
    process.stdout.write(JSON.stringify(r));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: cleanEnv(), timeout: 90_000, maxBuffer: 1 << 24 });
  if (r.error || r.status !== 0) {
    let input = '(none)';
    try {
      input = readFileSync(inputFile, 'utf8').slice(0, 4000);
    } catch {
      /* not written */
    }
    throw new Error(`the fuzz target did not finish (${r.error?.message ?? `exit ${r.status}`}); last input:\n${input}\nstderr:\n${r.stderr}`);
  }
  const summary = JSON.parse(r.stdout) as { runs: number; statuses: Record<string, number>; slowestMs: number; jsErrors: string[]; crashes: string[]; failure: string | null };
  expect(summary.failure).toBeNull();
  expect(summary.runs).toBe(RUNS);
  /* Bad input never reaches the port: no JavaScript error, no crash at all (the port is faithful). */
  expect(summary.jsErrors).toEqual([]);
  expect(summary.crashes).toEqual([]);
  expect(summary.statuses.crash).toBe(0);
  expect(summary.statuses['maple-check']).toBe(0);
  /* The mutations reach every outcome: parse errors, precondition errors, mismatches and passes. */
  expect(summary.statuses['bad-input']).toBeGreaterThan(0);
  expect(summary.statuses.mismatch).toBeGreaterThan(0);
  expect(summary.statuses.pass).toBeGreaterThan(0);
}, 120_000);
