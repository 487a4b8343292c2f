// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Iterator-positioning bugs planted in copies of the port (planted_copy.ts),
 * each caught by the property suite of `npm test` with its default seed and
 * settings (suite.ts): the failure is shrunk, names the maple-state misuse,
 * and is saved as a regression that replays as a maple-tree check on the
 * buggy copy and passes on the real port.  The stand-in alone stores the
 * right range wherever the state points, so without the checks of
 * maple_state_check.ts none of these would fail.
 *
 * Then merge error paths, which only matter to a caller that goes on using
 * the iterator: no trace operation does, so an apply_mlockall_flags()-like
 * loop stands in for one, and a Jest spy for the missing anon_vma_clone
 * injection point.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as FaultSweep from '../../src/fuzz/fault_sweep';
import type * as Harness from '../../src/fuzz/harness';
import { MAPLE_CHECKS_FIRED } from '../../src/fuzz/invariants';
import type * as Replay from '../../src/trace/replay';
import { replayFile } from '../../src/trace/replay';
import * as Kernel from '../../src/vma_internal';
import { maple_check_records, maple_check_reset, set_fail_prealloc, VM_LOCKED, type mm_struct, type vm_area_struct } from '../../src/vma_internal';
import type * as AnonVmaStubs from '../../src/vma_internal/anon_vma';
import type * as Check from '../../src/vma_internal/maple_state_check';
import * as vmaPort from '../../src/mm/vma';
import type * as Helpers from '../../src/harness/helpers';
import { alloc_and_link_vma, harness_reset } from '../../src/harness/helpers';
import { failNextAnonVmaClone } from './injection_stand_in';
import { buildPlantedCopy, loadFromCopy, removePlantedCopy, type Plant } from './planted_copy';
import { runSuiteUntilFailure } from './suite';

/* (a) The left merge of a new range, without the vma_prev() that moves the iterator onto prev. */
const LEFT_MERGE_NEW_WITHOUT_VMA_PREV: Plant = {
  name: 'vma_merge_new_range() merges left without vma_prev()',
  edits: [
    {
      file: 'mm/vma.ts',
      find: '    if (!vmg.just_expand) {\n      /* Step back onto prev. */\n      vma_prev(vmi);\n    }\n',
      replace: '    /* planted: the iterator stays where the caller left it */\n',
    },
  ],
};

/* (a) The same in vma_merge_existing_range(). */
const LEFT_MERGE_EXISTING_WITHOUT_VMA_PREV: Plant = {
  name: 'vma_merge_existing_range() merges left without vma_prev()',
  edits: [
    {
      file: 'mm/vma.ts',
      find: '    /* Merging with prev: move the iterator onto it. */\n    vma_prev(vmi);\n',
      replace: '    /* planted: the iterator stays inside middle */\n',
    },
  ],
};

/* (c) commit_merge() without vma_iter_config(): the preallocation walks whatever range the state holds. */
const COMMIT_MERGE_WITHOUT_CONFIG: Plant = {
  name: 'commit_merge() without vma_iter_config()',
  edits: [
    {
      file: 'mm/vma.ts',
      find: '    vma_iter_config(vmi, vmg.end, (vmg.next as vm_area_struct).vm_end);\n',
      replace: '    /* planted: no vma_iter_config() */\n',
    },
    {
      file: 'mm/vma.ts',
      find: '    /* The iterator must already be at vmg->start. */\n    vma_iter_config(vmi, vmg.start, vmg.end);\n',
      replace: '    /* planted: no vma_iter_config() */\n',
    },
  ],
};

let regressions: string;
beforeEach(() => {
  regressions = mkdtempSync(join(tmpdir(), 'vma-planted-regressions-'));
});
afterEach(() => {
  rmSync(regressions, { recursive: true, force: true });
  jest.restoreAllMocks();
  harness_reset();
});

