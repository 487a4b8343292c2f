// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Historic kinds of bugs planted in the functions issue 11 brought under
 * test (brk, the gap search, stack expansion, the munmap accounting,
 * give_up_on_oom), each in a transformed COPY of src/mm/vma.ts (see
 * plant.ts), and each caught by npm test's property suite with its default
 * seed and settings (suite.ts): the command-sequence phase, or the fault
 * sweep of one operation (each operation's layouts come from their own
 * stream, so sweeping one operation sweeps it exactly as the whole sweep
 * does).  Failures are not shrunk here: being caught is what is shown.
 */

import { sequencesCatch, sweepCatches } from './plant';

test('munmap charging the first VMA\'s lock state for every VMA it unmaps', () => {
  const msg = sequencesCatch('mm/vma.ts', [
    ['if (next.vm_flags & VM_LOCKED) vms.locked_vm += nrpages;', 'if (first.vm_flags & VM_LOCKED) vms.locked_vm += nrpages;'],
  ]);
  expect(msg).toContain("on 'mm.locked_vm'");
});

test('an off-by-one stack guard gap in expand_downwards()', () => {
  const msg = sequencesCatch('mm/vma.ts', [['address - prev.vm_end < stack_guard_gap', 'address - prev.vm_end <= stack_guard_gap']]);
  expect(msg).toMatch(/expand_stack[\s\S]*on 'err'/);
});

test('the bottom-up gap search aligning the wrong way', () => {
  const msg = sequencesCatch('mm/vma.ts', [
    ['gap += ulong_sub_mask(info.align_offset, gap, info.align_mask);', 'gap += ulong_sub_mask(gap, info.align_offset, info.align_mask);'],
  ]);
  expect(msg).toMatch(/vm_unmapped_area[\s\S]*on 'addr'/);
});

test('the top-down gap search aligning the wrong way', () => {
  const msg = sequencesCatch('mm/vma.ts', [
    ['gap -= ulong_sub_mask(gap, info.align_offset, info.align_mask);', 'gap -= ulong_sub_mask(info.align_offset, gap, info.align_mask);'],
  ]);
  expect(msg).toMatch(/vm_unmapped_area[\s\S]*on 'addr'/);
});

test('brk expanding a heap VMA whose flags differ', () => {
  const msg = sequencesCatch('mm/vma.ts', [
    [
      'const vmg = VMG_STATE(mm, vmi, addr, addr + len, flags, PHYS_PFN(addr));',
      'const vmg = VMG_STATE(mm, vmi, addr, addr + len, vma.vm_flags, PHYS_PFN(addr));',
    ],
  ]);
  expect(msg).toMatch(/"op":"brk"/);
});

test('vma_modify_flags_uffd() ignoring give_up_on_oom', () => {
  const msg = sweepCatches('mm/vma.ts', [['vmg.give_up_on_oom = give_up_on_oom;', '']], 'modify_flags_uffd');
  expect(msg).toMatch(/"give_up_on_oom":true[\s\S]*on 'vma'/);
});
