// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a merge scenario is (scenarios.ts builds and runs them) and how
 * fast-check draws one: the arbitrary composed of fc.record(), fc.oneof(),
 * fc.array() and fc.nat() is the definition; mergeScenarioArbitrary() draws
 * the same scenarios straight from the random stream.
 */

import fc from 'fast-check';
import { VM_ACCOUNT, VM_EXEC, VM_IO, VM_MAYEXEC, VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_WRITE } from '../vma_internal/constants';
import { smallInt } from './intents';
import { VM_DONTDUMP, VM_UFFD_MISSING } from './model/validate';

/** Read and write (and may): the flags a scenario's operations fall back on. */
export const F0 = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
/* What brk gives its VMAs (with no flags from the caller). */
const HEAP = F0 | VM_MAYEXEC | VM_ACCOUNT;
/** The flag words a scenario's VMAs draw from (VmaSpec.flags indexes them). */
export const FLAGS: readonly bigint[] = [
  F0,
  F0 | VM_EXEC,
  F0 | VM_IO,
  VM_READ | VM_MAYREAD | VM_MAYWRITE,
  F0 | VM_ACCOUNT,
  F0 | VM_UFFD_MISSING,
  F0 | VM_DONTDUMP,
  HEAP,
];
/* Operations a scenario ends with (index: MergeScenario.op). */
const OP_COUNT = 15;

/** One of prev / middle / next: size, attributes (indexes into the tables), pgoff offset. */
export interface VmaSpec {
  pages: number;
  flags: number;
  pgoffShift: number;
  anon: number;
  chain: number;
  ops: number;
  file: number;
}

/** One merge scenario: the layout around one merge decision, and the operation to end with. */
export interface MergeScenario {
  /** Which of prev / middle / next exist. */
  readonly present: [boolean, boolean, boolean];
  /** Gaps (pages) before middle and after it. */
  readonly gaps: [number, number];
  readonly vmas: [VmaSpec, VmaSpec, VmaSpec];
  readonly op: number;
  readonly x: number;
  readonly y: number;
  readonly failPrealloc: boolean;
  /**
   * A failure armed for the final operation (never with failPrealloc), or
   * null: the `pick`th of the points the operation reaches, failing its
   * `after`th call (both taken modulo what it reaches).
   */
  readonly inject: { readonly pick: number; readonly after: number } | null;
}

/* A value three times out of four, otherwise anything. */
const often = (v: boolean): fc.Arbitrary<boolean> =>
  fc.oneof({ arbitrary: fc.constant(v), weight: 2 }, { arbitrary: fc.boolean(), weight: 1 });
const gap = fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.integer({ min: 1, max: 2 }), weight: 1 });

/*
 * The three VMAs start out alike (so that everything could merge) and then
 * get a few differences, each in one attribute of one of them: merge
 * decisions hinge on exactly such differences.
 */
const perturbation = fc.record({
  target: fc.nat({ max: 2 }),
  /* 0 anon_vma, 1 chain length, 2 vm_ops, 3 flags, 4 pgoff, 5 file, 6 size */
  kind: fc.nat({ max: 6 }),
  value: fc.nat({ max: 2 }),
});

/* anon_vma ids of prev, middle and next (0: none) the layouts start from. */
const ANON_PATTERNS: readonly [number, number, number][] = [
  [0, 0, 0],
  [1, 0, 2],
  [1, 0, 0],
  [0, 0, 1],
  [0, 1, 0],
  [1, 1, 1],
  [1, 0, 1],
  [2, 1, 0],
  /* middle brings an anon_vma its neighbour lacks: a merge must clone it */
  [0, 1, 1],
  [0, 1, 2],
  [1, 2, 0],
];

function specs(
  base: { flags: number; file: number; chain: number; ops: number; anon: number },
  perturb: readonly { target: number; kind: number; value: number }[],
): [VmaSpec, VmaSpec, VmaSpec] {
  const anon = ANON_PATTERNS[base.anon % ANON_PATTERNS.length];
  const one = (k: number): VmaSpec => ({
    pages: 2,
    flags: smallInt(base.flags),
    pgoffShift: 0,
    anon: anon[k],
    chain: smallInt(base.chain),
    ops: smallInt(base.ops),
    file: smallInt(base.file),
  });
  const out: [VmaSpec, VmaSpec, VmaSpec] = [one(0), one(1), one(2)];
  for (const p of perturb) {
    const v = out[p.target];
    const value = smallInt(p.value);
    switch (p.kind) {
      case 0:
        v.anon = value + 1;
        break;
      case 1:
        v.chain = value;
        break;
      case 2:
        v.ops = value;
        break;
      case 3:
        v.flags = (smallInt(base.flags) + 1 + value) % FLAGS.length;
        break;
      case 4:
        v.pgoffShift = value - 1;
        break;
      case 5:
        v.file = value;
        break;
      default:
        v.pages = 1 + value;
    }
  }
  return out;
}

