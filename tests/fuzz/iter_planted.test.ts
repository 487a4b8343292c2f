// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Error paths that do not put the iterator back before it is used again
 * (issue 13, item 3(b)), planted in a transformed copy of the sources
 * (plant.ts), and the one v6.15 has itself.
 *
 * mlockall (src/harness/mlock.ts) is the operation that keeps walking with
 * its iterator after vma_modify_flags() failed, as apply_mlockall_flags()
 * does; with it the property suite sees such paths without any check of
 * its own on the iterator:
 *
 *  - vma_merge_existing_range()'s abort: path without its reset (the
 *    anon_vma clone failing): the walk goes on from prev, a valid maple
 *    walk, and meets the VMA again as its own prev — the kernel's own
 *    VM_WARN_ON_VMG(prev && start <= prev->vm_start) fires and the VMA ends
 *    up locked on its own.  The harness's check of the trace iterator after
 *    the abort path (harness.ts) is switched off in the copy for this, so
 *    that only what mlockall shows can catch it (with the check on,
 *    planted.test.ts shows the fault sweep catching it).  Not the known
 *    v6.15 defect: another failure (the clone, not the preallocation), no
 *    maple-state misuse, and the model names the abort path.
 *  - the same path putting the iterator back wrongly: without
 *    vma_iter_load() (the walk meets the VMA again) or past the VMA (the
 *    walk skips the next one): the fault sweep of mlockall catches both.
 *  - vms_abort_munmap_vmas() storing the gap without mas_set_range(): the
 *    munmap error path whose repositioning matters.  mlockall cannot see
 *    it (it starts from an iterator of its own); mmap itself does.
 *
 * The suite's phases run here are the ones that catch each bug with the
 * default seed and settings (suite.ts); the command-sequence phase meets
 * the abort case too rarely (it needs prev without anon_vma but with a
 * singular chain, a middle with one, lock bits apart, and the clone armed),
 * the merge scenarios build it on purpose.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Harness from '../../src/fuzz/harness';
import { MAPLE_CHECKS_FIRED } from '../../src/fuzz/invariants';
import type * as Helpers from '../../src/harness/helpers';
import type * as Replay from '../../src/trace/replay';
import { replayFile } from '../../src/trace/replay';
import type * as World from '../../src/trace/world';
import type * as Trace from '../../src/trace/parse';
import type * as Kernel from '../../src/vma_internal';
import { plantInCopy, sweepCatches, type Bug, type PlantedCopy } from './plant';
import { COMMANDS, RUNS, SCENARIO_RUNS, SEED } from './suite';

const ABORT = '/* abort: */\n  vma_iter_set(vmi, start);\n  vma_iter_load(vmi);';
const BUGS: readonly Bug[] = [
  { id: 'abort_reset_deleted', kind: 'stmt', from: ABORT, to: '' },
  /* The abort: path putting the iterator back wrongly: without vma_iter_load() (the walk meets the VMA again), or past the VMA (it skips the next). */
  { id: 'abort_no_load', kind: 'stmt', from: ABORT, to: 'vma_iter_set(vmi, start);' },
  { id: 'abort_past_end', kind: 'stmt', from: ABORT, to: 'vma_iter_set(vmi, end);\n  vma_iter_load(vmi);' },
  { id: 'munmap_abort_no_set_range', kind: 'stmt', from: 'mas_set_range(mas, vms.start, vms.end - 1);', to: '' },
  /* Not a bug: upstream's fix, 0cf4b1687a18 ("mm/vma: reset VMA iterator on commit_merge() OOM failure"). */
  {
    id: 'upstream_fix',
    kind: 'stmt',
    from: 'if (anon_dup.value) unlink_anon_vmas(anon_dup.value);\n\n      /* Unless the caller would rather not hear of it, report the OOM. */',
    to: 'vma_iter_set(vmi, start);\n      vma_iter_load(vmi);\n      if (anon_dup.value) unlink_anon_vmas(anon_dup.value);',
  },
];
/* The harness's own check of the trace iterator after the abort path, off while an abort bug is on. */
const HARNESS: readonly Bug[] = ['abort_reset_deleted', 'abort_no_load', 'abort_past_end'].map((id) => ({
  id,
  kind: 'expr' as const,
  from: 'iteratorAfterAbort(step, model, w)',
  to: 'null',
}));

let copy: PlantedCopy;
let regressions: string;
beforeAll(() => {
  copy = plantInCopy('mm/vma.ts', BUGS, { 'fuzz/harness.ts': HARNESS });
});
afterAll(() => copy.dispose());
beforeEach(() => {
  regressions = mkdtempSync(join(tmpdir(), 'vma-iter-planted-'));
});
afterEach(() => {
  copy.activate(null);
  copy.load<typeof Helpers>('harness/helpers').harness_reset();
  rmSync(regressions, { recursive: true, force: true });
});

/* The regression a failure saved fails on the buggy copy and passes on the real port. */
function regressionPinsIt(f: Harness.FuzzFailureReport): void {
  expect(f.regressionFile).not.toBeNull();
  const file = f.regressionFile as string;
  expect(copy.load<typeof Replay>('trace/replay').replayFile(file).status).not.toBe('pass');
  copy.activate(null);
  expect(replayFile(file).status).toBe('pass');
}