describe.each([
  { plant: LEFT_MERGE_NEW_WITHOUT_VMA_PREV, misuse: /MAS_WARN_ON in __mas_set_range \(vma_iter_config <- commit_merge <- vma_expand\)/ },
  {
    plant: LEFT_MERGE_EXISTING_WITHOUT_VMA_PREV,
    misuse: /MAS_WARN_ON in __mas_set_range \(vma_iter_config <- commit_merge <- vma_merge_existing_range\)/,
  },
  { plant: COMMIT_MERGE_WITHOUT_CONFIG, misuse: /maple-state misuse in mas_store_prealloc \(vma_iter_store_overwrite <- commit_merge/ },
])('planted: $plant.name', ({ plant, misuse }) => {
  test('the property suite with its default seed catches it, shrunk, naming the misuse', () => {
    const root = buildPlantedCopy(plant.edits);
    try {
      const h = loadFromCopy<typeof Harness>(root, 'fuzz/harness');
      const f = loadFromCopy<typeof FaultSweep>(root, 'fuzz/fault_sweep');
      const failure = runSuiteUntilFailure(h, f, regressions);
      expect(failure).not.toBeNull();
      const msg = failure!.message;
      expect(msg).toContain(MAPLE_CHECKS_FIRED);
      expect(msg).toMatch(misuse);
      /* The misuse names the state and the range. */
      expect(msg).toMatch(/; range \[0x[0-9a-f]+, 0x[0-9a-f]+\]; state ma_active index 0x[0-9a-f]+ last 0x[0-9a-f]+, on slot \[/);
      const report = failure!.report!;
      expect(report.steps.length).toBeLessThanOrEqual(6);
      expect(report.regressionFile).toMatch(/-maple-misuse\.json$/);

      /* The regression fails as a maple-tree check on the buggy copy... */
      const planted = loadFromCopy<typeof Replay>(root, 'trace/replay').replayFile(report.regressionFile!);
      expect(planted.status).toBe('maple-check');
      expect(planted.message).toMatch(misuse);
      /* ...and passes on the real port. */
      expect(replayFile(report.regressionFile!).status).toBe('pass');
    } finally {
      removePlantedCopy(root);
    }
  });
});

/*
 * Kernel callers such as apply_mlockall_flags() keep iterating with the same
 * iterator after vma_modify_flags() fails, so a merge error path must leave
 * it where the loop can go on.  No trace operation does that yet; this is
 * such a loop, on a layout where the second VMA merges into the first.
 */
interface LoopKernel {
  readonly vma_modify_flags: typeof vmaPort.vma_modify_flags;
  readonly vma_next: typeof Kernel.vma_next;
  readonly VMA_ITERATOR: typeof Kernel.VMA_ITERATOR;
  readonly IS_ERR: typeof Kernel.IS_ERR;
}

/* The functions the loop calls, from the port or from a copy (whose error pointers are its own). */
function kernelOf(k: typeof Kernel, v: typeof vmaPort): LoopKernel {
  return { vma_modify_flags: v.vma_modify_flags, vma_next: k.vma_next, VMA_ITERATOR: k.VMA_ITERATOR, IS_ERR: k.IS_ERR };
}

function mlockallLike(h: LoopKernel, mm: mm_struct): number[] {
  const visited: number[] = [];
  const vmi = h.VMA_ITERATOR(mm, 0);
  let prev: vm_area_struct | null = null;
  let vma: vm_area_struct | null;
  while ((vma = h.vma_next(vmi)) !== null && visited.length < 8) {
    visited.push(vma.__id);
    const newflags = vma.vm_flags | VM_LOCKED;
    if (newflags === vma.vm_flags) {
      prev = vma;
      continue;
    }
    const res = h.vma_modify_flags(vmi, prev, vma, vma.vm_start, vma.vm_end, newflags);
    if (h.IS_ERR(res)) {
      prev = vma; /* errors are ignored, prev is fixed up */
      continue;
    }
    res.__vm_flags = newflags;
    prev = res;
  }
  return visited;
}

describe('an iterating caller after a failed merge', () => {
  function layout(link: typeof alloc_and_link_vma, mm: mm_struct): void {
    /* [A locked][B]   [C locked]: B, once locked too, merges into A. */
    link(mm, 0x100000, 0x102000, 0x100, 0x33n | VM_LOCKED);
    link(mm, 0x102000, 0x104000, 0x102, 0x33n);
    link(mm, 0x106000, 0x107000, 0x106, 0x33n | VM_LOCKED);
  }

  test("v6.15's commit_merge() OOM path leaves the iterator with prev's slot but the merge's range: the caller's next vma_next() is a misuse", () => {
    const mm = new Kernel.mm_struct();
    layout(alloc_and_link_vma, mm);
    set_fail_prealloc(true);
    const visited = mlockallLike(kernelOf(Kernel, vmaPort), mm);
    set_fail_prealloc(false);
    /* B is visited twice: the walk went on from prev. */
    expect(visited).toEqual([1, 2, 2, 3]);
    const walk = maple_check_records().find((r) => r.call === 'mas_find');
    expect(walk).toMatchObject({
      check: 'maple-state misuse',
      range: '[0x100000, 0x103fff]',
      state: 'ma_active index 0x100000 last 0x103fff, on slot [0x100000, 0x101fff]',
    });
    expect(walk?.what).toMatch(/index\/last no longer lie on it/);
    maple_check_reset();
  });

  test('with the iterator reset to the range on that path (as upstream does since v6.16-rc2), nothing fires', () => {
    const root = buildPlantedCopy([
      {
        file: 'mm/vma.ts',
        find: '      /* Unless the caller would rather not hear of it, report the OOM. */\n      if (!vmg.give_up_on_oom) vmg.state = VMA_MERGE_ERROR_NOMEM;\n      return null;\n',
        replace:
          '      if (!vmg.give_up_on_oom) vmg.state = VMA_MERGE_ERROR_NOMEM;\n      vma_iter_set(vmi, start);\n      vma_iter_load(vmi);\n      return null;\n',
      },
    ]);
    try {
      const k = loadFromCopy<typeof Kernel>(root, 'vma_internal/index');
      const v = loadFromCopy<typeof vmaPort>(root, 'mm/vma');
      const h = loadFromCopy<typeof Helpers>(root, 'harness/helpers');
      const c = loadFromCopy<typeof Check>(root, 'vma_internal/maple_state_check');
      h.harness_reset();
      const mm = new k.mm_struct();
      layout(h.alloc_and_link_vma, mm);
      k.set_fail_prealloc(true);
      const visited = mlockallLike(kernelOf(k, v), mm);
      k.set_fail_prealloc(false);
      expect(visited).toEqual([1, 2, 3]);
      expect(c.maple_check_summary()).toBe('');
    } finally {
      removePlantedCopy(root);
    }
  });

  test("planted: the abort path without its reset (dup_anon_vma() failing) is a walk from prev's slot: no misuse, but the caller's next merge WARNs", () => {
    const root = buildPlantedCopy([
      { file: 'mm/vma.ts', find: '  /* abort: */\n  vma_iter_set(vmi, start);\n  vma_iter_load(vmi);\n', replace: '  /* abort: (planted: no reset) */\n' },
    ]);
    try {
      const k = loadFromCopy<typeof Kernel>(root, 'vma_internal/index');
      const v = loadFromCopy<typeof vmaPort>(root, 'mm/vma');
      const h = loadFromCopy<typeof Helpers>(root, 'harness/helpers');
      const c = loadFromCopy<typeof Check>(root, 'vma_internal/maple_state_check');
      h.harness_reset();
      const mm = new k.mm_struct();
      layout(h.alloc_and_link_vma, mm);
      /*
       * B has an anon_vma; A has none but a one-entry chain (so v6.15 lets
       * them merge): merging B into A clones B's anon_vma into A.
       */
      const a = k.vma_lookup(mm, 0x100000) as vm_area_struct;
      const b = k.vma_lookup(mm, 0x102000) as vm_area_struct;
      k.list_add_tail(new k.anon_vma_chain(null), a.anon_vma_chain);
      b.anon_vma = new k.anon_vma();
      k.list_add_tail(new k.anon_vma_chain(b.anon_vma), b.anon_vma_chain);
      failNextAnonVmaClone(loadFromCopy<typeof AnonVmaStubs>(root, 'vma_internal/anon_vma'));
      const visited = mlockallLike(kernelOf(k, v), mm);
      expect(visited).toEqual([1, 2, 2, 3]);
      expect(c.maple_check_summary()).toBe('');
      expect(k.warn_summary()).toMatch(/VM_WARN_ON_VMG\(prev && start <= prev->vm_start\)/);
      h.harness_reset();
    } finally {
      removePlantedCopy(root);
    }
  });
});
