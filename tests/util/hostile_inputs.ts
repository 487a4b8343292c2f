// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Traces whose last step breaks a precondition that depends on the trace's
 * own state (issue 9's list, and the other rules of src/trace/rules): each
 * must be bad input at its last step, with a message naming the field and
 * the VMA it conflicts with.  Shared by tests/trace/validator.test.ts and
 * the hostile-input suite of the command.
 */

/** One hostile trace: its steps (as in a file) and what the error must say. */
export interface HostileInput {
  readonly name: string;
  readonly steps: readonly Record<string, unknown>[];
  readonly message: RegExp;
}

const link = (start: string, end: string, flags = '0x33', pgoff?: string): Record<string, unknown> => ({
  op: 'alloc_and_link',
  start,
  end,
  pgoff: pgoff ?? `0x${(parseInt(start, 16) / 4096).toString(16)}`,
  flags,
});
const A = link('0x100000', '0x102000');
const B = link('0x103000', '0x105000');

/** The list. */
export const HOSTILE_STATE_INPUTS: readonly HostileInput[] = [
  {
    name: 'mmap-end-past-2-53',
    steps: [A, { op: 'mmap', addr: '0x1ffffffffff000', len: '0x2000', flags: '0x33', pgoff: '0x0' }],
    message: /field 'addr': 0x1ffffffffff000 is not below TASK_SIZE \(0x7ffffffff000\)/,
  },
  {
    name: 'mmap-straddling-task-size',
    steps: [{ op: 'mmap', addr: '0x7fffffffe000', len: '0x2000', flags: '0x33', pgoff: '0x0' }],
    message: /field 'len': the range starting at 0x7fffffffe000 with length 0x2000 ends past TASK_SIZE/,
  },
  {
    name: 'mmap-above-task-size',
    steps: [{ op: 'mmap', addr: '0x900000000000', len: '0x2000', flags: '0x33', pgoff: '0x0' }],
    message: /field 'addr': 0x900000000000 is not below TASK_SIZE/,
  },
  {
    name: 'alloc-and-link-above-task-size',
    steps: [link('0x800000000000', '0x800000002000')],
    message: /field 'start': 0x800000000000 is not below TASK_SIZE/,
  },
  {
    name: 'alloc-and-link-below-mmap-min-addr',
    steps: [link('0x1000', '0x3000')],
    message: /field 'start': 0x1000 is below mmap_min_addr \(0x10000\)/,
  },
  {
    name: 'copy-vma-past-2-53',
    steps: [A, { op: 'copy_vma', vma: 1, addr: '0x1ffffffffff000', len: '0x2000', pgoff: '0x0' }],
    message: /field 'addr': 0x1ffffffffff000 is not below TASK_SIZE/,
  },
  {
    name: 'merge-extend-past-2-53',
    steps: [A, { op: 'merge_extend', vma: 1, delta: '0x1ffffffffff000' }],
    message: /field 'delta': VMA 1 \[0x100000, 0x102000\) grown by 0x1ffffffffff000 ends past TASK_SIZE/,
  },
  {
    name: 'pgoff-near-2-53',
    steps: [link('0x100000', '0x104000', '0x33', '0x1ffffffffffffe')],
    message: /field 'pgoff': page offset 0x1ffffffffffffe plus 0x4 pages passes 2\^53/,
  },
  {
    name: 'copy-vma-fail-prealloc-without-anon-vma',
    steps: [A, { op: 'fail_prealloc', value: true }, { op: 'copy_vma', vma: 1, addr: '0x110000', len: '0x2000', pgoff: '0x100' }],
    message: /field 'vma': VMA 1 \[0x100000, 0x102000\) has no anon_vma and fail_prealloc is set/,
  },
  {
    name: 'merge-new-nothing-below',
    steps: [link('0x110000', '0x112000'), { op: 'merge_new', start: '0x100000', end: '0x102000', pgoff: '0x100', flags: '0x33' }],
    message: /field 'start': no VMA below 0x100000 but VMA 1 \[0x110000, 0x112000\) above it/,
  },
  {
    name: 'munmap-never-charged',
    steps: [A, { op: 'munmap', start: '0x100000', len: '0x2000' }],
    message: /field 'start': munmap of \[0x100000, 0x102000\) would take 2 data pages back but data_vm holds 0: VMA 1 \[0x100000, 0x102000\) was mapped without charging them/,
  },
  {
    name: 'mmap-over-never-charged',
    steps: [link('0x100000', '0x102000', '0x35'), { op: 'mmap', addr: '0x100000', len: '0x1000', flags: '0x33', pgoff: '0x100' }],
    message: /field 'addr': mmap of \[0x100000, 0x101000\) would take 1 exec pages back but exec_vm holds 0: VMA 1 /,
  },
  {
    name: 'merge-extend-into-occupied',
    steps: [A, B, { op: 'merge_extend', vma: 1, delta: '0x2000' }],
    message: /field 'delta': \[0x102000, 0x104000\) is not free: it overlaps VMA 2 \[0x103000, 0x105000\)/,
  },
  {
    name: 'expand-over-occupied',
    steps: [A, B, { op: 'expand', vma: 1, start: '0x100000', end: '0x106000', pgoff: '0x100', next: null }],
    message: /field 'end': \[0x100000, 0x106000\) is not free: it overlaps VMA 2 \[0x103000, 0x105000\)/,
  },
  {
    name: 'expand-past-next-end',
    steps: [A, B, { op: 'expand', vma: 1, start: '0x100000', end: '0x106000', pgoff: '0x100', next: 2 }],
    message: /field 'end': 0x106000 passes the end of next, VMA 2 \[0x103000, 0x105000\)/,
  },
  {
    name: 'expand-next-not-following',
    steps: [A, B, link('0x106000', '0x107000'), { op: 'expand', vma: 1, start: '0x100000', end: '0x107000', pgoff: '0x100', next: 3 }],
    message: /field 'next': VMA 3 \[0x106000, 0x107000\) is not the VMA following VMA 1 \[0x100000, 0x102000\) \(VMA 2 \[0x103000, 0x105000\)\)/,
  },
  {
    name: 'copy-vma-onto-occupied',
    steps: [A, B, { op: 'copy_vma', vma: 1, addr: '0x104000', len: '0x2000', pgoff: '0x100' }],
    message: /field 'addr': \[0x104000, 0x106000\) is not free: it overlaps VMA 2 \[0x103000, 0x105000\)/,
  },
  {
    name: 'copy-vma-merging-into-its-faulted-source',
    steps: [A, { op: 'copy_vma', vma: 1, addr: '0x102000', len: '0x2000', pgoff: '0x102' }],
    message: /field 'pgoff': the copy at \[0x102000, 0x104000\) pgoff 0x102 would merge with its own source VMA 1 \[0x100000, 0x102000\)/,
  },
  {
    name: 'expand-stack-growsdown-without-anon-vma',
    steps: [link('0x100000', '0x102000', '0x133'), { op: 'expand_stack', vma: 1, addr: '0xff000' }],
    message: /field 'vma': VMA 1 \[0x100000, 0x102000\) is VM_GROWSDOWN without an anon_vma/,
  },
  {
    name: 'expand-stack-not-first-above',
    steps: [A, link('0x104000', '0x106000', '0x133'), { op: 'expand_stack', vma: 2, addr: '0x101000' }],
    message: /field 'vma': VMA 2 \[0x104000, 0x106000\) is not the first VMA above 0x101000: VMA 1 \[0x100000, 0x102000\) is/,
  },
  {
    name: 'shrink-to-the-same-range',
    steps: [A, { op: 'shrink', vma: 1, start: '0x100000', end: '0x102000', pgoff: '0x100' }],
    message: /field 'end': \[0x100000, 0x102000\) is all of VMA 1 \[0x100000, 0x102000\): nothing to shrink/,
  },
  {
    name: 'split-at-an-end',
    steps: [A, { op: 'split', vma: 1, addr: '0x102000', new_below: false }],
    message: /field 'addr': 0x102000 is not strictly inside VMA 1 \[0x100000, 0x102000\)/,
  },
  {
    name: 'modify-outside-the-vma',
    steps: [A, { op: 'modify_flags', vma: 1, start: '0x101000', end: '0x103000', flags: '0x31' }],
    message: /field 'end': \[0x101000, 0x103000\) is not inside VMA 1 \[0x100000, 0x102000\)/,
  },
  {
    name: 'modify-name-on-sealed',
    steps: [link('0x100000', '0x102000', '0x8000000000000033'), { op: 'modify_name', vma: 1, start: '0x100000', end: '0x102000', flags: '0x8000000000000033', name: 1 }],
    message: /field 'vma': VMA 1 \[0x100000, 0x102000\) is sealed/,
  },
  {
    name: 'uffd-give-up-on-part',
    steps: [A, { op: 'modify_flags_uffd', vma: 1, start: '0x100000', end: '0x101000', flags: '0x233', give_up_on_oom: true }],
    message: /field 'give_up_on_oom': give_up_on_oom needs the whole of VMA 1 \[0x100000, 0x102000\)/,
  },
  {
    name: 'brk-into-a-vma',
    steps: [A, { op: 'brk', start_brk: '0xf0000', addr: '0xff000', len: '0x2000', flags: '0x0' }],
    message: /field 'len': \[0xff000, 0x102000\) is not free: it overlaps VMA 1 \[0x100000, 0x102000\)/,
  },
  {
    name: 'find-mergeable-anon-vma-with-one',
    steps: [A, { op: 'set_anon', vma: 1, anon: 2, chain: 1 }, { op: 'find_mergeable_anon_vma', vma: 1 }],
    message: /field 'vma': VMA 1 \[0x100000, 0x102000\) already has anon_vma 2/,
  },
  {
    name: 'take-all-locks-with-a-null-chain',
    steps: [A, { op: 'set_anon', vma: 1, anon: null, chain: 2 }, { op: 'take_all_locks' }],
    message: /VMA 1 \[0x100000, 0x102000\) has anon_vma_chain entries without an anon_vma/,
  },
  {
    name: 'inject-under-fail-prealloc',
    steps: [{ op: 'fail_prealloc', value: true }, { op: 'inject', point: 'vm_area_dup', count: 1, after: 0 }],
    message: /field 'count': vm_area_dup armed while fail_prealloc is set/,
  },
  {
    name: 'mlockall-onfault-alone',
    steps: [A, { op: 'mlockall', flags: 4 }],
    message: /field 'flags': mlockall\(\) refuses flags 4: MCL_ONFAULT alone is -EINVAL in sys_mlockall\(\)/,
  },
  {
    name: 'mlockall-unknown-bit',
    steps: [{ op: 'mlockall', flags: 8 }],
    message: /step 0 \(mlockall\): field 'flags': expected MCL_\* flags \(integer 0\.\.7/,
  },
  {
    name: 'mlockall-fractional-flags',
    steps: [{ op: 'mlockall', flags: 1.5 }],
    message: /step 0 \(mlockall\): field 'flags': expected MCL_\* flags .*got number 1\.5/,
  },
  {
    name: 'mlockall-flags-as-text',
    steps: [{ op: 'mlockall', flags: '0x1' }],
    message: /step 0 \(mlockall\): field 'flags': expected MCL_\* flags .*got string "0x1"/,
  },
  {
    name: 'mlockall-without-flags',
    steps: [{ op: 'mlockall' }],
    message: /step 0 \(mlockall\): field 'flags': missing required argument 'flags'/,
  },
  {
    name: 'munlockall-of-uncharged-locked-vma',
    steps: [link('0x100000', '0x102000', '0x2033'), { op: 'mlockall', flags: 0 }],
    message: /field 'flags': munlockall\(\) would take 2 VM_LOCKED pages from locked_vm, which holds 0: locked_vm would wrap \(VMA 1 \[0x100000, 0x102000\) is one of them\)/,
  },
  {
    name: 'munlockall-after-mlockall-beside-an-uncharged-vma',
    steps: [
      link('0x100000', '0x102000', '0x2033'),
      { op: 'mmap', addr: '0x103000', len: '0x2000', flags: '0x33', pgoff: '0x103' },
      { op: 'mlockall', flags: 3 },
      { op: 'mlockall', flags: 0 },
    ],
    message: /field 'flags': munlockall\(\) would take 4 VM_LOCKED pages from locked_vm, which holds 2: .*VMA 1 \[0x100000, 0x102000\)/,
  },
  {
    name: 'freed-vma',
    steps: [A, B, { op: 'expand', vma: 1, start: '0x100000', end: '0x105000', pgoff: '0x100', next: 2 }, { op: 'set_ops', vma: 2, ops: 'close' }],
    message: /field 'vma': VMA 2 was freed/,
  },
];
