// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Iterator-positioning bugs planted in copies of the port (planted_copy.ts),
 * each caught by the property suite of `npm test` with its default seed and
 * settings (suite.ts): the failure is shrunk, names the maple-state misuse,
 * and is saved as a regression that replays as a maple-tree check on the
 * buggy copy and passes on the real port.  The stand-in alone stores the
 * right range wherever the state points, so without the checks of
 * maple_state_check.ts none of these would fail.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as FaultSweep from '../../src/fuzz/fault_sweep';
import type * as Harness from '../../src/fuzz/harness';
import { MAPLE_CHECKS_FIRED } from '../../src/fuzz/invariants';
import type * as Replay from '../../src/trace/replay';
import { replayFile } from '../../src/trace/replay';
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
