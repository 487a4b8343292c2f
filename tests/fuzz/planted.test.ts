// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Historic kinds of bugs planted in a transformed COPY of src/mm/vma.ts
 * (see plant.ts), one at a time, each caught by npm test's property suite
 * with its default seed and settings (suite.ts): its command-sequence
 * phase, or its fault sweep of one operation (each operation's layouts come
 * from their own stream, so sweeping one operation sweeps it exactly as the
 * whole sweep does).  Failures are not shrunk here: being caught is what is
 * shown.
 *
 * Issue 11 (functions brought under test): munmap's locked-page accounting,
 * the stack guard gap, both gap searches' alignment, brk expanding a VMA of
 * other flags, give_up_on_oom ignored.  Issue 14 (error paths): the abort
 * path's iterator reset, the re-attach of vms_abort_munmap_vmas(), map
 * count checks made stricter.
 */

import { plantInCopy, sequencesCatch, sweepCatches, type Bug, type PlantedCopy } from './plant';

const BUGS: readonly Bug[] = [
  { id: 'locked', kind: 'stmt', from: 'if (next.vm_flags & VM_LOCKED) vms.locked_vm += nrpages;', to: 'if (first.vm_flags & VM_LOCKED) vms.locked_vm += nrpages;' },
  { id: 'guard', kind: 'expr', from: 'address - prev.vm_end < stack_guard_gap', to: 'address - prev.vm_end <= stack_guard_gap' },
  {
    id: 'align',
    kind: 'stmt',
    from: 'gap += ulong_sub_mask(info.align_offset, gap, info.align_mask);',
    to: 'gap += ulong_sub_mask(gap, info.align_offset, info.align_mask);',
  },
  {
    id: 'align_topdown',
    kind: 'stmt',
    from: 'gap -= ulong_sub_mask(gap, info.align_offset, info.align_mask);',
    to: 'gap -= ulong_sub_mask(info.align_offset, gap, info.align_mask);',
  },
  {
    id: 'brk_flags',
    kind: 'expr',
    from: 'VMG_STATE(mm, vmi, addr, addr + len, flags, PHYS_PFN(addr))',
    to: 'VMG_STATE(mm, vmi, addr, addr + len, vma.vm_flags, PHYS_PFN(addr))',
  },
  { id: 'give_up', kind: 'stmt', from: 'vmg.give_up_on_oom = give_up_on_oom;', to: '' },
  { id: 'abort_reset', kind: 'stmt', from: '  vma_iter_set(vmi, start);\n  vma_iter_load(vmi);', to: '' },
  { id: 'reattach', kind: 'stmt', from: 'reattach_vmas(mas_detach);\n    return;', to: 'return;' },
  { id: 'split_max', kind: 'expr', from: 'vma.vm_mm.map_count >= sysctl_max_map_count', to: 'vma.vm_mm.map_count >= sysctl_max_map_count - 1' },
  { id: 'brk_max', kind: 'expr', from: 'mm.map_count > sysctl_max_map_count', to: 'mm.map_count >= sysctl_max_map_count' },
];

let copy: PlantedCopy;
beforeAll(() => {
  copy = plantInCopy('mm/vma.ts', BUGS);
});
afterAll(() => copy.dispose());

test('with every bug switched off the copy passes', () => {
  expect(sweepCatches(copy, '', 'brk')).toBeNull();
});

describe('issue 11: the functions brought under test', () => {
  test("munmap charging the first VMA's lock state for every VMA it unmaps", () => {
    expect(sequencesCatch(copy, 'locked')).toContain("on 'mm.locked_vm'");
  });

  test('an off-by-one stack guard gap in expand_downwards()', () => {
    /* Refused at the gap's edge: the error, or (when another failure follows) the write mark the refusal skips. */
    expect(sequencesCatch(copy, 'guard')).toMatch(/expand_stack[\s\S]*on '(err|vmas\[\d+\]\[9\] \(written\))'/);
  });

  test('the bottom-up gap search aligning the wrong way', () => {
    expect(sequencesCatch(copy, 'align')).toMatch(/vm_unmapped_area[\s\S]*on 'addr'/);
  });

  test('the top-down gap search aligning the wrong way', () => {
    expect(sequencesCatch(copy, 'align_topdown')).toMatch(/vm_unmapped_area[\s\S]*on 'addr'/);
  });

  test('brk expanding a heap VMA whose flags differ', () => {
    expect(sequencesCatch(copy, 'brk_flags')).toMatch(/"op":"brk"/);
  });

  test('vma_modify_flags_uffd() ignoring give_up_on_oom', () => {
    expect(sweepCatches(copy, 'give_up', 'modify_flags_uffd')).toMatch(/"give_up_on_oom":true[\s\S]*on 'vma'/);
  });
});

describe('issue 14: error paths', () => {
  test("deleting the iterator reset on vma_merge_existing_range()'s abort: path", () => {
    expect(sweepCatches(copy, 'abort_reset', 'modify_flags_uffd')).toContain("after the merge's abort path the iterator yields");
  });

  test('deleting the re-attach in vms_abort_munmap_vmas()', () => {
    expect(sweepCatches(copy, 'reattach', 'mmap')).toContain('is reachable from the tree with vm_refcnt 0 (want 1)');
  });

  test("split_vma()'s map count check one stricter", () => {
    expect(sweepCatches(copy, 'split_max', 'split')).toContain('sysctl_max_map_count at map_count - -1');
  });

  test("do_brk_flags()'s map count check one stricter", () => {
    expect(sequencesCatch(copy, 'brk_max')).toMatch(/"op":"brk"[\s\S]*on 'err'/);
  });
});
