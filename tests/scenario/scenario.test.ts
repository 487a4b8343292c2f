// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The scenario API: the traps of driving the harness by hand are gone
 * (current mm, accounting, iterator positioning), layouts are drawn as
 * documented, and every expectation fails with a message and a diagram
 * when it does not hold.
 */

import {
  alloc_and_link_vma,
  current,
  do_vmi_munmap,
  harness_reset,
  mm_struct,
  Scenario,
  ScenarioError,
  VM_EXEC,
  VM_LOCKED,
  VMA_ITERATOR,
  vma_iter_set,
  warn_count,
  warn_records,
  layoutString,
  DEFAULT_FLAGS,
} from 'vma-harness';

function failsWith(f: () => unknown, msg: RegExp): void {
  let caught: unknown = null;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ScenarioError);
  expect((caught as Error).message).toMatch(msg);
}

test('a new scenario is a fresh mm, made the current task\'s', () => {
  const s = new Scenario();
  expect(current.mm).toBe(s.mm);
  expect(s.vmas()).toEqual([]);
  expect(s.layout()).toBe('');
  s.end();
  expect(current.mm).toBeNull();
});

test('the trap: unmapping an uncharged VMA warns; link() charges as mmap does, so it does not', () => {
  /* By hand, as the issue found it. */
  harness_reset();
  const mm = new mm_struct();
  current.mm = mm;
  const vmi = VMA_ITERATOR(mm, 0);
  alloc_and_link_vma(mm, 0x1000, 0x3000, 1, DEFAULT_FLAGS);
  vma_iter_set(vmi, 0x1000);
  expect(do_vmi_munmap(vmi, mm, 0x1000, 0x2000, null, false)).toBe(0);
  expect(warn_count()).toBeGreaterThan(0);
  expect(warn_records()[0].what).toMatch(/data_vm/);

  const s = new Scenario();
  s.link(0x1000, 0x3000);
  s.link(0x5000, 0x6000, { flags: DEFAULT_FLAGS | VM_LOCKED });
  s.link(0x8000, 0x9000, { flags: VM_EXEC | 0x10n });
  expect(s.mm.data_vm).toBe(3);
  expect(s.mm.locked_vm).toBe(1);
  expect(s.mm.exec_vm).toBe(1);
  expect(s.munmap(0x1000, 0x8000)).toBe(0);
  s.expectLayout('').expectWarnings(0);
  expect(s.mm.total_vm).toBe(0);
  s.end();
});

test('mlockall locks every VMA (merging where the flags then match) and munlockall gives the pages back', () => {
  const s = new Scenario();
  s.link(0x1000, 0x3000, { flags: DEFAULT_FLAGS | VM_LOCKED });
  const b = s.link(0x3000, 0x4000);
  s.link(0x6000, 0x7000);
  expect(s.mm.locked_vm).toBe(2);
  expect(s.mlockall(1)).toBe(0);
  s.expectLayout('AAA  C').expectFreed(b).expectValid();
  expect(s.mm.locked_vm).toBe(4);
  expect(s.mlockall(0)).toBe(0);
  s.expectLayout('AAA  C').expectValid();
  expect(s.mm.locked_vm).toBe(0);
  failsWith(() => s.mlockall(4), /mlockall: flags 4 are refused by mlockall\(\) \(-EINVAL\)/);
  s.end();
});

test('each operation positions the iterator itself (an earlier call may have moved it anywhere)', () => {
  const s = new Scenario();
  const a = s.link(0x1000, 0x3000);
  const b = s.link(0x6000, 0x8000);
  vma_iter_set(s.vmi, 0x7000);
  /* munmap of A's first page: the remaining page is split off as a new VMA, C. */
  expect(s.munmap(0x1000, 0x1000)).toBe(0);
  s.expectLayout(' C   BB').expectFreed(a);
  vma_iter_set(s.vmi, 0);
  expect(s.split(b, 0x7000)).toBe(0);
  s.expectLayout(' C   BD').expectValid();
  s.end();
});

test('layout: letters by allocation order, spaces for holes, a fixed origin on request', () => {
  const s = new Scenario({ origin: 0 });
  const a = s.link(0x2000, 0x4000);
  const b = s.link(0x5000, 0x6000);
  expect(s.layout()).toBe('  AA B');
  expect(s.letter(a)).toBe('A');
  expect(s.letter(b)).toBe('B');
  s.expectLayout('..AA.B');
  expect(s.diagram()).toBe('0x0  012345\n       AA B\n     A=vma#1 [0x2000, 0x4000) B=vma#2 [0x5000, 0x6000)');
  expect(layoutString([], 0)).toBe('');
  s.end();
});

