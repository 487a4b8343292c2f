// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The bounded property suite of `npm test`: random command sequences and
 * merge scenarios checked against the reference model after every command,
 * and the fault sweep.  The seed is fixed (settings in suite.ts: override
 * with FUZZ_SEED, the size with FUZZ_RUNS); a failure prints the seed and
 * path, the shrunk sequence with layout diagrams, and writes a regression
 * trace under fixtures/regressions/.
 */

import { join } from 'node:path';
import { MergeCoverage } from '../../src/fuzz/coverage';
import { faultSweep } from '../../src/fuzz/fault_sweep';
import { runFuzz, runScenarioFuzz } from '../../src/fuzz/harness';
import { SUITE_COMMANDS, SUITE_RUNS, SUITE_SCENARIOS, SUITE_SEED, SUITE_SWEEP_PER_OP } from './suite';

const SEED = SUITE_SEED;
const RUNS = SUITE_RUNS;
const regressionDir = join(__dirname, '..', '..', 'fixtures', 'regressions');
const coverage = new MergeCoverage();

test('random command sequences agree with the model and keep every invariant', () => {
  const r = runFuzz({ runs: RUNS, commands: SUITE_COMMANDS, seed: SEED, regressionDir });
  coverage.merge(r.stats.coverage);
  expect(r.failure?.message ?? 'no failure').toBe('no failure');
  expect(r.stats.runs).toBe(RUNS);
  expect(r.stats.commands).toBeGreaterThan(RUNS * 10);
});

test('merge scenarios agree with the model and keep every invariant', () => {
  const r = runScenarioFuzz({ runs: SUITE_SCENARIOS, commands: 0, seed: SEED, regressionDir });
  coverage.merge(r.stats.coverage);
  expect(r.failure?.message ?? 'no failure').toBe('no failure');
});

test('fault sweep: every failing preallocation is reported and keeps its promises', () => {
  const r = faultSweep(SEED, SUITE_SWEEP_PER_OP);
  expect(r.failures).toEqual([]);
  expect(r.scenarios).toBeGreaterThan(100);
  expect(r.faultRuns).toBeGreaterThan(50);
});

test('the suite reaches every merge case', () => {
  expect(coverage.missing()).toEqual([]);
});
