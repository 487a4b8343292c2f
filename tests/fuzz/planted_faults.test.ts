// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Historic kinds of error-path bugs (issue 14) planted in transformed COPIES
 * of src/mm/vma.ts (see plant.ts), each caught by npm test's property suite
 * with its default seed and settings: the fault sweep of one operation
 * (sweeping one operation sweeps it exactly as the whole sweep does), or
 * the command-sequence phase.
 */

import { sequencesCatch, sweepCatches } from './plant';

test("deleting the iterator reset on vma_merge_existing_range()'s abort: path", () => {
  const msg = sweepCatches('mm/vma.ts', [['  vma_iter_set(vmi, start);\n  vma_iter_load(vmi);', '']], 'modify_flags_uffd');
  expect(msg).toContain("after the merge's abort path the iterator yields");
});

test('deleting the re-attach in vms_abort_munmap_vmas()', () => {
  const msg = sweepCatches('mm/vma.ts', [['  if (vms.clear_ptes) {\n    reattach_vmas(mas_detach);', '  if (vms.clear_ptes) {']], 'mmap');
  expect(msg).toContain('is reachable from the tree with vm_refcnt 0 (want 1)');
});

test("split_vma()'s map count check one stricter", () => {
  const msg = sweepCatches(
    'mm/vma.ts',
    [['if (vma.vm_mm.map_count >= sysctl_max_map_count) return -ENOMEM;', 'if (vma.vm_mm.map_count >= sysctl_max_map_count - 1) return -ENOMEM;']],
    'split',
  );
  expect(msg).toContain('sysctl_max_map_count at map_count - -1');
});

test("do_brk_flags()'s map count check one stricter", () => {
  const msg = sequencesCatch('mm/vma.ts', [['if (mm.map_count > sysctl_max_map_count) return -ENOMEM;', 'if (mm.map_count >= sysctl_max_map_count) return -ENOMEM;']]);
  expect(msg).toMatch(/"op":"brk"[\s\S]*on 'err'/);
});