test("(b) the abort: path without its iterator reset: mlockall meets the VMA again, and the kernel's own VM_WARN_ON_VMG says so", () => {
  copy.activate('abort_reset_deleted');
  const h = copy.load<typeof Harness>('fuzz/harness');
  const f = h.runScenarioFuzz({ runs: SCENARIO_RUNS, commands: 0, seed: SEED, regressionDir: regressions }).failure;
  expect(f).not.toBeNull();
  if (!f) return;
  expect(f.known).toBeNull();
  expect(f.message).toMatch(/command \d+: \{"op":"mlockall","flags":\d\}/);
  expect(f.message).toContain('VM_WARN_ON_VMG(prev && start <= prev->vm_start) in vma_merge_existing_range');
  /* A valid walk from prev: no maple-state misuse (what marks the known defect). */
  expect(f.message).not.toContain(MAPLE_CHECKS_FIRED);
  expect(f.steps.some((s) => s.op === 'inject' && s.point === 'anon_vma_clone' && s.count > 0)).toBe(true);
  expect(f.steps.some((s) => s.op === 'fail_prealloc')).toBe(false);
  regressionPinsIt(f);
});

test.each([
  { id: 'abort_no_load', what: 'reset without vma_iter_load(): the walk meets the VMA again', shows: /VM_WARN_ON_VMG\(prev && start <= prev->vm_start\)/ },
  { id: 'abort_past_end', what: 'reset past the VMA: the walk skips the next one', shows: /port disagrees with the model on 'mm\.locked_vm'[\s\S]*address space differs/ },
])('(b) the abort: path putting the iterator back wrongly, $what: the fault sweep of mlockall catches it', ({ id, shows }) => {
  const f = sweepCatches(copy, id, 'mlockall');
  expect(f).toMatch(/^\{"op":"mlockall","flags":\d\} with call #\d of anon_vma_clone failing: /);
  expect(f).toMatch(shows);
});

test('(b) vms_abort_munmap_vmas() storing the gap from wherever the iterator is: mmap catches it (mlockall cannot: its iterator is its own)', () => {
  copy.activate('munmap_abort_no_set_range');
  const h = copy.load<typeof Harness>('fuzz/harness');
  const r = h.runFuzz({ runs: RUNS, commands: COMMANDS, seed: SEED, regressionDir: regressions });
  const f = r.failure;
  expect(f).not.toBeNull();
  if (!f) return;
  expect(f.known).toBeNull();
  expect(f.steps[f.steps.length - 1].op).toBe('mmap');
  expect(f.steps.length).toBeLessThanOrEqual(4);
  expect(f.message).toContain('is reachable from the tree but was freed');
  regressionPinsIt(f);
});

describe("v6.15's own commit_merge() OOM path, and upstream's fix", () => {
  /* [A locked][B]  [C locked]: B, once locked, merges into A; its preallocation fails. */
  const steps = [
    { op: 'alloc_and_link', start: '0x100000', end: '0x102000', pgoff: '0x100', flags: '0x2033' },
    { op: 'alloc_and_link', start: '0x102000', end: '0x104000', pgoff: '0x102', flags: '0x33' },
    { op: 'alloc_and_link', start: '0x106000', end: '0x107000', pgoff: '0x106', flags: '0x2033' },
    { op: 'fail_prealloc', value: true },
    { op: 'mlockall', flags: 1 },
  ];

  function onCopy(bug: string | null): { maple: string; warnings: string; vmas: string[] } {
    copy.activate(bug);
    const k = copy.load<typeof Kernel>('vma_internal/index');
    const { TraceWorld } = copy.load<typeof World>('trace/world');
    const { parseTrace } = copy.load<typeof Trace>('trace/parse');
    const w = new TraceWorld();
    try {
      let vmas: string[] = [];
      for (const s of parseTrace(JSON.stringify({ format: 'vma-trace/1', kernel: 'v6.15', name: 'oom', steps }), 'oom').steps) {
        w.endStep();
        const e = w.observe(s, w.run(s));
        vmas = (e.vmas ?? []).map((v) => `${v[0]}:${v[1]}-${v[2]}:${v[4]}`);
      }
      return { maple: k.maple_check_summary(), warnings: k.warn_summary(), vmas };
    } finally {
      w.endStep();
      w.dispose();
    }
  }

  test('v6.15: the walk steps on from prev with the merged range (a misuse) and meets B again as its own prev', () => {
    const r = onCopy(null);
    expect(r.maple).toMatch(/^maple-state misuse in mas_find \(vma_next <- apply_mlockall_flags <- sys_mlockall\)/);
    expect(r.warnings).toMatch(/^VM_WARN_ON_VMG\(prev && start <= prev->vm_start\)/);
    expect(r.vmas).toEqual(['1:0x100000-0x102000:0x2033', '2:0x102000-0x104000:0x2033', '3:0x106000-0x107000:0x2033']);
  });

  test('with the iterator reset there, as upstream does since 0cf4b1687a18: nothing fires, B is left as it was and the walk goes on', () => {
    const r = onCopy('upstream_fix');
    expect(r.maple).toBe('');
    expect(r.warnings).toBe('');
    expect(r.vmas).toEqual(['1:0x100000-0x102000:0x2033', '2:0x102000-0x104000:0x33', '3:0x106000-0x107000:0x2033']);
  });
});
