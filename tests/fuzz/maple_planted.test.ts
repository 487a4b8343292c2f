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
 * Then merge error paths, which matter to a caller that goes on using the
 * iterator after vma_modify*() fails: no trace operation does, so an
 * apply_mlockall_flags()-like loop stands in for one.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as FaultSweep from '../../src/fuzz/fault_sweep';
import type * as Harness from '../../src/fuzz/harness';
import { MAPLE_CHECKS_FIRED } from '../../src/fuzz/invariants';
import type * as Helpers from '../../src/harness/helpers';
import type * as Vma from '../../src/mm/vma';
import type * as Replay from '../../src/trace/replay';
import { replayFile } from '../../src/trace/replay';
import type * as Kernel from '../../src/vma_internal';
import { VM_LOCKED, type mm_struct, type vm_area_struct } from '../../src/vma_internal';
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
  /* The abort path without its iterator reset. */
  { id: 'abort_reset_deleted', kind: 'stmt', from: '/* abort: */\n  vma_iter_set(vmi, start);\n  vma_iter_load(vmi);', to: '' },
  /* Not a bug: the reset upstream added after v6.15 on commit_merge()'s failure. */
  {
    id: 'commit_oom_reset',
    kind: 'stmt',
    from: 'if (!vmg.give_up_on_oom) vmg.state = VMA_MERGE_ERROR_NOMEM;\n      return null;',
    to: 'if (!vmg.give_up_on_oom) vmg.state = VMA_MERGE_ERROR_NOMEM;\n      vma_iter_set(vmi, start);\n      vma_iter_load(vmi);\n      return null;',
  },
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

/*
 * Kernel callers such as apply_mlockall_flags() keep iterating with the same
 * iterator after vma_modify_flags() fails (errors are ignored, prev is fixed
 * up), so a merge error path must leave the iterator where the loop can go
 * on.  Layout: [A locked][B]   [C locked]; B, once locked too, merges into A.
 */
function mlockallLike(k: typeof Kernel, v: typeof Vma, mm: mm_struct): number[] {
  const visited: number[] = [];
  const vmi = k.VMA_ITERATOR(mm, 0);
  let prev: vm_area_struct | null = null;
  let vma: vm_area_struct | null;
  while ((vma = k.vma_next(vmi)) !== null && visited.length < 8) {
    visited.push(vma.__id);
    const newflags = vma.vm_flags | VM_LOCKED;
    if (newflags === vma.vm_flags) {
      prev = vma;
      continue;
    }
    const res = v.vma_modify_flags(vmi, prev, vma, vma.vm_start, vma.vm_end, newflags);
    if (k.IS_ERR(res)) {
      prev = vma;
      continue;
    }
    res.__vm_flags = newflags;
    prev = res;
  }
  return visited;
}

/* Run the loop on the copy with @bug on (null: the copy as src/), @arm arming a failure first. */
function loopOnCopy(bug: string | null, arm: (k: typeof Kernel, a: vm_area_struct, b: vm_area_struct) => void): { visited: number[]; maple: string; warnings: string } {
  copy.activate(bug);
  const k = copy.load<typeof Kernel>('vma_internal/index');
  const v = copy.load<typeof Vma>('mm/vma');
  const h = copy.load<typeof Helpers>('harness/helpers');
  h.harness_reset();
  const mm = new k.mm_struct();
  const a = h.alloc_and_link_vma(mm, 0x100000, 0x102000, 0x100, 0x33n | VM_LOCKED) as vm_area_struct;
  const b = h.alloc_and_link_vma(mm, 0x102000, 0x104000, 0x102, 0x33n) as vm_area_struct;
  h.alloc_and_link_vma(mm, 0x106000, 0x107000, 0x106, 0x33n | VM_LOCKED);
  arm(k, a, b);
  const visited = mlockallLike(k, v, mm);
  const r = { visited, maple: k.maple_check_summary(), warnings: k.warn_summary() };
  h.harness_reset();
  return r;
}

describe('an iterating caller after a failed merge', () => {
  const failPrealloc = (k: typeof Kernel): void => k.set_fail_prealloc(true);

  test("v6.15's commit_merge() OOM path leaves the iterator on prev's slot with the merge's range: the caller's next vma_next() is a misuse", () => {
    const r = loopOnCopy(null, failPrealloc);
    /* B is visited twice: the walk went on from prev. */
    expect(r.visited).toEqual([1, 2, 2, 3]);
    expect(r.maple).toMatch(
      /^maple-state misuse in mas_find \(vma_next\): walk continues from the slot the state is on, but index\/last no longer lie on it .*; range \[0x100000, 0x103fff\]; state ma_active index 0x100000 last 0x103fff, on slot \[0x100000, 0x101fff\]$/m,
    );
  });

  test('with the iterator reset to the range there (as upstream does since v6.16-rc2), nothing fires', () => {
    const r = loopOnCopy('commit_oom_reset', failPrealloc);
    expect(r.visited).toEqual([1, 2, 3]);
    expect(r.maple).toBe('');
    expect(r.warnings).toBe('');
  });

  test("the abort path without its reset (dup_anon_vma() failing) is a valid walk from prev: no misuse, but the caller's next merge WARNs", () => {
    const r = loopOnCopy('abort_reset_deleted', (k, a, b) => {
      /* A has no anon_vma but a one-entry chain (so v6.15 lets them merge), B has one: the merge clones it. */
      k.list_add_tail(new k.anon_vma_chain(null), a.anon_vma_chain);
      b.anon_vma = new k.anon_vma();
      k.list_add_tail(new k.anon_vma_chain(b.anon_vma), b.anon_vma_chain);
      k.fault_inject('anon_vma_clone', 1, 0);
    });
    expect(r.visited).toEqual([1, 2, 2, 3]);
    expect(r.maple).toBe('');
    expect(r.warnings).toMatch(/VM_WARN_ON_VMG\(prev && start <= prev->vm_start\)/);
  });
});
