// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every V8 flag this project sets in its own processes, in one place.  A
 * program importing the library keeps its own settings: nothing here runs
 * on import.
 *
 *   applyProcessV8Flags()  the command's launcher (bin/vma-harness.js) and
 *                          the benchmark's processes, before anything loads;
 *   limitHeapGrowth()      the command's entry point, cliMain().
 *
 * --no-concurrent-marking.  V8 marks the old generation partly on helper
 * threads.  A command replaying several traces lets the event loop run
 * between them (so that Ctrl-C is seen), and V8 uses that moment to start
 * marking; on a 2-core machine its marking threads then share the second
 * core with the optimising compiler, whose queue is still full after the
 * first trace, and the next traces run unoptimised port code for longer.
 * Measured on the 2-core development machine, 2026-12-01, small-window
 * trace, `replay --timing F F F F`, best of runs 2-4: ~35 ms median with
 * concurrent marking, ~16 ms without (6 processes each); the build-ups and
 * the fuzzer (commands/s) unchanged within noise.  Marking still happens,
 * incrementally on the main thread: the heaps here are small (tens of MB).
 *
 * The flag is set with v8.setFlagsFromString() before any of the project's
 * code is loaded.  Node warns that flags changed after start-up may behave
 * unpredictably; this one is read each time marking starts, and no marking
 * has started by then.
 */

import { setFlagsFromString } from 'node:v8';

/** The V8 flags of applyProcessV8Flags(). */
export const PROCESS_V8_FLAGS: readonly string[] = ['--no-concurrent-marking'];

/** Set PROCESS_V8_FLAGS in this process (call first thing, before loading the port). */
export function applyProcessV8Flags(): void {
  for (const flag of PROCESS_V8_FLAGS) setFlagsFromString(flag);
}

/*
 * --heap-growing-percent=10.  V8 lets the old generation grow to a few
 * times what a full collection left live before it collects again.
 * Replaying a 1,000,000-step trace holds ~120 MB live (its text, read one
 * step at a time) but makes a great deal of short-lived state, so the
 * default growth took the process to ~450 MB; held down, it peaks at ~270
 * MB (the reading of the file).  Small heaps keep V8's minimum limits, so
 * fuzzing is not affected (measured: same CPU time for a fuzz campaign),
 * and the small window's warm replays gain from it (README, Benchmark).
 */

/** Hold the old generation's growth between full collections down (see above). */
export function limitHeapGrowth(): void {
  setFlagsFromString('--heap-growing-percent=10');
}
