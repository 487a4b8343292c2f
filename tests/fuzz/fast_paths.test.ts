// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fuzzer's shortcuts check exactly what the long way checks: real
 * campaigns run with each shortcut wrapped so that the long way is taken
 * beside it on every command, asserting that they agree:
 *  - expectsAgree() says "equal" only where compareExpect() finds no
 *    difference, and "not equal" for every field changed on purpose;
 *  - the model's applyChecked() (taking over a validation trial's clone)
 *    leaves the state and predicts the expectation that apply() would;
 *  - the fast draws of the intents (intentArbitrary()) and of the merge
 *    scenarios (mergeScenarioArbitrary()) are the composed arbitraries'
 *    draws: same values, same random stream, same shrinks;
 *  - the commands' arbitrary (mappedIntentArbitrary()) is
 *    intentArbitrary().map(): same values, shrinks and fc.commands() runs.
 */

import fc from 'fast-check';
import * as agree from '../../src/fuzz/expect_agree';
import { composedIntentArbitrary, composedIntentContext, intentArbitrary, mappedIntentArbitrary, type Intent } from '../../src/fuzz/intents';
import { runFuzz, runScenarioFuzz } from '../../src/fuzz/harness';
import { VmaModel } from '../../src/fuzz/model';
import { composedMergeScenarioArbitrary, mergeScenarioArbitrary, type MergeScenario } from '../../src/fuzz/scenario_draw';
import { compareExpect } from '../../src/trace/compare';
import type { TraceExpect, TraceStep } from '../../src/trace/types';
import { quickBe, quickEqual, quickStrictEqual } from '../support/quick_expect';

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
    if (quick) quickBe(full, true);
    if (a.locked === undefined && e.locked === undefined) quickBe(quick, full);
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
    /* This runs per command: the matchers only on a difference. */
    quickEqual(got, want);
    quickEqual(stateOf(this), stateOf(twin));
    /* The tally of qualifying calls grows by what the step asked, either way. */
    for (const [p, n] of twin.faults.calls) quickBe(this.faults.calls.get(p), (callsBefore.get(p) ?? 0) + n);
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

/* The first @n shrinks of a value, and of the first of them again (two levels of the shrink tree). */
function shrinks<T>(arb: fc.Arbitrary<T>, v: fc.Value<T>, n: number): T[] {
  const first = [...arb.shrink(v.value_, v.context).take(n)];
  const deeper = first.length ? [...arb.shrink(first[0].value_, first[0].context).take(n)] : [];
  return [...first, ...deeper].map((s) => s.value_);
}

/* A command that only carries the intent it was drawn from (for fc.commands()). */
class Probe implements fc.Command<object, unknown> {
  constructor(readonly i: Intent) {}
  check(): boolean {
    return true;
  }
  run(): void {}
  toString(): string {
    return '';
  }
}

/*
 * fc.sample() with an arbitrary that only hands @p visit the random streams
 * (and bias) fast-check gives it, @p numRuns times from @p seed.
 */
function sampleStreams(seed: number, numRuns: number, visit: (mrng: fc.Random, bias: number | undefined) => void): void {
  class Streams extends fc.Arbitrary<number> {
    generate(mrng: fc.Random, bias: number | undefined): fc.Value<number> {
      visit(mrng, bias);
      return new fc.Value(0, undefined);
    }
    canShrinkWithoutContext(value: unknown): value is number {
      return value === 0;
    }
    shrink(): fc.Stream<fc.Value<number>> {
      return fc.Stream.nil();
    }
  }
  fc.sample(new Streams(), { seed, numRuns });
}

test('the fast intent draws are the composed arbitrary\'s: values, random stream and shrinks', () => {
  const fast = intentArbitrary();
  const composed = composedIntentArbitrary();
  let compared = 0;
  sampleStreams(5, 300, (mrng, bias) => {
    const m1 = mrng.clone();
    const m2 = mrng.clone();
    for (const b of [undefined, bias]) {
      const x = fast.generate(m1, b);
      const y = composed.generate(m2, b);
      quickEqual(x.value, y.value);
      quickEqual(composedIntentContext(x.value, x.context), y.context);
      /* The stream moved on by the same draws. */
      quickBe(m1.nextInt(0, 0x7fffffff), m2.nextInt(0, 0x7fffffff));
      quickEqual(shrinks(fast, x, 40), shrinks(composed, y, 40));
      compared++;
    }
  });
  expect(compared).toBe(600);
  /* Whole command sequences, as the fuzzer draws them. */
  const seqs = (arb: fc.Arbitrary<Intent>): Intent[][] =>
    fc.sample(fc.commands([arb.map((i) => new Probe(i))], { maxCommands: 80, size: 'max' }), { seed: 9, numRuns: 20 })
      .map((cmds) => [...cmds].map((c) => (c as Probe).i));
  const a = seqs(fast);
  quickEqual(a, seqs(composed));
  expect(a.flat().length).toBeGreaterThan(200);
});