test('expectations fail with what was expected and the layout', () => {
  const s = new Scenario();
  const a = s.link(0x1000, 0x3000);
  failsWith(() => s.expectLayout('AAA'), /layout is "AA", expected "AAA"\n0x1000  01\n        AA\n/);
  failsWith(() => s.expectRefcount(a, 2), /vma#1 \(A\) has vm_refcnt 1, expected 2/);
  failsWith(() => s.expectDetached(a), /still in the tree/);
  failsWith(() => s.expectFreed(a), /was not freed/);
  failsWith(() => s.expectWarnings(1), /0 WARN-class check\(s\) fired, expected 1/);
  /* A corrupted VMA: detached while in the tree. */
  a.vm_refcnt = 0;
  failsWith(() => s.expectAttached(a), /has vm_refcnt 0, expected 1/);
  failsWith(() => s.expectValid(), /invariants broken:\n {2}vma#1 is reachable from the tree with vm_refcnt 0/);
  a.vm_refcnt = 1;
  s.end();
});

test('warnings fired by the port are counted and listed', () => {
  const s = new Scenario();
  s.link(0x1000, 0x3000);
  /* Bypass the charging to provoke the accounting WARN. */
  s.mm.data_vm = 0;
  s.mm.total_vm = 0;
  expect(s.munmap(0x1000, 0x2000)).toBe(0);
  failsWith(() => s.expectWarnings(0), /1 WARN-class check\(s\) fired, expected 0:\n {2}VM_WARN_ON\(vms->data_vm > mm->data_vm\)/);
  s.expectWarnings(1);
  failsWith(() => s.expectValid(), /WARN-class/);
  s.clearWarnings();
  s.expectWarnings(0);
  s.end();
});

test('bad input is refused with a clear message before the port sees it', () => {
  const s = new Scenario();
  const a = s.link(0x1000, 0x3000);
  failsWith(() => s.link(0x2000, 0x4000), /link: \[0x2000, 0x4000\) overlaps vma#1 \[0x1000, 0x3000\)/);
  failsWith(() => s.link(0x4000, 0x4800), /end 0x4800 is not page-aligned/);
  failsWith(() => s.link(0x5000, 0x5000), /empty range/);
  failsWith(() => s.link(0x5000, 2 ** 53), /not an address up to TASK_SIZE/);
  failsWith(() => s.mergeExisting(a, 0x2000, 0x4000, DEFAULT_FLAGS), /not inside vma#1/);
  failsWith(() => s.split(a, 0x3000), /not a page boundary strictly inside/);
  failsWith(() => s.expand(a, 0x2000, 0x4000), /does not cover vma#1/);
  s.end();
  failsWith(() => s.munmap(0x1000, 0x1000), /the scenario has ended/);
});

test('the operations return what the port returns, and charge what their callers charge', () => {
  const s = new Scenario();
  const a = s.link(0x1000, 0x3000);
  const none = s.mergeNew(0x3000, 0x4000, { flags: DEFAULT_FLAGS | VM_EXEC });
  expect(none).toMatchObject({ vma: null, state: 'NOMERGE' });
  expect(none.vmg.start).toBe(0x3000);
  expect(s.mergeExisting(a, 0x2000, 0x3000, DEFAULT_FLAGS | VM_EXEC).state).toBe('NOMERGE');
  /* mprotect of A's upper page: A keeps it, the lower page becomes B. */
  expect(s.modifyFlags(a, 0x2000, 0x3000, DEFAULT_FLAGS | VM_EXEC)).toBe(a);
  s.expectLayout('BA').expectValid();
  expect(s.written(a)).toBe(true);
  expect(s.expand(a, 0x2000, 0x5000)).toEqual({ err: 0, state: 'START' });
  s.expectLayout('BAAA').expectValid();
  expect(s.shrink(a, 0x2000, 0x4000)).toBe(0);
  const b = s.find(0x1000)!;
  failsWith(() => s.mergeExtend(b, 0x1000), /mergeExtend: \[0x2000, 0x3000\) overlaps vma#1/);
  expect(s.mergeExtend(a, 0x1000)).toBe(a);
  s.expectLayout('BAAA').expectValid();
  const copy = s.copyVma(a, 0x8000, 0x2000);
  expect(copy.vma).not.toBeNull();
  expect(copy.vmap).toBe(a);
  s.expectLayout('BAAA   CC').expectValid();
  expect(s.mmap(0x6000, 0x1000)).toBe(0x6000);
  s.expectLayout('BAAA D CC').expectValid();
  s.failPrealloc(true);
  expect(s.split(a, 0x3000)).toBe(-12);
  s.failPrealloc(false);
  s.expectLayout('BAAA D CC');
  /* Everything charged is uncharged: no WARN on the way out. */
  expect(s.munmap(0x1000, 0x9000)).toBe(0);
  s.expectLayout('').expectWarnings(0);
  expect(s.mm.total_vm).toBe(0);
  expect(s.end()).toBe(0);
});