/**
 * The merge scenarios as fast-check composes them: the definition of what
 * is drawn and how it shrinks; mergeScenarioArbitrary() draws the same
 * values faster.
 */
export function composedMergeScenarioArbitrary(): fc.Arbitrary<MergeScenario> {
  return fc
    .record({
      present: fc.tuple(often(true), often(true), often(true)),
      gaps: fc.tuple(gap, gap),
      base: fc.record({
        flags: fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.nat({ max: FLAGS.length - 1 }), weight: 1 }),
        file: fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.constant(1), weight: 1 }),
        chain: fc.oneof({ arbitrary: fc.constant(1), weight: 2 }, { arbitrary: fc.nat({ max: 2 }), weight: 1 }),
        ops: fc.nat({ max: 1 }),
        anon: fc.nat({ max: ANON_PATTERNS.length - 1 }),
      }),
      perturb: fc.array(perturbation, { maxLength: 3 }),
      op: fc.nat({ max: OP_COUNT - 1 }),
      x: fc.nat({ max: 7 }),
      y: fc.nat({ max: 7 }),
      failPrealloc: fc.oneof({ arbitrary: fc.constant(false), weight: 5 }, { arbitrary: fc.constant(true), weight: 1 }),
      inject: fc.oneof(
        { arbitrary: fc.constant(null), weight: 3 },
        { arbitrary: fc.record({ pick: fc.nat({ max: 7 }), after: fc.nat({ max: 3 }) }), weight: 1 },
      ),
    })
    /* Field by field (a rest pattern over record()'s objects, some without a prototype, was a hot spot). */
    .map(
      (r): MergeScenario => ({
        present: r.present,
        gaps: [smallInt(r.gaps[0]), smallInt(r.gaps[1])],
        op: r.op,
        x: smallInt(r.x),
        y: smallInt(r.y),
        failPrealloc: r.failPrealloc,
        inject: r.failPrealloc ? null : r.inject,
        vmas: specs(r.base, r.perturb),
      }),
    );
}

/* fast-check 4's fc.nat({ max }) draw (IntegerArbitrary.generate()), bias included. */
class NatDraw {
  /* The two ranges a biased draw picks from: near 0 and near max. */
  private readonly lowMax: number;
  private readonly highMin: number;

  constructor(private readonly max: number) {
    const logGap = Math.floor(Math.log(max) / Math.log(2));
    this.lowMax = logGap;
    this.highMin = max - logGap;
  }

  draw(mrng: fc.Random, bias: number | undefined): number {
    if (bias === undefined || mrng.nextInt(1, bias) !== 1) return mrng.nextInt(0, this.max);
    /* One range in three near max, two near 0. */
    return mrng.nextInt(-2, 0) < 0 ? mrng.nextInt(0, this.lowMax) : mrng.nextInt(this.highMin, this.max);
  }
}

const NAT_1 = new NatDraw(1);
const NAT_2 = new NatDraw(2);
const NAT_3 = new NatDraw(3);
const NAT_6 = new NatDraw(6);
const NAT_7 = new NatDraw(7);
const NAT_FLAGS = new NatDraw(FLAGS.length - 1);
const NAT_ANON = new NatDraw(ANON_PATTERNS.length - 1);
const NAT_OP = new NatDraw(OP_COUNT - 1);
/* fc.integer({ min: 1, max: 2 }): biased or not, 1 or 2 with one draw past the bias's (its two ranges are the two values). */
const oneOrTwo = (mrng: fc.Random, bias: number | undefined): number => {
  if (bias === undefined || mrng.nextInt(1, bias) !== 1) return mrng.nextInt(1, 2);
  return mrng.nextInt(-2, 0) < 0 ? mrng.nextInt(1, 1) : mrng.nextInt(2, 2);
};
/* fc.array(perturbation, { maxLength: 3 }): its largest length, and the largest of a biased length. */
const PERTURB_MAX = 3;
const PERTURB_BIASED_MAX = Math.floor(Math.log(PERTURB_MAX) / Math.log(2));

/* A fast draw's context: what the composed arbitrary needs to draw the same scenario again, if it is ever shrunk. */
class LazyScenarioContext {
  constructor(
    readonly mrng: fc.Random,
    readonly bias: number | undefined,
  ) {}
}

