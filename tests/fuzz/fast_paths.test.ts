// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fuzzer's shortcuts check exactly what the long way checks: real
 * campaigns run with each shortcut wrapped so that the long way is taken
 * beside it on every command, asserting that they agree:
 *  - expectsAgree() says "equal" only where compareExpect() finds no
 *    difference, and "not equal" for every field changed on purpose;
 *  - the model's applyChecked() (taking over a validation trial's clone)
 *    leaves the state and predicts the expectation that apply() would.
 */

import { isDeepStrictEqual } from 'node:util';
import * as agree from '../../src/fuzz/expect_agree';
import { runFuzz, runScenarioFuzz } from '../../src/fuzz/harness';
import { VmaModel } from '../../src/fuzz/model';
import { compareExpect } from '../../src/trace/compare';
import type { TraceExpect, TraceStep } from '../../src/trace/types';

afterEach(() => {
  jest.restoreAllMocks();
});

const campaign = (seed: number): void => {
  expect(runScenarioFuzz({ runs: 100, commands: 0, seed, regressionDir: null }).failure).toBeNull();
  expect(runFuzz({ runs: 30, commands: 80, seed, regressionDir: null, allowKnownDefects: true }).failure).toBeNull();
};

/* Variants of @p e with one field changed, each of which compareExpect() must see. */
function variants(e: TraceExpect): TraceExpect[] {
  const out: TraceExpect[] = [
    { ...e, vma: e.vma === 7 ? 8 : 7 },
    { ...e, err: (e.err ?? 0) - 1 },
    { ...e, addr: (e.addr ?? 0) + 4096 },
    { ...e, state: e.state === 'SUCCESS' ? 'NOMERGE' : 'SUCCESS' },
    { ...e, map_count: (e.map_count ?? 0) + 1 },
    { ...e, warnings: (e.warnings ?? 0) + 1 },
    { ...e, freed: [...(e.freed ?? []), [99, 0]] },
    { ...e, anon: { ...(e.anon ?? {}), '8': [true, true] } },
    { ...e, need_rmap_locks: !(e.need_rmap_locks ?? false) },
    { ...e, anon_vma: e.anon_vma === 3 ? 4 : 3 },
  ];
  if (e.mm) out.push({ ...e, mm: { ...e.mm, locked_vm: e.mm.locked_vm + 1 } }, { ...e, mm: { ...e.mm, stack_vm: e.mm.stack_vm + 1 } });
  if (e.freed) out.push({ ...e, freed: e.freed.map(([id, r]) => [id, r + 1]) }, { ...e, freed: undefined });
  if (e.anon) {
    const [k, v] = Object.entries(e.anon)[0];
    out.push({ ...e, anon: { ...e.anon, [k]: [!v[0], v[1]] } }, { ...e, anon: undefined });
  }
  return out;
}

/* expectsAgree() says equal only where compareExpect() finds no difference; returns its counts. */
function watchExpectsAgree(): { calls: number; equal: number } {
  const n = { calls: 0, equal: 0 };
  const real = agree.expectsAgree;
  jest.spyOn(agree, 'expectsAgree').mockImplementation((e, a) => {
    const quick = real(e, a);
    const full = compareExpect(e, a) === null;
    if (quick) n.equal++;
    /* Sound: "equal" implies no difference; complete but for the locked sets (left to compareExpect()). */
    if (quick && !full) expect(full).toBe(true);
    if (a.locked === undefined && e.locked === undefined && quick !== full) expect(quick).toBe(full);
    /* Every third command: each field changed in turn must be seen by both. */
    if (n.calls % 3 === 0) for (const v of variants(a)) {
      const differs = compareExpect(e, v) !== null;
      /* Both ways must see the change: the quick one saying equal where the long one differs fails. */
      if (differs && real(e, v)) expect(real(e, v)).toBe(false);
    }
    n.calls++;
    return quick;
  });
  return n;
}

/* What a step left in the model, as comparable data (the tally of calls aside: a clone starts its own). */
function stateOf(m: VmaModel): unknown {
  const armed = (m.faults as unknown as { armed: Map<string, unknown> }).armed;
  return {
    segs: m.segs,
    next: m.nextVmaId,
    counters: m.counters,
    defFlags: m.defFlags,
    written: [...m.written],
    freed: m.freed,
    anon: [...m.anonMarks],
    warnings: m.warnings,
    paths: m.paths,
    armed: [...armed],
    faults: [m.faults.failPrealloc, m.faults.failNth, m.faults.preallocAttempts, m.faults.maxMapCount, m.faults.fired],
  };
}

/* applyChecked() takes over a trial exactly as apply() would run the step; returns its counts. */
function watchApplyChecked(): { calls: number; adopted: number } {
  const n = { calls: 0, adopted: 0 };
  const real = VmaModel.prototype.applyChecked;
  jest.spyOn(VmaModel.prototype, 'applyChecked').mockImplementation(function (this: VmaModel, step: TraceStep) {
    const twin = this.clone();
    const stamp = this.stamp;
    const callsBefore = new Map(this.faults.calls);
    const got = real.call(this, step);
    const want = twin.apply(step, false);
    n.calls++;
    if (this.stamp === stamp + 1 && got !== want) n.adopted++;
    /* Jest's matchers only where a quick strict comparison differs (they cost ~50 us a call, and this runs per command). */
    if (!isDeepStrictEqual(got, want)) expect(got).toEqual(want);
    const [state, twinState] = [stateOf(this), stateOf(twin)];
    if (!isDeepStrictEqual(state, twinState)) expect(state).toEqual(twinState);
    /* The tally of qualifying calls grows by what the step asked, either way. */
    for (const [p, n] of twin.faults.calls) {
      const calls = this.faults.calls.get(p);
      if (calls !== (callsBefore.get(p) ?? 0) + n) expect(calls).toBe((callsBefore.get(p) ?? 0) + n);
    }
    return got;
  });
  return n;
}

test("the fuzzer's shortcuts agree with the long way on every command of real campaigns", () => {
  const quick = watchExpectsAgree();
  const model = watchApplyChecked();
  campaign(11);
  expect(quick.calls).toBeGreaterThan(2500);
  expect(quick.equal).toBeGreaterThan(quick.calls * 0.95);
  expect(model.calls).toBe(quick.calls);
  /* The trials of mmap, munmap, copy_vma, expand_stack, mlockall and vm_munmap were taken over. */
  expect(model.adopted).toBeGreaterThan(500);
});
