// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The mlockall driver (src/harness/mlock.ts), run as the trace operation
 * `mlockall` on the unmodified port: what v6.15's mm/mlock.c does to the
 * VMAs, their flags, locked_vm and mm->def_flags, worked out by hand from
 * apply_mlockall_flags() and mlock_fixup(); and what v6.15 does when a
 * merge's preallocation fails part-way through the walk.
 */

import { parseTrace } from '../../src/trace/parse';
import { replayText } from '../../src/trace/replay';
import { TraceWorld } from '../../src/trace/world';
import type { TraceExpect } from '../../src/trace/types';
import * as vma from '../../src/mm/vma';
import { ENOMEM, ERR_PTR, maple_check_summary, vma_iter_set, warn_summary } from '../../src/vma_internal';
import { MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT, mlockall_flags_valid } from '../../src/harness/mlock';

type Json = { [key: string]: unknown };

afterEach(() => jest.restoreAllMocks());

interface Ran {
  last: TraceExpect;
  all: TraceExpect[];
  maple: string;
  warnings: string;
}

/* Run the steps on a fresh world; what each step left, and the checks of the last one. */
function run(steps: Json[]): Ran {
  const trace = parseTrace(JSON.stringify({ format: 'vma-trace/1', kernel: 'v6.15', name: 'mlock', steps }), 'mlock');
  const w = new TraceWorld();
  const all: TraceExpect[] = [];
  let maple = '';
  let warnings = '';
  try {
    for (const s of trace.steps) {
      w.endStep();
      all.push(w.observe(s, w.run(s)));
      maple = maple_check_summary();
      warnings = warn_summary();
    }
  } finally {
    w.endStep();
    w.dispose();
  }
  return { last: all[all.length - 1], all, maple, warnings };
}

const link = (start: number, end: number, flags: number): Json => ({
  op: 'alloc_and_link',
  start: `0x${start.toString(16)}`,
  end: `0x${end.toString(16)}`,
  pgoff: `0x${(start / 0x1000).toString(16)}`,
  flags: `0x${flags.toString(16)}`,
});
const RW = 0x33;
const LOCKED = 0x2000;
const ONFAULT = 0x80000;

test('the MCL_* values are the kernel\'s, and mlockall() refuses MCL_ONFAULT alone', () => {
  expect([MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT]).toEqual([1, 2, 4]);
  expect([1, 2, 3, 5, 6, 7].every(mlockall_flags_valid)).toBe(true);
  expect([0, 4, 8, -1, 1.5].some(mlockall_flags_valid)).toBe(false);
});

test('a trace asking mlockall() for MCL_ONFAULT alone is bad input (the syscall refuses it before any VMA code)', () => {
  const text = JSON.stringify({ format: 'vma-trace/1', kernel: 'v6.15', name: 'bad', steps: [{ op: 'mlockall', flags: 4 }] });
  const r = replayText(text, 'bad.json');
  expect(r.status).toBe('bad-input');
  expect(r.step).toBe(0);
  expect(r.message).toMatch(/field 'flags': mlockall\(\) refuses flags 4/);
});

test('MCL_CURRENT locks every VMA, merging it with a locked neighbour, and charges only the newly locked pages', () => {
  const r = run([
    link(0x100000, 0x102000, RW | LOCKED),
    link(0x102000, 0x104000, RW),
    link(0x106000, 0x107000, RW | LOCKED),
    { op: 'mlockall', flags: 1 },
  ]);
  expect(r.last.err).toBe(0);
  expect(r.last.vmas).toEqual([
    [1, '0x100000', '0x104000', '0x100', '0x2033', null, null, 'dummy', 1, true],
    [3, '0x106000', '0x107000', '0x106', '0x2033', null, null, 'dummy', 1, false],
  ]);
  expect(r.last.freed).toEqual([[2, 0]]);
  expect(r.last.mm?.locked_vm).toBe(2);
  expect(r.maple).toBe('');
  expect(r.warnings).toBe('');
});