/*
 * composedMergeScenarioArbitrary(), drawn straight from the random stream:
 * the same calls of nextInt() in the same order as the composed arbitrary
 * makes with the same bias (fc.oneof()'s weighted choice, fc.nat()'s and
 * fc.array()'s bias draws, the prototype boolean of each fc.record()),
 * giving the same scenario without the ~60 values and contexts the
 * composed one builds.  It keeps a copy of the stream as it was: shrinking
 * draws the composed value again from it and lets the composed arbitrary
 * shrink, so shrinks are the same too (tests/fuzz/fast_paths.test.ts
 * compares draws, stream positions and shrinks).
 */
class MergeScenarioArbitrary extends fc.Arbitrary<MergeScenario> {
  private readonly composed = composedMergeScenarioArbitrary();

  generate(mrng: fc.Random, bias: number | undefined): fc.Value<MergeScenario> {
    const start = mrng.clone();
    /* often(true): constant 2 in 3, else a boolean. */
    const often = (): boolean => mrng.nextInt(0, 2) < 2 || mrng.nextInt(0, 1) === 1;
    const present: [boolean, boolean, boolean] = [often(), often(), often()];
    const gap = (): number => (mrng.nextInt(0, 2) < 2 ? 0 : oneOrTwo(mrng, bias));
    const gaps: [number, number] = [gap(), gap()];
    const base = {
      flags: mrng.nextInt(0, 3) < 3 ? 0 : NAT_FLAGS.draw(mrng, bias),
      file: mrng.nextInt(0, 3) < 3 ? 0 : 1,
      chain: mrng.nextInt(0, 2) < 2 ? 1 : NAT_2.draw(mrng, bias),
      ops: NAT_1.draw(mrng, bias),
      anon: NAT_ANON.draw(mrng, bias),
    };
    mrng.nextInt(0, 1); /* base's prototype */
    let length: number;
    let itemBias: number | undefined;
    if (bias === undefined || mrng.nextInt(1, bias) !== 1) {
      length = mrng.nextInt(0, PERTURB_MAX);
    } else if (mrng.nextInt(1, bias) !== 1) {
      length = mrng.nextInt(0, PERTURB_MAX);
      itemBias = bias;
    } else {
      length = mrng.nextInt(0, PERTURB_BIASED_MAX);
      itemBias = bias;
    }
    const perturb: { target: number; kind: number; value: number }[] = [];
    for (let k = 0; k < length; k++) {
      perturb.push({ target: NAT_2.draw(mrng, itemBias), kind: NAT_6.draw(mrng, itemBias), value: NAT_2.draw(mrng, itemBias) });
      mrng.nextInt(0, 1); /* the item's prototype */
    }
    const op = NAT_OP.draw(mrng, bias);
    const x = NAT_7.draw(mrng, bias);
    const y = NAT_7.draw(mrng, bias);
    const failPrealloc = mrng.nextInt(0, 5) === 5;
    let inject: { pick: number; after: number } | null = null;
    if (mrng.nextInt(0, 3) === 3) {
      const pick = NAT_7.draw(mrng, bias);
      const after = NAT_3.draw(mrng, bias);
      /* record() makes an object without prototype when its boolean says so (kept as such: a report prints it). */
      const obj = (mrng.nextInt(0, 1) === 1 ? Object.create(null) : {}) as { pick: number; after: number };
      obj.pick = pick;
      obj.after = after;
      inject = obj;
    }
    mrng.nextInt(0, 1); /* the scenario record's prototype */
    const sc: MergeScenario = {
      present,
      gaps: [smallInt(gaps[0]), smallInt(gaps[1])],
      op,
      x: smallInt(x),
      y: smallInt(y),
      failPrealloc,
      inject: failPrealloc ? null : inject,
      vmas: specs(base, perturb),
    };
    return new fc.Value(sc, new LazyScenarioContext(start, bias));
  }

  canShrinkWithoutContext(value: unknown): value is MergeScenario {
    return this.composed.canShrinkWithoutContext(value);
  }

  shrink(value: MergeScenario, context: unknown): fc.Stream<fc.Value<MergeScenario>> {
    if (!(context instanceof LazyScenarioContext)) return this.composed.shrink(value, context);
    const again = this.composed.generate(context.mrng.clone(), context.bias);
    return this.composed.shrink(again.value_, again.context);
  }
}

/** The merge scenarios fast-check draws (see composedMergeScenarioArbitrary() for what they are). */
export function mergeScenarioArbitrary(): fc.Arbitrary<MergeScenario> {
  return new MergeScenarioArbitrary();
}
