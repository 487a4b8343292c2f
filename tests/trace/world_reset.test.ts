// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TraceWorld.reset() (what a fuzz campaign uses to run every run in one
 * world): a world reset after a trace, or after being left in a dirty
 * state, runs the next trace exactly as a new world does, step by step.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrace } from '../../src/trace/parse';
import { compareExpect } from '../../src/trace/compare';
import { TraceWorld, ANON_VMA_COUNT, FILE_COUNT } from '../../src/trace/world';
import type { Trace, TraceExpect } from '../../src/trace/types';
import { fault_inject, fault_armed, set_fail_prealloc, get_fail_prealloc } from '../../src/vma_internal/fault_inject';
import { vma_registry } from '../../src/vma_internal/registry';
import { current } from '../../src/vma_internal/mm_stubs';
import { quickBe, quickEqual } from '../support/quick_expect';

const ORACLE = join(__dirname, '..', '..', 'fixtures', 'oracle');

function load(name: string): Trace {
  return parseTrace(readFileSync(join(ORACLE, name), 'utf8'), name);
}

/* Run @trace in @w; what observe() gives after every step, rows included. */
function runTrace(w: TraceWorld, trace: Trace): TraceExpect[] {
  const seen: TraceExpect[] = [];
  for (const step of trace.steps) {
    w.endStep();
    const out = w.run(step);
    seen.push(w.observe(step, out));
  }
  return seen;
}

/* Every 15th oracle trace (ext, fault and the other families), 40 in all. */
const names = readdirSync(ORACLE)
  .filter((n) => n.endsWith('.json'))
  .sort()
  .filter((_, i) => i % 15 === 0);

describe('TraceWorld.reset()', () => {
  test('a world reset after each trace runs the next one as a new world does', () => {
    expect(names.length).toBeGreaterThanOrEqual(40);
    const reused = new TraceWorld();
    let first = true;
    for (const name of names) {
      const trace = load(name);
      /* The reused world has just run the previous trace (and a new world was made since). */
      if (!first) reused.reset();
      first = false;
      const got = runTrace(reused, trace);
      const fresh = runTrace(new TraceWorld(), trace);
      expect(got.length).toBe(fresh.length);
      for (let i = 0; i < got.length; i++) {
        const diff = compareExpect(fresh[i], got[i]);
        if (diff !== null) throw new Error(`${name} step ${i}: the reset world differs: ${JSON.stringify(diff)}`);
        quickEqual(got[i], fresh[i]);
      }
      /* Both agree with the oracle too (the comparison above is not between two wrong worlds). */
      for (let i = 0; i < trace.steps.length; i++) {
        const want = trace.steps[i].expect;
        if (want) quickBe(compareExpect(want, got[i]), null);
      }
    }
    reused.dispose();
  });

  test('a reset undoes marks, switches and armed faults left behind, as a new world would', () => {
    const fresh = new TraceWorld();
    fresh.dispose();
    const w = new TraceWorld();
    runTrace(w, load(names[1]));
    /* Leave everything a trace can leave set. */
    w.anonVmas[3].rb_root.rb_root.rb_node = 1;
    w.anonVmas[2].was_cloned = true;
    w.anonVmas[5].was_unlinked = true;
    w.files[2].f_mapping.flags = 0xff;
    w.files[4].f_mapping.i_mmap_writable = 3;
    w.layout.faults.arm('vm_area_alloc', 2, 1);
    w.layout.faults.failPrealloc = true;
    w.layout.faults.maxMapCount = 5;
    w.layout.defFlags = 1n;
    w.layout.counters.total = 99;
    fault_inject('vm_area_alloc', 2, 1);
    set_fail_prealloc(true);
    w.timing = true;
    w.opMs = 12;
    const oldMm = w.mm;
    w.reset();

    const reset = w;
    expect(reset.mm).not.toBe(oldMm);
    expect(current.mm).toBe(reset.mm);
    expect(reset.mm).toEqual(fresh.mm);
    for (let i = 0; i <= ANON_VMA_COUNT; i++) {
      expect(reset.anonVmas[i].root).toBe(i === 0 ? null : reset.anonVmas[i]);
      expect(reset.anonVmas[i].rb_root).toEqual(fresh.anonVmas[i].rb_root);
      expect([reset.anonVmas[i].was_cloned, reset.anonVmas[i].was_unlinked]).toEqual([false, false]);
    }
    for (let i = 0; i <= FILE_COUNT; i++) expect(reset.files[i].f_mapping).toEqual(fresh.files[i].f_mapping);
    const l = reset.layout;
    expect([l.allocated, l.defFlags, { ...l.counters }]).toEqual([0, 0n, { total: 0, locked: 0, data: 0, exec: 0, stack: 0 }]);
    expect([l.faults.anyArmed, l.faults.failPrealloc, l.faults.maxMapCount]).toEqual([false, fresh.layout.faults.failPrealloc, fresh.layout.faults.maxMapCount]);
    expect(l.after(0)).toBeNull();
    expect(l.byId(1)).toBeUndefined();
    expect([reset.timing, reset.opMs]).toEqual([false, 0]);
    expect(fault_armed('vm_area_alloc')).toBe(false);
    expect(get_fail_prealloc()).toBe(false);
    expect(vma_registry.allocated).toBe(0);

    /* And the next trace runs as in a new world. */
    const trace = load(names[2]);
    const got = runTrace(reset, trace);
    const want = runTrace(new TraceWorld(), trace);
    quickEqual(got, want);
  });
});