test('munlockall() unlocks and refunds what mlockall() charged; VM_SPECIAL and VM_DROPPABLE VMAs are left alone', () => {
  const droppable = 1n << 40n;
  const r = run([
    link(0x100000, 0x102000, RW),
    link(0x103000, 0x104000, RW),
    link(0x105000, 0x106000, RW | 0x4000),
    { ...link(0x107000, 0x108000, 0), flags: `0x${(droppable | 0x33n).toString(16)}` },
    { op: 'mlockall', flags: 1 },
    { op: 'mlockall', flags: 0 },
  ]);
  const [locked, unlocked] = r.all.slice(-2);
  expect(locked.mm?.locked_vm).toBe(3);
  expect(locked.vmas?.map((v) => [v[4], v[9]])).toEqual([
    ['0x2033', true],
    ['0x2033', true],
    ['0x4033', false],
    ['0x10000000033', false],
  ]);
  expect(unlocked.mm?.locked_vm).toBe(0);
  expect(unlocked.vmas?.map((v) => [v[4], v[9]])).toEqual([
    ['0x33', true],
    ['0x33', true],
    ['0x4033', false],
    ['0x10000000033', false],
  ]);
});

test('MCL_ONFAULT adds VM_LOCKONFAULT; pages locked already are not charged again', () => {
  const r = run([link(0x100000, 0x102000, RW | LOCKED), link(0x104000, 0x105000, RW), { op: 'mlockall', flags: 5 }]);
  expect(r.last.vmas?.map((v) => [v[4], v[9]])).toEqual([
    [`0x${(RW | LOCKED | ONFAULT).toString(16)}`, true],
    [`0x${(RW | LOCKED | ONFAULT).toString(16)}`, true],
  ]);
  expect(r.last.mm?.locked_vm).toBe(1);
});

test('MCL_FUTURE touches no VMA but locks what brk maps next; a later call without it clears that again', () => {
  const brk = (addr: number): Json => ({ op: 'brk', start_brk: `0x${addr.toString(16)}`, addr: `0x${addr.toString(16)}`, len: '0x1000', flags: '0x0' });
  const r = run([
    link(0x100000, 0x101000, RW),
    { op: 'mlockall', flags: 6 },
    brk(0x110000),
    { op: 'mlockall', flags: 1 },
    brk(0x120000),
  ]);
  const [future, brk1, , brk2] = r.all.slice(1);
  expect(future.vmas).toEqual([[1, '0x100000', '0x101000', '0x100', '0x33', null, null, 'dummy', 1, false]]);
  /* VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT | mm->def_flags (VM_LOCKED | VM_LOCKONFAULT) */
  expect(brk1.vmas?.[1]?.[4]).toBe('0x182073');
  expect(brk1.mm).toEqual({ total_vm: 1, locked_vm: 1, data_vm: 1, exec_vm: 0, stack_vm: 0 });
  expect(brk2.vmas?.[2]?.[4]).toBe('0x100073');
});

test('killed while waiting for the mmap lock: -EINTR, nothing done', () => {
  const r = run([
    link(0x100000, 0x101000, RW),
    { op: 'inject', point: 'mmap_write_lock_killable', count: 1, after: 0 },
    { op: 'mlockall', flags: 3 },
    { op: 'brk', start_brk: '0x110000', addr: '0x110000', len: '0x1000', flags: '0x0' },
  ]);
  const [failed, brk] = r.all.slice(-2);
  expect(failed.err).toBe(-4);
  expect(failed.vmas).toEqual([[1, '0x100000', '0x101000', '0x100', '0x33', null, null, 'dummy', 1, false]]);
  expect(brk.vmas?.[1]?.[4]).toBe('0x100073');
});

