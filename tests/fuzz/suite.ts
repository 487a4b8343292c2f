// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The settings of the bounded property suite of `npm test` (property.test.ts),
 * shared with the tests that run the same suite on planted bugs.  The seed
 * is fixed (override with FUZZ_SEED, the size with FUZZ_RUNS).
 */

import type * as FaultSweep from '../../src/fuzz/fault_sweep';
import type * as Harness from '../../src/fuzz/harness';

export const SUITE_SEED = Number(process.env.FUZZ_SEED ?? 20261121);
export const SUITE_RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
/** Commands per sequence. */
export const SUITE_COMMANDS = 80;
/** Merge scenarios run: twice the sequences. */
export const SUITE_SCENARIOS = SUITE_RUNS * 2;
/** Fault-sweep scenarios per operation. */
export const SUITE_SWEEP_PER_OP = 20;

/** The first failure of the suite, by phase. */
export interface SuiteFailure {
  readonly phase: 'sequences' | 'scenarios' | 'fault sweep';
  readonly message: string;
  readonly report: Harness.FuzzFailureReport | null;
}

/**
 * Run the suite's three phases in order with its settings, on the modules
 * given (the port's, or a planted copy's), stopping at the first failure.
 */
export function runSuiteUntilFailure(
  h: typeof Harness,
  f: typeof FaultSweep,
  regressionDir: string | null,
): SuiteFailure | null {
  const seq = h.runFuzz({ runs: SUITE_RUNS, commands: SUITE_COMMANDS, seed: SUITE_SEED, regressionDir });
  if (seq.failure) return { phase: 'sequences', message: seq.failure.message, report: seq.failure };
  const sc = h.runScenarioFuzz({ runs: SUITE_SCENARIOS, commands: 0, seed: SUITE_SEED, regressionDir });
  if (sc.failure) return { phase: 'scenarios', message: sc.failure.message, report: sc.failure };
  const sweep = f.faultSweep(SUITE_SEED, SUITE_SWEEP_PER_OP);
  if (sweep.failures.length) return { phase: 'fault sweep', message: sweep.failures.join('\n'), report: null };
  return null;
}
