// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The settings of npm test's property suite (tests/fuzz/property.test.ts),
 * shared with the tests that plant bugs and show the suite catches them.
 */

/** The fixed seed (FUZZ_SEED overrides it). */
export const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
/** Command sequences (FUZZ_RUNS overrides it). */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
/** Merge scenarios: twice as many. */
export const SCENARIO_RUNS = RUNS * 2;
/** Commands per sequence at most. */
export const COMMANDS = 80;
/** Layouts per operation in the fault sweep. */
export const SWEEP_PER_OP = 12;
