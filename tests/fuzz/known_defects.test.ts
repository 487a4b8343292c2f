// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fuzzer finds the known v6.15 defects (src/known_defects.ts) by
 * itself, shrinks each to a minimal reproducer and recognises it, so that
 * the campaign stays green; any other failure still fails it.
 *
 * The port reaches the defects faithfully; the maple-tree stand-in's checks
 * (maple_state_check.ts) make them visible: __mas_set_range()'s MAS_WARN_ON
 * on the mmap / anon_vma_clone path, a walk from a mispositioned state (and
 * the kernel's own VM_WARN_ON_VMG) when mlockall walks on after
 * commit_merge()'s preallocation failed.
 */

import * as vma from '../../src/mm/vma';
import { runFuzz } from '../../src/fuzz/harness';
import { knownDefect } from '../../src/known_defects';

const SEED = 20261121;

afterEach(() => jest.restoreAllMocks());

test('the command-sequence fuzzer reports the v6.15 commit_merge() OOM iterator defect as known, through mlockall, with a minimal reproducer', () => {
  const r = runFuzz({ runs: 200, commands: 80, seed: SEED, regressionDir: null, allowKnownDefects: true });
  expect(r.failure?.message ?? null).toBeNull();
  const f = r.known.find((k) => k.known?.id === 'v6.15-commit-merge-oom-iterator');
  expect(f).toBeDefined();
  if (!f) return;
  expect(f.message).toMatch(/^known v6\.15 defect v6\.15-commit-merge-oom-iterator, fixed upstream by 0cf4b1687a187ba9247c71721d8b064634eda1f7 \("mm\/vma: reset VMA iterator on commit_merge\(\) OOM failure"/);
  /* Two VMAs that merge once locked, the failing preallocation, the walk. */
  const ops = f.steps.map((s) => s.op);
  expect(ops[ops.length - 1]).toBe('mlockall');
  expect(ops).toContain('fail_prealloc');
  expect(f.steps.length).toBeLessThanOrEqual(6);
  /* What the port records there: the walk from the mispositioned state, and the kernel's own warning. */
  expect(f.message).toContain('maple-state misuse in mas_find (vma_next <- apply_mlockall_flags <- sys_mlockall)');
  expect(f.message).toContain('VM_WARN_ON_VMG(prev && start <= prev->vm_start) in vma_merge_existing_range');
  expect(f.regressionFile).toBeNull();
  /* The campaign went on after the finding. */
  expect(r.stats.runs).toBeGreaterThanOrEqual(200);
});

test('the command-sequence fuzzer reports the v6.15 mmap/anon_vma_clone defect as known, with a minimal reproducer', () => {
  /* A seed whose campaign meets it early (it needs an armed clone and a hole between two mergeable VMAs). */
  const r = runFuzz({ runs: 150, commands: 80, seed: 1089, regressionDir: null, allowKnownDefects: true });
  expect(r.failure?.message ?? null).toBeNull();
  const f = r.known.find((k) => k.known?.id === 'v6.15-mmap-expand-clone-iterator');
  expect(f).toBeDefined();
  if (!f) return;
  expect(f.known).toBe(knownDefect('v6.15-mmap-expand-clone-iterator'));
  expect(f.message).toMatch(/^known v6\.15 defect v6\.15-mmap-expand-clone-iterator \(not fixed upstream\): /);
  /* Minimal: two neighbours (one with an anon_vma), the armed clone, the mmap filling the hole. */
  const ops = f.steps.map((s) => s.op);
  expect(ops[ops.length - 1]).toBe('mmap');
  expect(ops).toContain('inject');
  expect(f.steps.length).toBeLessThanOrEqual(7);
  expect(f.regressionFile).toBeNull();
  expect(r.stats.runs).toBeGreaterThanOrEqual(150);
});

test('without the probe, commands reaching the defect are held back and the campaign is clean', () => {
  const r = runFuzz({ runs: 100, commands: 80, seed: SEED, regressionDir: null });
  expect(r.failure?.message ?? null).toBeNull();
  expect(r.known).toEqual([]);
  expect(r.stats.defectsReached).toBe(0);
});

test('any other failure on the same path still fails the campaign', () => {
  /* A planted bug: copy_vma() reports need_rmap_locks the wrong way round. */
  const real = vma.copy_vma;
  jest.spyOn(vma, 'copy_vma').mockImplementation((vmap, addr, len, pgoff, need) => {
    const r = real(vmap, addr, len, pgoff, need);
    if (r) need.value = !need.value;
    return r;
  });
  const r = runFuzz({ runs: 100, commands: 80, seed: SEED, regressionDir: null, allowKnownDefects: true });
  expect(r.failure?.known ?? null).toBeNull();
  expect(r.failure?.message).toContain('need_rmap_locks');
});