test('a merge giving up on its abort: path (anon_vma_clone failing) is ignored and the walk goes on past the VMA', () => {
  const r = run([
    link(0x100000, 0x102000, RW | LOCKED),
    link(0x102000, 0x104000, RW),
    link(0x106000, 0x107000, RW),
    /* prev without anon_vma but a singular chain (so v6.15 lets them merge); middle's must be cloned. */
    { op: 'set_anon', vma: 1, anon: null, chain: 1 },
    { op: 'set_anon', vma: 2, anon: 1, chain: 1 },
    { op: 'inject', point: 'anon_vma_clone', count: 1, after: 0 },
    { op: 'mlockall', flags: 1 },
  ]);
  expect(r.last.err).toBe(0);
  expect(r.last.vmas).toEqual([
    [1, '0x100000', '0x102000', '0x100', '0x2033', null, null, 'dummy', 1, true],
    [2, '0x102000', '0x104000', '0x102', '0x33', 1, null, 'dummy', 1, true],
    [3, '0x106000', '0x107000', '0x106', '0x2033', null, null, 'dummy', 1, true],
  ]);
  expect(r.last.mm?.locked_vm).toBe(1);
  expect(r.maple).toBe('');
  expect(r.warnings).toBe('');
});

describe("v6.15: commit_merge()'s preallocation failing part-way through the walk (a known defect)", () => {
  test('merging with prev: the walk steps on from prev with the merged range, and meets the VMA again as its own prev', () => {
    const r = run([
      link(0x100000, 0x102000, RW | LOCKED),
      link(0x102000, 0x104000, RW),
      link(0x106000, 0x107000, RW | LOCKED),
      { op: 'fail_prealloc', value: true },
      { op: 'mlockall', flags: 1 },
    ]);
    expect(r.last.err).toBe(0);
    expect(r.maple).toBe(
      'maple-state misuse in mas_find (vma_next <- apply_mlockall_flags <- sys_mlockall): walk continues from the slot the state is on, ' +
        'but index/last no longer lie on it (__mas_set_range() or a preallocation moved them): where the real walk ends depends on node ' +
        'boundaries; range [0x100000, 0x103fff]; state ma_active index 0x100000 last 0x103fff, on slot [0x100000, 0x101fff]',
    );
    expect(r.warnings).toMatch(/^VM_WARN_ON_VMG\(prev && start <= prev->vm_start\) in vma_merge_existing_range on vmg\[0x102000-0x104000 pgoff 0x102 prev #2 middle #2 /);
    /* Met again with itself as prev, the VMA can no longer merge left: it is locked on its own. */
    expect(r.last.vmas?.map((v) => [v[0], v[1], v[4]])).toEqual([
      [1, '0x100000', '0x2033'],
      [2, '0x102000', '0x2033'],
      [3, '0x106000', '0x2033'],
    ]);
    expect(r.last.mm?.locked_vm).toBe(2);
  });

  test('merging with next: the walk steps on from the VMA itself, so only the misuse shows', () => {
    const r = run([link(0x100000, 0x102000, RW), link(0x102000, 0x104000, RW | LOCKED), { op: 'fail_prealloc', value: true }, { op: 'mlockall', flags: 1 }]);
    expect(r.maple).toMatch(/^maple-state misuse in mas_find \(vma_next <- apply_mlockall_flags <- sys_mlockall\): .*; range \[0x100000, 0x103fff\]; state ma_active index 0x100000 last 0x103fff, on slot \[0x100000, 0x101fff\]$/);
    expect(r.warnings).toBe('');
    expect(r.last.vmas?.map((v) => [v[0], v[4]])).toEqual([
      [1, '0x33'],
      [2, '0x2033'],
    ]);
    expect(r.last.mm?.locked_vm).toBe(0);
  });
});

test('a port whose failures keep putting the iterator back fails loudly instead of hanging (a bound of the driver, not the kernel)', () => {
  jest.spyOn(vma, 'vma_modify_flags').mockImplementation((vmi) => {
    vma_iter_set(vmi, 0);
    return ERR_PTR(-ENOMEM);
  });
  expect(() => run([link(0x100000, 0x101000, RW), link(0x103000, 0x104000, RW), { op: 'mlockall', flags: 1 }])).toThrow(
    'apply_mlockall_flags(): the walk visited 17 VMAs of 2 and goes on: the iterator keeps going back',
  );
});
