// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Iterator-positioning bugs planted in a transformed copy of src/mm/vma.ts
 * (plant.ts), one at a time, each caught by the property suite of `npm test`
 * with its default seed and settings (suite.ts): the failure is shrunk,
 * names the maple-state misuse, and is saved as a regression that replays as
 * a maple-tree check on the buggy copy and passes on the real port.  The
 * stand-in alone stores the right range wherever the state points, so
 * without the checks of maple_state_check.ts none of these would fail.
 *
 * Error paths that leave the iterator astray (item 3(b)) show through the
 * operation that walks on after a failure, mlockall: iter_planted.test.ts.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as FaultSweep from '../../src/fuzz/fault_sweep';
import type * as Harness from '../../src/fuzz/harness';
import { MAPLE_CHECKS_FIRED } from '../../src/fuzz/invariants';
import type * as Helpers from '../../src/harness/helpers';
import type * as Replay from '../../src/trace/replay';
import { replayFile } from '../../src/trace/replay';
import { plantInCopy, type Bug, type PlantedCopy } from './plant';
import { COMMANDS, RUNS, SCENARIO_RUNS, SEED, SWEEP_PER_OP } from './suite';

const BUGS: readonly Bug[] = [
  /* (a) The left merge of a new range, without the vma_prev() that moves the iterator onto prev. */
  { id: 'new_left_no_prev', kind: 'stmt', from: '/* Step back onto prev. */\n      vma_prev(vmi);', to: '' },
  /* (a) The same in vma_merge_existing_range(). */
  { id: 'existing_left_no_prev', kind: 'stmt', from: '/* Merging with prev: move the iterator onto it. */\n    vma_prev(vmi);', to: '' },
  /* (c) commit_merge() without vma_iter_config(): the preallocation walks whatever range the state holds. */
  { id: 'commit_no_config', kind: 'stmt', from: 'vma_iter_config(vmi, vmg.end, (vmg.next as vm_area_struct).vm_end);', to: '' },
  { id: 'commit_no_config', kind: 'stmt', from: '/* The iterator must already be at vmg->start. */\n    vma_iter_config(vmi, vmg.start, vmg.end);', to: '' },
];

let copy: PlantedCopy;
let regressions: string;
beforeAll(() => {
  copy = plantInCopy('mm/vma.ts', BUGS);
});
afterAll(() => copy.dispose());
beforeEach(() => {
  regressions = mkdtempSync(join(tmpdir(), 'vma-planted-regressions-'));
});
afterEach(() => {
  copy.activate(null);
  copy.load<typeof Helpers>('harness/helpers').harness_reset();
  rmSync(regressions, { recursive: true, force: true });
});

/* The property suite's phases in order, with one bug on, shrinking; the first failure. */
function suiteCatches(id: string): Harness.FuzzFailureReport | string | null {
  copy.activate(id);
  const h = copy.load<typeof Harness>('fuzz/harness');
  const seq = h.runFuzz({ runs: RUNS, commands: COMMANDS, seed: SEED, regressionDir: regressions, allowKnownDefects: true });
  if (seq.failure) return seq.failure;
  const sc = h.runScenarioFuzz({ runs: SCENARIO_RUNS, commands: 0, seed: SEED, regressionDir: regressions });
  if (sc.failure) return sc.failure;
  return copy.load<typeof FaultSweep>('fuzz/fault_sweep').faultSweep(SEED, SWEEP_PER_OP).failures[0] ?? null;
}

describe.each([
  { id: 'new_left_no_prev', what: 'vma_merge_new_range() merges left without vma_prev()', misuse: /MAS_WARN_ON in __mas_set_range \(vma_iter_config <- commit_merge <- vma_expand\)/ },
  {
    id: 'existing_left_no_prev',
    what: 'vma_merge_existing_range() merges left without vma_prev()',
    misuse: /MAS_WARN_ON in __mas_set_range \(vma_iter_config <- commit_merge <- vma_merge_existing_range\)/,
  },
  { id: 'commit_no_config', what: 'commit_merge() without vma_iter_config()', misuse: /maple-state misuse in mas_store_prealloc \(vma_iter_store_overwrite <- commit_merge/ },
])('planted: $what', ({ id, misuse }) => {
  test('the property suite with its default seed catches it, shrunk, naming the misuse', () => {
    const report = suiteCatches(id);
    expect(report).not.toBeNull();
    expect(typeof report).not.toBe('string');
    const f = report as Harness.FuzzFailureReport;
    expect(f.known).toBeNull();
    expect(f.message).toContain(MAPLE_CHECKS_FIRED);
    expect(f.message).toMatch(misuse);
    /* The misuse names the state and the range. */
    expect(f.message).toMatch(/; range \[0x[0-9a-f]+, 0x[0-9a-f]+\]; state ma_active index 0x[0-9a-f]+ last 0x[0-9a-f]+, on slot \[/);
    expect(f.steps.length).toBeLessThanOrEqual(6);
    expect(f.regressionFile).toMatch(/-maple-misuse\.json$/);

    /* The regression fails as a maple-tree check on the buggy copy... */
    const planted = copy.load<typeof Replay>('trace/replay').replayFile(f.regressionFile as string);
    expect(planted.status).toBe('maple-check');
    expect(planted.message).toMatch(misuse);
    /* ...and passes on the real port. */
    copy.activate(null);
    expect(replayFile(f.regressionFile as string).status).toBe('pass');
  });
});