test('the mapped intent arbitrary is intentArbitrary().map(): values, random stream, shrinks and command sequences', () => {
  class Box {
    constructor(readonly i: Intent) {}
  }
  const fused = mappedIntentArbitrary((i) => new Box(i), (b) => b.i);
  const mapped = intentArbitrary().map((i) => new Box(i));
  const unbox = (vs: Box[]): Intent[] => vs.map((b) => b.i);
  let compared = 0;
  sampleStreams(3, 200, (mrng, bias) => {
    for (const b of [undefined, bias]) {
      const m1 = mrng.clone();
      const m2 = mrng.clone();
      const x = fused.generate(m1, b);
      const y = mapped.generate(m2, b);
      if (!(x.value instanceof Box)) expect(x.value).toBeInstanceOf(Box);
      quickEqual(x.value.i, y.value.i);
      quickBe(m1.nextInt(0, 0x7fffffff), m2.nextInt(0, 0x7fffffff));
      quickEqual(unbox(shrinks(fused, x, 30)), unbox(shrinks(mapped, y, 30)));
      compared++;
    }
    mrng.nextInt(0, 1);
  });
  expect(compared).toBe(400);
  expect([...fused.shrink(new Box({ op: 'split', a: 1, b: 2, c: 3, d: 4, flags: 5 }), undefined)]).toEqual([]);
  /* Whole command sequences and their first shrinks, as fc.commands() draws and shrinks them. */
  const arbs = [mappedIntentArbitrary((i) => new Probe(i), (p) => p.i), intentArbitrary().map((i) => new Probe(i))];
  const [a, b] = arbs.map((arb) => {
    const cmds = fc.commands([arb], { maxCommands: 80, size: 'max' });
    const out: { drawn: Intent[]; first: Intent[][] }[] = [];
    const cmdOf = (c: fc.Command<object, unknown>): Intent => (c as unknown as { cmd: Probe }).cmd.i;
    /* An arbitrary that draws a sequence from the stream fast-check gives it, runs it and shrinks it once. */
    class Draw extends fc.Arbitrary<number> {
      generate(mrng: fc.Random): fc.Value<number> {
        const v = cmds.generate(mrng, undefined);
        for (const c of v.value_) if (c.check({})) c.run({}, null);
        const first = [...cmds.shrink(v.value_, v.context).take(25)].map((s) => [...s.value_].map(cmdOf));
        out.push({ drawn: [...v.value_].map(cmdOf), first });
        return new fc.Value(0, undefined);
      }
      canShrinkWithoutContext(value: unknown): value is number {
        return value === 0;
      }
      shrink(): fc.Stream<fc.Value<number>> {
        return fc.Stream.nil();
      }
    }
    fc.sample(new Draw(), { seed: 17, numRuns: 6 });
    return out;
  });
  quickEqual(a, b);
  expect(a.flatMap((r) => r.drawn).length).toBeGreaterThan(100);
  expect(a.flatMap((r) => r.first).length).toBeGreaterThan(50);
});

test("the fast merge-scenario draws are the composed arbitrary's: values, random stream and shrinks, with and without bias", () => {
  const fast = mergeScenarioArbitrary();
  const composed = composedMergeScenarioArbitrary();
  let compared = 0;
  let withInject = 0;
  let perturbed = 0;
  sampleStreams(7, 150, (mrng) => {
    /* No bias, and the bias factors of a campaign's runs (2 from the first run, 3 from the 9th, ...). */
    for (const b of [undefined, 2, 3, 4, 5, 6]) {
      const m1 = mrng.clone();
      const m2 = mrng.clone();
      const x = fast.generate(m1, b);
      const y = composed.generate(m2, b);
      /* Strictly: an inject record without prototype stays one. */
      quickStrictEqual(x.value, y.value);
      /* The stream moved on by the same draws. */
      quickBe(m1.nextInt(0, 0x7fffffff), m2.nextInt(0, 0x7fffffff));
      if (compared % 7 === 0) quickStrictEqual(shrinks(fast, x, 20), shrinks(composed, y, 20));
      if (x.value.inject) withInject++;
      if (x.value.vmas.some((v) => v.pages !== 2 || v.pgoffShift !== 0)) perturbed++;
      compared++;
    }
    mrng.nextInt(0, 1);
  });
  expect(compared).toBe(900);
  expect(withInject).toBeGreaterThan(100);
  expect(perturbed).toBeGreaterThan(100);
  /* Whole campaigns' worth of draws as the runner makes them (bias from the run's index). */
  const runs = (arb: fc.Arbitrary<MergeScenario>): MergeScenario[] => {
    const out: MergeScenario[] = [];
    fc.assert(
      fc.property(arb, (sc) => {
        out.push(sc);
      }),
      { seed: 13, numRuns: 300 },
    );
    return out;
  };
  const a = runs(fast);
  quickStrictEqual(a, runs(composed));
  expect(a.length).toBe(300);
});
