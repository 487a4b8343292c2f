// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The memory-model smoke test: litmus tests M1–M5 of the v6.15 VMA lock,
 * each two actors running the ported lock functions under the LKMM
 * visibility model, every schedule (up to three preemptions) and every
 * visible store of every load explored.  With the kernel's orderings the
 * forbidden outcome never appears, as herd7 says of the equivalent LKMM
 * test; with the ordering weakened in a copy of the model it appears.  (The
 * unbounded exploration takes minutes; `npm run bench -- --litmus` runs it.)
 */

import * as K from '../../src/lock';
import { exploreLitmus, LITMUS_M4_RELAXED, LITMUS_TESTS, LITMUS_WEAKENINGS } from '../../src/race/litmus';
import { plantCleanup, plantedCopy } from '../../src/race/plant';
import type { RaceKernel } from '../../src/race/explorer';

afterAll(() => plantCleanup());

/* Executions explored with at most three preemptions (kernel, weakened); see README. */
const EXECUTIONS: Record<string, [number, number]> = {
  M1: [106, 265],
  M2: [357, 436],
  M3: [30, 45],
  M4: [238, 616],
  M5: [167, 259],
};

test.each(LITMUS_TESTS.map((t) => [t.id, t] as const))('%s: forbidden with the kernel orderings, reachable when weakened', (id, t) => {
  expect(t.herd.verdict).toBe('Never');
  const kernel = exploreLitmus(K, t, 3);
  expect(kernel.complete).toBe(true);
  expect(kernel.forbiddenReached).toBe(false);
  expect(kernel.executions).toBe(EXECUTIONS[id][0]);

  const w = LITMUS_WEAKENINGS[t.id];
  expect(w.herd.verdict).toBe('Sometimes');
  const weak = exploreLitmus(plantedCopy<RaceKernel>(w.spec, 'index'), t, 3);
  expect(weak.forbiddenReached).toBe(w.reachable);
  expect(weak.witness).not.toBeNull();
  expect(weak.executions).toBe(EXECUTIONS[id][1]);
});

test("M4 with a relaxed decrement: LKMM allows the outcome (load buffering), this model cannot produce it", () => {
  const t = LITMUS_TESTS.find((x) => x.id === 'M4');
  if (t === undefined) throw new Error('M4');
  expect(LITMUS_M4_RELAXED.herd.verdict).toBe('Sometimes');
  const r = exploreLitmus(plantedCopy<RaceKernel>(LITMUS_M4_RELAXED.spec, 'index'), t, 3);
  expect(r.forbiddenReached).toBe(false);
});
