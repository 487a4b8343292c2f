// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fuzzing pipeline end to end, on a port with a planted bug: the
 * property fails, the failure is shrunk, printed with its seed, path and
 * layout diagrams, written as a regression trace that replays (failing on the
 * buggy port, passing on the real one); and the invariant checker reports
 * each kind of corruption on its own.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vma from '../../src/mm/vma';
import { runFuzz, runScenarioFuzz } from '../../src/fuzz/harness';
import { checkCommandInvariants, checkInvariants, snapshotTree, snapshotVmas, treeSnapshotVmas } from '../../src/fuzz/invariants';
import { drawLayouts } from '../../src/fuzz/diagram';
import { replayFile } from '../../src/trace/replay';
import { TraceWorld } from '../../src/trace/world';
import { UINT_MAX, vm_area_free, warn_reset, WARN_ON } from '../../src/vma_internal';
import type { vm_area_struct } from '../../src/vma_internal';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vma-fuzz-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/* A planted merge bug: vma_merge_existing_range() forgets the written mark of what it merged into. */
function plantForgottenWrite(): void {
  const real = vma.vma_merge_existing_range;
  jest.spyOn(vma, 'vma_merge_existing_range').mockImplementation((vmg) => {
    const r = real(vmg);
    if (r) r.vm_lock_seq = UINT_MAX;
    return r;
  });
}

