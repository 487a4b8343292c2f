// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fuzzer finds the known v6.15 defect on the mmap / anon_vma_clone path
 * (src/known_defects.ts) by itself, shrinks it to a minimal reproducer and
 * recognises it, so that the campaign stays green; any other failure still
 * fails it.
 *
 * The port reaches the defect faithfully; the maple-tree stand-in's checks
 * (maple_state_check.ts) make it visible: __mas_set_range()'s MAS_WARN_ON,
 * as the real maple tree checks it, recorded as a maple-tree check.
 */

import * as vma from '../../src/mm/vma';
import { runFuzz } from '../../src/fuzz/harness';
import { KNOWN_DEFECTS } from '../../src/known_defects';

const SEED = 20261121;

afterEach(() => jest.restoreAllMocks());

test('the command-sequence fuzzer reports the v6.15 mmap/anon_vma_clone defect as known, with a minimal reproducer', () => {
  const r = runFuzz({ runs: 300, commands: 80, seed: SEED, regressionDir: null, allowKnownDefects: true });
  expect(r.failure?.message ?? null).toBeNull();
  expect(r.known).toHaveLength(1);
  const f = r.known[0];
  expect(f.known?.id).toBe(KNOWN_DEFECTS[0].id);
  expect(f.message).toMatch(/^known v6\.15 defect v6\.15-mmap-expand-clone-iterator: /);
  /* Minimal: two neighbours (one with an anon_vma), the armed clone, the mmap filling the hole. */
  const ops = f.steps.map((s) => s.op);
  expect(ops[ops.length - 1]).toBe('mmap');
  expect(ops).toContain('inject');
  expect(f.steps.length).toBeLessThanOrEqual(7);
  expect(f.regressionFile).toBeNull();
  /* The campaign went on after the finding. */
  expect(r.stats.runs).toBeGreaterThanOrEqual(300);
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
