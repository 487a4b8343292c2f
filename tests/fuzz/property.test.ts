// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The bounded property suite of `npm test`: random command sequences (all
 * operations, fault injection and map count limits among them) and merge
 * scenarios checked against the reference model after every command, and
 * the fault sweep.  The seed is fixed (override with FUZZ_SEED, the size
 * with FUZZ_RUNS; see suite.ts); a failure prints the seed and path, the
 * shrunk sequence with layout diagrams, and writes a regression trace under
 * fixtures/regressions/.  Known v6.15 defects the sequences reach are
 * reported as known (src/known_defects.ts); nothing else may fail.
 */

import { join } from 'node:path';
import { MergeCoverage } from '../../src/fuzz/coverage';
import { faultSweep } from '../../src/fuzz/fault_sweep';
import { runFuzz, runScenarioFuzz } from '../../src/fuzz/harness';
import { COMMANDS, RUNS, SCENARIO_RUNS, SEED, SWEEP_PER_OP } from './suite';

const regressionDir = join(__dirname, '..', '..', 'fixtures', 'regressions');
const coverage = new MergeCoverage();

test('random command sequences agree with the model and keep every invariant', () => {
  const r = runFuzz({ runs: RUNS, commands: COMMANDS, seed: SEED, regressionDir, allowKnownDefects: true });
  coverage.merge(r.stats.coverage);
  expect(r.failure?.message ?? 'no failure').toBe('no failure');
  for (const k of r.known) expect(k.known).not.toBeNull();
  /* Shrinking a known defect's finding adds runs. */
  expect(r.stats.runs).toBeGreaterThanOrEqual(RUNS);
  expect(r.stats.commands).toBeGreaterThan(RUNS * 10);
});

test('merge scenarios agree with the model and keep every invariant', () => {
  const r = runScenarioFuzz({ runs: SCENARIO_RUNS, commands: 0, seed: SEED, regressionDir });
  coverage.merge(r.stats.coverage);
  expect(r.failure?.message ?? 'no failure').toBe('no failure');
});

test('fault sweep: the Nth call of every point each operation reaches fails, is reported and keeps its promises', () => {
  const r = faultSweep(SEED, SWEEP_PER_OP);
  coverage.merge(r.coverage);
  expect(r.failures).toEqual([]);
  expect(r.scenarios).toBeGreaterThan(150);
  expect(r.faultRuns).toBeGreaterThan(500);
});

test('the suite reaches every merge case, every new path and every error path', () => {
  expect(coverage.missing()).toEqual([]);
});