test('a planted bug is found, shrunk, drawn and saved as a replayable regression', () => {
  plantForgottenWrite();
  const r = runScenarioFuzz({ runs: 2000, commands: 0, seed: 7, regressionDir: dir });
  expect(r.failure).not.toBeNull();
  const f = r.failure!;
  expect(f.message).toMatch(/^scenario failure \(seed 7, path "[\d:]+"\)/);
  expect(f.message).toContain("port disagrees with the model on 'vmas[");
  expect(f.message).toContain('before:\n0x');
  expect(f.message).toContain('model ');
  expect(f.message).toContain('reproduce: vma-harness fuzz --scenarios-only --seed 7 --path');
  expect(f.steps.length).toBeLessThan(12);
  expect(f.steps[f.steps.length - 1].op).toMatch(/merge_existing|modify_flags/);

  /* The regression replays: it fails on the buggy port... */
  const file = f.regressionFile as string;
  expect(readFileSync(file, 'utf8')).toMatch(/^\{"format":"vma-trace\/1","kernel":"v6.15","name":"scenario-seed7-/);
  const buggy = replayFile(file);
  expect(buggy.status).toBe('mismatch');
  expect(buggy.step).toBe(f.steps.length - 1);

  /* ...and passes on the real one. */
  jest.restoreAllMocks();
  expect(replayFile(file).status).toBe('pass');
});

test('the command-sequence property finds a planted refcount bug', () => {
  /* vma_link() that leaves the new VMA detached. */
  const real = vma.vma_link;
  jest.spyOn(vma, 'vma_link').mockImplementation((mm, v) => {
    const ret = real(mm, v);
    if (!ret) v.vm_refcnt = 0;
    return ret;
  });
  const r = runFuzz({ runs: 200, commands: 40, seed: 3, regressionDir: null });
  expect(r.failure?.message).toContain('vm_refcnt 0 (want 1)');
  expect(r.failure?.regressionFile).toBeNull();
});

describe('invariant checks on a corrupted port', () => {
  function world(): { w: TraceWorld; a: vm_area_struct; b: vm_area_struct } {
    const w = new TraceWorld();
    w.run({ op: 'alloc_and_link', start: 0x100000, end: 0x102000, pgoff: 0x100, flags: 0x33n });
    w.run({ op: 'alloc_and_link', start: 0x104000, end: 0x105000, pgoff: 0x104, flags: 0x33n });
    w.endStep();
    const [a, b] = [...w.mm.mm_mt.ranges.entries()].map((e) => e.value);
    return { w, a, b };
  }
  const check = (w: TraceWorld, before = snapshotVmas()): string[] =>
    checkInvariants(w.mm, before, w.observe({ op: 'fail_prealloc', value: false }, {}));

  test('a clean state passes', () => {
    const { w } = world();
    expect(check(w)).toEqual([]);
    w.dispose();
  });

  test('a reachable VMA with refcount 0', () => {
    const { w, a } = world();
    a.vm_refcnt = 0;
    expect(check(w)).toContain('vma#1 is reachable from the tree with vm_refcnt 0 (want 1)');
    w.dispose();
  });

  test('a freed VMA still in the tree, and a free of an attached VMA', () => {
    const { w, b } = world();
    vm_area_free(b);
    const errs = check(w);
    expect(errs).toContain('vma#2 is reachable from the tree but was freed');
    expect(errs).toContain('vma#2 was freed with vm_refcnt 1 (want 0: detached)');
    w.dispose();
  });

  test('a leak, a stale map_count and a range out of step with the tree', () => {
    const { w, a, b } = world();
    w.mm.mm_mt.ranges.store(b.vm_start, b.vm_end - 1, null);
    a.vm_end = 0x103000;
    const errs = check(w).join('\n');
    expect(errs).toContain('vma#2 is live but neither in the tree nor freed (leak)');
    expect(errs).toContain('map_count is 2 but the tree holds 1 VMAs');
    expect(errs).toContain('vma#1 [0x100000, 0x103000) is stored at [0x100000, 0x102000)');
    expect(errs).toContain('validate_mm');
    w.dispose();
  });

  test("the fuzzer's snapshot from the tree is the registry's, in id order, while nothing leaks", () => {
    const { w } = world();
    /* A third VMA below the others: tree order and id order differ. */
    w.run({ op: 'alloc_and_link', start: 0xf0000, end: 0xf1000, pgoff: 0xf0, flags: 0x33n });
    w.endStep();
    expect(treeSnapshotVmas(snapshotTree(w.mm))).toEqual(snapshotVmas());
    expect(treeSnapshotVmas(snapshotTree(w.mm)).map((s) => s.vma.__id)).toEqual([1, 2, 3]);
    /* A second walk reads the tree afresh (the scratch it walks into is reused). */
    w.run({ op: 'split', vma: 1, addr: 0x101000, new_below: true });
    w.endStep();
    expect(treeSnapshotVmas(snapshotTree(w.mm)).map((s) => [s.vma.__id, s.start, s.end])).toEqual([
      [1, 0x101000, 0x102000],
      [2, 0x104000, 0x105000],
      [3, 0xf0000, 0xf1000],
      [4, 0x100000, 0x101000],
    ]);
    expect(treeSnapshotVmas(snapshotTree(w.mm))).toEqual(snapshotVmas());
    w.dispose();
  });

  test("the fuzzer's flat snapshot finds what the registry's does, in the same order", () => {
    const { w, a, b } = world();
    w.run({ op: 'alloc_and_link', start: 0xf0000, end: 0xf1000, pgoff: 0xf0, flags: 0x33n });
    w.endStep();
    const flat = snapshotTree(w.mm);
    const before = snapshotVmas();
    /* Two unlocked changes, tree order (3, 1, 2) against id order (1, 2, 3). */
    const c = (w.mm.mm_mt.ranges.first() as { value: vm_area_struct }).value;
    c.vm_pgoff += 1;
    b.vm_pgoff += 1;
    a.vm_pgoff += 1;
    const actual = w.observe({ op: 'fail_prealloc', value: false }, {});
    const errs: string[] = [];
    checkCommandInvariants(w.mm, flat, actual, errs);
    expect(errs).toEqual(checkInvariants(w.mm, before, actual));
    expect(errs.filter((e) => e.includes('without vma_start_write()')).map((e) => e.slice(0, 5))).toEqual(['vma#1', 'vma#2', 'vma#3']);
    w.dispose();
  });

  test('a VMA stored twice', () => {
    const { w, a } = world();
    w.mm.mm_mt.ranges.store(0x108000, 0x108fff, a);
    const errs = check(w);
    expect(errs).toContain('vma#1 is stored in the tree twice');
    expect(errs).toContain('vma#1 [0x100000, 0x102000) is stored at [0x108000, 0x109000)');
    w.dispose();
  });

  test('a change without vma_start_write(), and a warning', () => {
    const { w, a } = world();
    const before = snapshotVmas();
    a.vm_pgoff += 1;
    WARN_ON(true, 'planted');
    const errs = check(w, before).join('\n');
    expect(errs).toContain('vma#1 changed from [0x100000, 0x102000) pgoff 0x100');
    expect(errs).toContain('without vma_start_write()');
    expect(errs).toContain('WARN_ON(planted)');
    warn_reset();
    w.dispose();
  });
});

test('layout diagrams fold long unmapped stretches', () => {
  const row = (id: number, s: string, e: string): [number, string, string, string, string, null, null, 'none', number, boolean] => [id, s, e, '0x0', '0x133', null, null, 'none', 1, false];
  const d = drawLayouts([{ label: 'port', rows: [row(1, '0x100000', '0x102000'), row(2, '0x244000', '0x245000')] }], [0x243000, 0x244000], 'expand_stack');
  expect(d.split('\n')).toEqual([
    '0x100000       01~34',
    'port           AA~.B',
    'expand_stack      ^',
    '               A=vma#1 B=vma#2',
  ]);
});

test('layout diagrams: one column per page, a letter per VMA, the range marked', () => {
  const rows = (ids: [number, string, string][]): [number, string, string, string, string, null, null, 'dummy', number, boolean][] =>
    ids.map(([id, s, e]) => [id, s, e, '0x0', '0x33', null, null, 'dummy', 1, false]);
  const d = drawLayouts(
    [
      { label: 'port', rows: rows([[1, '0x100000', '0x103000'], [4, '0x105000', '0x106000']]) },
      { label: 'model', rows: rows([[1, '0x100000', '0x106000']]) },
    ],
    [0x103000, 0x105000],
    'merge_new',
  );
  expect(d.split('\n')).toEqual([
    '0x100000       012345',
    'port           AAA..B',
    'model          AAAAAA',
    'merge_new         <>',
    '               A=vma#1 B=vma#4',
  ]);
});
