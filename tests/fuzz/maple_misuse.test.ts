// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A recorded maple-tree check reaches the replayer and the invariant
 * checker, named with its call, state and range.  (What v6.15 itself trips:
 * tests/mm/mmap_expand_clone_failure.test.ts.)
 */

import { join } from 'node:path';
import * as vmaH from '../../src/mm/vma_h';
import { checkInvariants, MAPLE_CHECKS_FIRED, snapshotVmas } from '../../src/fuzz/invariants';
import { describeResult, replayFile } from '../../src/trace/replay';
import type { TraceStep } from '../../src/trace/types';
import { TraceWorld } from '../../src/trace/world';
import { harness_reset } from '../../src/harness/helpers';

afterEach(() => {
  jest.restoreAllMocks();
  harness_reset();
});

describe('a recorded check reaches the replayer and the invariant checker', () => {
  /* A planted bug by spy: vma_iter_config() that does nothing. */
  function plantNoConfig(): void {
    jest.spyOn(vmaH, 'vma_iter_config').mockImplementation(() => undefined);
  }

  test('replay fails the trace at the step, as a maple-tree check', () => {
    plantNoConfig();
    const r = replayFile(join(__dirname, '..', '..', 'fixtures', 'oracle', 'random-s0001.json'));
    expect(r.status).toBe('maple-check');
    expect(describeResult(r)).toMatch(/^FAIL random-s0001 \[.*\]: step \d+ \(\w+\): maple-tree check fired: maple-state misuse in mas_store_prealloc/);
  });

  test('the invariant checker names the call, the state and the range', () => {
    const w = new TraceWorld();
    w.run({ op: 'alloc_and_link', start: 0x100000, end: 0x102000, pgoff: 0x100, flags: 0x33n });
    w.endStep();
    plantNoConfig();
    const before = snapshotVmas();
    const step: TraceStep = { op: 'merge_new', start: 0x102000, end: 0x103000, pgoff: 0x102, flags: 0x33n, anon: null, file: null };
    const errs = checkInvariants(w.mm, before, w.observe(step, w.run(step)));
    expect(errs).toHaveLength(1);
    expect(errs[0].split('\n')).toEqual([
      MAPLE_CHECKS_FIRED,
      'maple-state misuse in mas_store_prealloc (vma_iter_store_overwrite <- commit_merge <- vma_expand): ' +
        'range is not the one mas_preallocate() walked for [0x100000, 0x101fff]: the store type and slot worked out for that range are applied to this one; ' +
        'range [0x100000, 0x102fff]; state ma_active index 0x100000 last 0x102fff, on slot [0x100000, 0x101fff], preallocated for an entry over [0x100000, 0x101fff]',
    ]);
    w.dispose();
  });
});
