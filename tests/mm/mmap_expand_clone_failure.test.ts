// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The v6.15 defect left out of the fault-* traces (TRACE_FORMAT.md, "Fault
 * injection", preconditions): mmap() fills the hole between two VMAs it
 * would merge with, and anon_vma_clone() fails inside vma_expand() ->
 * dup_anon_vma(prev, next).
 *
 * vma_merge_new_range() has already stepped the iterator back onto prev
 * (vma_prev()); vma_expand() returns -ENOMEM without touching vmg->state, so
 * the merge just reports NOMERGE and __mmap_region() goes on to
 * __mmap_new_vma().  Its vma_iter_config() then sets a range [addr, end)
 * that does not start inside the slot the still-active iterator is on (prev),
 * which is what __mas_set_range()'s MAS_WARN_ON() checks: the original
 * harness, built with maple-tree debugging, dies there; a kernel without
 * CONFIG_DEBUG_MAPLE_TREE warns and carries on.  Carrying on, the store
 * itself is by range, so v6.15 maps a new VMA between prev and next, which
 * stay apart; prev, which dup_anon_vma() pointed at next's anon_vma, is left
 * without one (the failed clone clears it), and both neighbours were
 * write-locked.
 *
 * The first test pins that outcome, with the one maple-tree check the
 * stand-in records (apart from the trace's warnings, which exclude such
 * checks), the second the iterator state at the moment of the check.  The
 * port does exactly what v6.15 does and hides nothing.
 */

import { ma_active, type ma_state } from '../../src/vma_internal/maple_tree';
import { parseTrace } from '../../src/trace/parse';
import { TraceWorld } from '../../src/trace/world';
import type { TraceExpect } from '../../src/trace/types';
import * as maple from '../../src/vma_internal/maple_tree';
import { maple_check_records, type MapleCheckRecord } from '../../src/vma_internal/maple_state_check';

/* prev [0x100000, 0x102000), hole [0x102000, 0x104000), next [0x104000, 0x106000), all VM_READ|VM_MAYREAD. */
const steps = [
  { op: 'alloc_and_link', start: '0x100000', end: '0x102000', pgoff: '0x100', flags: '0x11' },
  { op: 'alloc_and_link', start: '0x104000', end: '0x106000', pgoff: '0x104', flags: '0x11' },
  { op: 'set_ops', vma: 1, ops: 'none' },
  { op: 'set_ops', vma: 2, ops: 'none' },
  { op: 'set_anon', vma: 2, anon: 3, chain: 1 },
  { op: 'inject', point: 'anon_vma_clone', count: 1, after: 0 },
  { op: 'mmap', addr: '0x102000', len: '0x2000', flags: '0x11', pgoff: '0x102' },
];
const trace = parseTrace(
  JSON.stringify({ format: 'vma-trace/1', kernel: 'v6.15', name: 'mmap-expand-clone-failure', steps }),
  'mmap-expand-clone-failure',
);

/**
 * Run the steps; return what the last one left behind and, when @spy, the
 * iterator state each __mas_set_range() call of the mmap found.
 */
function runDefect(spy: boolean): {
  observed: TraceExpect;
  checks: MapleCheckRecord[];
  configs: { status: number; index: number; last: number; start: number; end: number }[];
} {
  const configs: { status: number; index: number; last: number; start: number; end: number }[] = [];
  let checks: MapleCheckRecord[] = [];
  const world = new TraceWorld();
  try {
    let observed: TraceExpect = {};
    trace.steps.forEach((step, i) => {
      world.endStep();
      const last = i === trace.steps.length - 1;
      const setRange = spy && last
        ? jest.spyOn(maple, '__mas_set_range').mockImplementation(<T>(mas: ma_state<T>, start: number, lst: number) => {
            configs.push({ status: mas.status, index: mas.index, last: mas.last, start, end: lst + 1 });
            mas.index = start;
            mas.last = lst;
          })
        : null;
      try {
        /* execute(), not run(): the replayer's validator refuses the last step as the known defect. */
        const out = world.execute(step);
        observed = world.observe(step, out);
        checks = [...maple_check_records()];
      } finally {
        setRange?.mockRestore();
      }
    });
    return { observed, checks, configs };
  } finally {
    world.dispose();
  }
}

test('v6.15: the clone fails, the merge gives up, a new VMA fills the hole; prev loses the anon_vma', () => {
  const { observed, checks } = runDefect(false);
  /* __mmap_new_vma()'s vma_iter_config() on the state vma_prev() left on prev: __mas_set_range()'s check. */
  expect(checks).toEqual([
    {
      check: 'MAS_WARN_ON',
      call: '__mas_set_range',
      what: 'mas_is_active(mas) && (mas->index > start || mas->last < start)',
      state: 'ma_active index 0x100000 last 0x101fff, on slot [0x100000, 0x101fff]',
      range: '[0x102000, 0x103fff]',
      site: 'vma_iter_config <- __mmap_new_vma <- __mmap_region',
    },
  ]);
  expect(observed).toEqual({
    addr: 0x102000,
    map_count: 3,
    mm: { total_vm: 2, locked_vm: 0, data_vm: 0, exec_vm: 0, stack_vm: 0 },
    vmas: [
      [1, '0x100000', '0x102000', '0x100', '0x11', null, null, 'none', 1, true],
      [3, '0x102000', '0x104000', '0x102', '0x11', null, null, 'none', 1, true],
      [2, '0x104000', '0x106000', '0x104', '0x11', 3, null, 'none', 1, true],
    ],
  });
});

test('v6.15: __mmap_new_vma() configures the iterator while it is still active on prev (what __mas_set_range() checks)', () => {
  const { configs } = runDefect(true);
  /* The configuration for the new VMA's range is the one that trips the check. */
  const cfg = configs.find((c) => c.start === 0x102000 && c.end === 0x104000);
  expect(cfg).toBeDefined();
  const c = cfg as (typeof configs)[number];
  expect(c.status).toBe(ma_active);
  /* The iterator is on prev's slot, [0x100000, 0x101fff]: the new range does not start inside it. */
  expect([c.index, c.last]).toEqual([0x100000, 0x101fff]);
  expect(c.index > c.start || c.last < c.start).toBe(true);
});

test('control: without the injected failure the same mmap merges prev, the hole and next into prev', () => {
  const control = parseTrace(
    JSON.stringify({ format: 'vma-trace/1', kernel: 'v6.15', name: 'control', steps: steps.filter((s) => s.op !== 'inject') }),
    'control',
  );
  const world = new TraceWorld();
  try {
    let observed: TraceExpect = {};
    for (const step of control.steps) {
      world.endStep();
      observed = world.observe(step, world.run(step));
    }
    expect(observed.vmas).toEqual([[1, '0x100000', '0x106000', '0x100', '0x11', 3, null, 'none', 1, true]]);
    expect(observed.freed).toEqual([[2, 0]]);
  } finally {
    world.dispose();
  }
});
