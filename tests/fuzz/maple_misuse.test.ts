// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Maple-state checks end to end on the port: what v6.15 itself trips once a
 * failure other than preallocation can happen, and how a recorded check
 * reaches the replayer and the invariant checker.
 *
 * Failures of anon_vma_clone() are not injectable yet (the fault-injection
 * issue adds `inject anon_vma_clone` to the stub layer); until then a Jest
 * spy on the stub stands in for it (injection_stand_in.ts).
 */

import { join } from 'node:path';
import * as anonVmaStubs from '../../src/vma_internal/anon_vma';
import * as vmaH from '../../src/mm/vma_h';
import { checkInvariants, MAPLE_CHECKS_FIRED, snapshotVmas } from '../../src/fuzz/invariants';
import { describeResult, replayFile } from '../../src/trace/replay';
import type { TraceStep } from '../../src/trace/types';
import { TraceWorld } from '../../src/trace/world';
import { maple_check_records } from '../../src/vma_internal';
import { harness_reset } from '../../src/harness/helpers';
import { failNextAnonVmaClone } from './injection_stand_in';

afterEach(() => {
  jest.restoreAllMocks();
  harness_reset();
});

describe('the known v6.15 case: mmap fills a hole between two mergeable VMAs and anon_vma_clone() fails in vma_expand()', () => {
  function fillHole(failClone: boolean): TraceWorld {
    const w = new TraceWorld();
    w.run({ op: 'mmap', addr: 0x100000, len: 0x2000, flags: 0x33n, file: null, pgoff: 0x100 });
    w.run({ op: 'mmap', addr: 0x104000, len: 0x2000, flags: 0x33n, file: null, pgoff: 0x104 });
    w.run({ op: 'set_anon', vma: 2, anon: 1, chain: 1 });
    w.endStep();
    if (failClone) failNextAnonVmaClone(anonVmaStubs);
    const out = w.run({ op: 'mmap', addr: 0x102000, len: 0x2000, flags: 0x33n, file: null, pgoff: 0x102 });
    expect(out.addr).toBe(0x102000);
    return w;
  }

  test('without the failure, prev grows over the hole and next: no check fires', () => {
    const w = fillHole(false);
    expect(maple_check_records()).toEqual([]);
    expect(w.vmaRows().map((r) => [r[0], r[1], r[2]])).toEqual([[1, '0x100000', '0x106000']]);
    w.dispose();
  });

  test("with it, __mmap_new_vma()'s vma_iter_config() trips __mas_set_range()'s MAS_WARN_ON, exactly once", () => {
    const w = fillHole(true);
    expect(maple_check_records()).toEqual([
      {
        check: 'MAS_WARN_ON',
        call: '__mas_set_range',
        what: 'mas_is_active(mas) && (mas->index > start || mas->last < start)',
        /* vma_merge_new_range()'s vma_prev() left the state on prev. */
        state: 'ma_active index 0x100000 last 0x101fff, on slot [0x100000, 0x101fff]',
        range: '[0x102000, 0x103fff]',
        site: 'vma_iter_config <- __mmap_new_vma <- __mmap_region',
      },
    ]);
    /* The mapping itself goes on: a new VMA between the two. */
    expect(w.vmaRows().map((r) => [r[0], r[1], r[2]])).toEqual([
      [1, '0x100000', '0x102000'],
      [3, '0x102000', '0x104000'],
      [2, '0x104000', '0x106000'],
    ]);
    /* It is a maple-tree check, not a WARN: the trace's warnings stay 0. */
    expect(w.observe({ op: 'fail_prealloc', value: false }, {}).warnings).toBeUndefined();
    w.dispose();
  });
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
