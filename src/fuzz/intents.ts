// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the fuzzer generates: an "intent" per command, a few small numbers
 * that say what to do in terms of the current layout (which VMA, which end
 * of it, how far, which flags).  An intent is resolved against the model into
 * a concrete vma-trace/1 step just before it runs, so a shrunk sequence of
 * intents still yields valid steps; steps that break their caller's
 * preconditions are discarded (the model's validate()).
 *
 * The choices lean towards what makes merges interesting: ranges next to
 * existing VMAs, page offsets that continue a neighbour's, a neighbour's
 * flags, shared anon_vmas.  The operations beyond the fifteen merge-era ones
 * (brk, the gap search, stacks, the vma_modify family, queries, vm_munmap,
 * fault injection) are resolved in intents_ext.ts.
 */

import fc from 'fast-check';
import {
  PAGE_SIZE,
  VM_ACCOUNT,
  VM_DONTEXPAND,
  VM_EXEC,
  VM_GROWSDOWN,
  VM_IO,
  VM_LOCKED,
  VM_MAYREAD,
  VM_MAYWRITE,
  VM_MIXEDMAP,
  VM_PFNMAP,
  VM_READ,
  VM_SEALED,
  VM_SHARED,
  VM_WRITE,
} from '../vma_internal/constants';
import type { AnonId, ChainLength, FileId, TraceOpName, TraceStep, VmOpsKind } from '../trace/types';
import type { Seg, ValidateOptions, VmaModel } from './model';
import { STACK_GUARD_GAP } from './model/growth';
import { resolveExt, type Window } from './intents_ext';

/** Start of the address window the fuzzer works in (as in the oracle traces). */
export const FUZZ_BASE = 0x100000;
/** Pages in the window. */
export const FUZZ_PAGES = 64;

const RW = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;

/** Flag words the fuzzer uses (index 0 is the common one, which shrinking prefers). */
export const FLAG_PALETTE: readonly bigint[] = [
  RW,
  VM_READ | VM_MAYREAD | VM_MAYWRITE,
  RW | VM_EXEC,
  RW | VM_ACCOUNT,
  RW | VM_LOCKED,
  RW | VM_SHARED,
  RW | VM_SEALED,
  RW | VM_IO,
  RW | VM_DONTEXPAND,
  RW | VM_PFNMAP,
  RW | VM_MIXEDMAP,
  RW | VM_GROWSDOWN,
  VM_READ | VM_EXEC | VM_MAYREAD,
  RW | VM_GROWSDOWN | VM_LOCKED,
];

/** The operations, with how often each is drawn. */
export const OP_WEIGHTS: readonly [TraceOpName, number][] = [
  ['alloc_and_link', 14],
  ['merge_new', 10],
  ['merge_existing', 9],
  ['modify_flags', 8],
  ['mmap', 8],
  ['munmap', 6],
  ['split', 5],
  ['set_anon', 6],
  ['expand', 4],
  ['shrink', 4],
  ['copy_vma', 4],
  ['set_file', 3],
  ['set_ops', 3],
  ['merge_extend', 2],
  ['fail_prealloc', 2],
  ['brk', 4],
  ['vm_unmapped_area', 3],
  ['expand_stack', 4],
  ['modify_flags_uffd', 4],
  ['modify_name', 3],
  ['modify_policy', 3],
  ['find_mergeable_anon_vma', 2],
  ['vm_munmap', 3],
  ['take_all_locks', 1],
  ['inject', 4],
  ['set_max_map_count', 2],
  ['mlockall', 4],
];

export interface Intent {
  readonly op: TraceOpName;
  /** Generic choices, interpreted per operation; shrinking drives them to 0. */
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly flags: number;
}

/**
 * The intents as fast-check composes them: what fc.record() over the six
 * fields builds (fast-check 4: a tuple of the fields' arbitraries plus one
 * boolean, which picks a null prototype for the object), with a plain
 * mapper instead of record's generic one.  This is the definition of what
 * is drawn and how it shrinks; intentArbitrary() draws the same values
 * faster.
 */
export function composedIntentArbitrary(): fc.Arbitrary<Intent> {
  const small = fc.nat({ max: 255 });
  return fc
    .tuple(
      fc.oneof(...OP_WEIGHTS.map(([op, weight]) => ({ arbitrary: fc.constant(op), weight }))),
      small,
      small,
      small,
      small,
      fc.nat({ max: FLAG_PALETTE.length - 1 }),
      /* record()'s prototype choice: drawn to keep the same random stream, not used. */
      fc.boolean(),
    )
    .map(([op, a, b, c, d, flags]): Intent => ({ op, a, b, c, d, flags }));
}

/**
 * @p v (a small integer drawn by fast-check) as V8 keeps small integers
 * (a "Smi"): the random stream's arithmetic hands its draws back as heap
 * numbers, and a single heap number stored into a field turns that field
 * into a boxed double for every object of its shape (steps, the model's
 * segments, the port's VMAs, the tree's entries), each of which then
 * allocates a box per number field.  Exact for the values it is given
 * (naturals far below 2^31).
 */
export function smallInt(v: number): number {
  return v | 0;
}

const OP_TOTAL_WEIGHT = OP_WEIGHTS.reduce((n, [, w]) => n + w, 0);
/* For each draw of the weighted choice, the index of the operation it selects. */
const OP_BY_DRAW: readonly number[] = OP_WEIGHTS.flatMap(([, w], k) => new Array<number>(w).fill(k));

/* What a fast draw keeps to rebuild composedIntentArbitrary()'s context if the value is ever shrunk. */
class LazyIntentContext {
  constructor(
    readonly opIndex: number,
    readonly proto: number,
  ) {}
}
/* The contexts, one per operation and prototype choice (they never change: shared by every draw). */
const LAZY_CONTEXTS: readonly (readonly LazyIntentContext[])[] = OP_WEIGHTS.map((_, k) => [new LazyIntentContext(k, 0), new LazyIntentContext(k, 1)]);

/*
 * composedIntentArbitrary(), drawing without bias (as fc.commands() draws
 * its commands) straight from the random stream: the same calls of
 * nextInt() in the same order as the composed arbitrary makes (the
 * weighted choice at depth 0, the five naturals, the boolean), the same
 * Intent, and a small context instead of the ~15 values and contexts the
 * composed one builds per command.  Shrinking rebuilds the composed
 * context and lets the composed arbitrary shrink, so shrinks are the same
 * too (tests/fuzz/fast_paths.test.ts compares draws and shrinks).  With a
 * bias, the composed arbitrary draws.
 *
 * mapped() gives what `.map(wrap)` over it gives (the same values, the
 * same shrinks), without map()'s value and context per draw: the
 * fuzzer's commands are drawn so (see harness.ts).
 */
class IntentArbitrary extends fc.Arbitrary<Intent> {
  private readonly composed = composedIntentArbitrary();

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<Intent> {
    if (biasFactor !== undefined) return this.composed.generate(mrng, biasFactor);
    return this.draw(mrng, (i) => i);
  }

  canShrinkWithoutContext(value: unknown): value is Intent {
    return this.composed.canShrinkWithoutContext(value);
  }

  shrink(value: Intent, context: unknown): fc.Stream<fc.Value<Intent>> {
    return this.composed.shrink(value, composedIntentContext(value, context));
  }

  /* One unbiased draw, its intent handed to @p wrap. */
  private draw<T>(mrng: fc.Random, wrap: (i: Intent) => T): fc.Value<T> {
    const opIndex = OP_BY_DRAW[mrng.nextInt(0, OP_TOTAL_WEIGHT - 1)];
    const a = smallInt(mrng.nextInt(0, 255));
    const b = smallInt(mrng.nextInt(0, 255));
    const c = smallInt(mrng.nextInt(0, 255));
    const d = smallInt(mrng.nextInt(0, 255));
    const flags = smallInt(mrng.nextInt(0, FLAG_PALETTE.length - 1));
    const proto = mrng.nextInt(0, 1);
    const intent: Intent = { op: OP_WEIGHTS[opIndex][0], a, b, c, d, flags };
    return new fc.Value(wrap(intent), LAZY_CONTEXTS[opIndex][proto]);
  }

  /** This arbitrary's .map(wrap), for wrappers that keep their intent (@p unwrap gives it back). */
  mapped<T>(wrap: (i: Intent) => T, unwrap: (t: T) => Intent): fc.Arbitrary<T> {
    return new MappedIntentArbitrary(this, wrap, unwrap);
  }

  /** Shrinks of @p value (in @p context), each wrapped. */
  shrinkWrapped<T>(value: Intent, context: unknown, wrap: (i: Intent) => T): fc.Stream<fc.Value<T>> {
    return this.shrink(value, context).map((v) => new fc.Value(wrap(v.value_), v.context));
  }

  /** A draw, wrapped (composed with a bias, as generate()). */
  generateWrapped<T>(mrng: fc.Random, biasFactor: number | undefined, wrap: (i: Intent) => T): fc.Value<T> {
    if (biasFactor === undefined) return this.draw(mrng, wrap);
    const v = this.composed.generate(mrng, biasFactor);
    return new fc.Value(wrap(v.value_), v.context);
  }
}

/*
 * IntentArbitrary.map(wrap) as one arbitrary: a wrapped value's context is
 * the intent's own (its intent is read back from the wrapper), so a shrink
 * gives the intents map() would give, wrapped alike.
 */
class MappedIntentArbitrary<T> extends fc.Arbitrary<T> {
  constructor(
    private readonly intents: IntentArbitrary,
    private readonly wrap: (i: Intent) => T,
    private readonly unwrap: (t: T) => Intent,
  ) {
    super();
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<T> {
    return this.intents.generateWrapped(mrng, biasFactor, this.wrap);
  }

  /* As map() without an unmapper: nothing to shrink without a context. */
  canShrinkWithoutContext(value: unknown): value is T {
    return false;
  }

  shrink(value: T, context: unknown): fc.Stream<fc.Value<T>> {
    /* As map(): without a context (never the case in a run), nothing. */
    if (context === undefined) return fc.Stream.nil();
    return this.intents.shrinkWrapped(this.unwrap(value), context, this.wrap);
  }
}

/**
 * The context composedIntentArbitrary() gives a value it draws without
 * bias, for a fast draw's @p context (any other context is returned as it is).
 */
export function composedIntentContext(i: Intent, context: unknown): unknown {
  if (!(context instanceof LazyIntentContext)) return context;
  const k = context;
  return {
    originalValue: [i.op, i.a, i.b, i.c, i.d, i.flags, k.proto === 1],
    originalContext: [
      /* fc.oneof(): the arm chosen; fc.constant()'s own context is its index, 0. */
      { selectedIndex: k.opIndex, originalBias: undefined, originalContext: 0, clonedMrngForFallbackFirst: null },
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      /* fc.boolean(): an integer mapped to a boolean. */
      { originalValue: k.proto, originalContext: undefined },
    ],
  };
}

/** The intents fast-check draws (see composedIntentArbitrary() for what they are). */
export function intentArbitrary(): fc.Arbitrary<Intent> {
  return new IntentArbitrary();
}

/**
 * intentArbitrary().map(wrap): the same values and shrinks, without a
 * value and a context per draw for the map; @p unwrap gives a wrapper's
 * intent back.
 */
export function mappedIntentArbitrary<T>(wrap: (i: Intent) => T, unwrap: (t: T) => Intent): fc.Arbitrary<T> {
  return new IntentArbitrary().mapped(wrap, unwrap);
}

const P = PAGE_SIZE;
const pageAddr = (n: number): number => FUZZ_BASE + (n % FUZZ_PAGES) * P;
const WINDOW_END = FUZZ_BASE + FUZZ_PAGES * P;
/** Where stacks go: a guard gap and four pages above the window, so that expand_stack can reach its guard gap's edge. */
export const STACK_AREA = WINDOW_END + STACK_GUARD_GAP + 4 * P;
const WINDOW: Window = { base: FUZZ_BASE, end: WINDOW_END, stackArea: STACK_AREA };

/* The free gap a page falls in (or the one after the VMA it falls in). */
function gapAt(model: VmaModel, addr: number): [number, number] | null {
  let at = addr;
  const inside = model.containing(at);
  if (inside) at = inside.end;
  if (at >= WINDOW_END) return null;
  const prev = model.before(at + 1);
  const next = model.after(at);
  const start = Math.max(FUZZ_BASE, prev && prev.end <= at ? prev.end : at);
  const end = Math.min(WINDOW_END, next ? next.start : WINDOW_END);
  return end > start ? [start, end] : null;
}

function pickVma(model: VmaModel, n: number): Seg | null {
  const segs = model.segs;
  return segs.length ? segs[n % segs.length] : null;
}

const naturalPgoff = (addr: number): number => addr / P;
const vmaPages = (s: Seg): number => (s.end - s.start) / P;

/** Choose flags: mostly the palette entry, sometimes a neighbour's own. */
function flagsFor(i: Intent, neighbour: Seg | null): bigint {
  if (neighbour && i.d % 3 !== 0) return neighbour.flags;
  return FLAG_PALETTE[i.flags % FLAG_PALETTE.length];
}

/** A page offset: the natural one, or one continuing a neighbour's. */
function pgoffFor(i: Intent, start: number, end: number, prev: Seg | null, next: Seg | null): number {
  switch (i.c % 6) {
    case 1:
      if (prev) return prev.pgoff + vmaPages(prev) + (prev.end === start ? 0 : (start - prev.end) / P);
      break;
    case 2:
      if (next) return next.pgoff - (end - start) / P - (next.start - end) / P;
      break;
    case 3:
      return naturalPgoff(start) + 0x40 + (i.c % 7);
  }
  /* Usually the natural one, which keeps neighbours contiguous. */
  return naturalPgoff(start);
}

/** Turn an intent into a concrete step for the model's current state, or null. */
export function resolveIntent(i: Intent, model: VmaModel, opts?: ValidateOptions): TraceStep | null {
  const step = resolve(i, model);
  if (step === null || model.validate(step, opts) !== null) return null;
  return step;
}

function resolve(i: Intent, model: VmaModel): TraceStep | null {
  switch (i.op) {
    case 'alloc_and_link': {
      const gap = gapAt(model, pageAddr(i.a));
      if (!gap) return null;
      const avail = (gap[1] - gap[0]) / P;
      const len = 1 + (i.b % Math.min(avail, 6));
      /* Start at the gap's start (next to a VMA) or somewhere inside it. */
      const off = i.c % 2 === 0 ? 0 : i.c % (avail - len + 1);
      const start = gap[0] + off * P;
      const end = start + len * P;
      const prev = model.before(start);
      const next = model.after(end);
      return { op: 'alloc_and_link', start, end, pgoff: pgoffFor(i, start, end, prev, next), flags: flagsFor(i, prev) };
    }
    case 'merge_new': {
      const gap = gapAt(model, pageAddr(i.a));
      if (!gap) return null;
      const avail = (gap[1] - gap[0]) / P;
      /* Often exactly the gap (a merge on both sides is possible then). */
      const len = i.b % 2 === 0 ? avail : 1 + (i.b % avail);
      /* From the gap's start, or ending at its end. */
      const start = i.c % 3 === 2 ? gap[1] - len * P : gap[0];
      const end = start + len * P;
      const prev = model.before(start);
      const next = model.after(end);
      /* The harness helper needs a VMA below the range if one lies above (TRACE_FORMAT.md). */
      if (!prev && next) return null;
      return {
        op: 'merge_new',
        start,
        end,
        pgoff: pgoffFor(i, start, end, prev, next),
        flags: flagsFor(i, i.d % 2 ? next : prev),
        anon: i.d % 4 === 3 ? ((1 + (i.b % 8)) as AnonId) : null,
        file: i.d % 5 === 4 ? ((1 + (i.a % 4)) as FileId) : (prev?.file ?? null),
      };
    }
    case 'merge_existing':
    case 'modify_flags': {
      const v = pickVma(model, i.a);
      if (!v) return null;
      const n = vmaPages(v);
      let s = 0;
      let e = n;
      switch (i.b % 4) {
        case 1:
          e = 1 + (i.c % n); /* left part */
          break;
        case 2:
          s = i.c % n; /* right part */
          break;
        case 3:
          s = i.c % n;
          e = s + 1 + (i.d % (n - s)); /* anywhere */
          break;
      }
      const neighbour = i.d % 2 ? model.after(v.end) : model.before(v.start);
      return {
        op: i.op,
        vma: v.id,
        start: v.start + s * P,
        end: v.start + e * P,
        flags: i.d % 5 === 0 ? v.flags : flagsFor(i, neighbour),
      };
    }
    case 'expand': {
      const v = pickVma(model, i.a);
      if (!v) return null;
      const prev = model.before(v.start);
      const next = model.after(v.end);
      const room = (v.start - Math.max(FUZZ_BASE, prev ? prev.end : FUZZ_BASE)) / P;
      const back = room > 0 ? i.b % (room + 1) : 0;
      const start = v.start - back * P;
      if (next && i.c % 3 === 0) {
        return { op: 'expand', vma: v.id, start, end: next.end, pgoff: v.pgoff - back, next: next.id };
      }
      const fwdRoom = ((next ? next.start : WINDOW_END) - v.end) / P;
      const end = v.end + (fwdRoom > 0 ? i.c % (fwdRoom + 1) : 0) * P;
      return { op: 'expand', vma: v.id, start, end, pgoff: v.pgoff - back, next: next && i.d % 2 ? next.id : null };
    }
    case 'shrink': {
      const v = pickVma(model, i.a);
      if (!v || vmaPages(v) < 2) return null;
      const cut = 1 + (i.b % (vmaPages(v) - 1));
      return i.c % 2
        ? { op: 'shrink', vma: v.id, start: v.start, end: v.end - cut * P, pgoff: v.pgoff }
        : { op: 'shrink', vma: v.id, start: v.start + cut * P, end: v.end, pgoff: v.pgoff + cut };
    }
    case 'split': {
      const v = pickVma(model, i.a);
      if (!v || vmaPages(v) < 2) return null;
      return { op: 'split', vma: v.id, addr: v.start + (1 + (i.b % (vmaPages(v) - 1))) * P, new_below: i.c % 2 === 0 };
    }
    case 'munmap': {
      /* Page-aligned usually; sometimes unaligned or empty (-EINVAL). */
      const v = pickVma(model, i.a);
      let start = v && i.b % 2 ? v.start + (i.c % vmaPages(v)) * P : pageAddr(i.c);
      let len = (1 + (i.d % 8)) * P;
      if (i.flags === 1) start += 0x800;
      if (i.flags === 2) len = 0;
      if (i.flags === 3) len -= 0x800;
      return { op: 'munmap', start, len };
    }
    case 'mmap': {
      /* With anon_vma_clone() about to fail, fill a hole exactly so that prev and next would both merge. */
      const armed = model.faults.armedAt('anon_vma_clone');
      if (armed && i.b % 2 === 0) {
        const holes = model.segs.filter((s, k) => k + 1 < model.segs.length && s.end < model.segs[k + 1].start);
        if (holes.length) {
          const prev = holes[i.c % holes.length];
          const next = model.segs[model.segs.indexOf(prev) + 1];
          return { op: 'mmap', addr: prev.end, len: next.start - prev.end, flags: prev.flags, pgoff: prev.pgoff + vmaPages(prev), file: prev.file };
        }
      }
      const v = pickVma(model, i.a);
      const flags = FLAG_PALETTE[i.flags % FLAG_PALETTE.length];
      /* A stack mostly goes to the stack area, far enough from the window for its guard gap. */
      const stack = (flags & VM_GROWSDOWN) !== 0n && i.a % 4 !== 0;
      const addr = stack ? STACK_AREA + (i.c % 12) * P : v && i.b % 2 ? v.start + (i.c % vmaPages(v)) * P : pageAddr(i.c);
      const len = (stack ? 1 + (i.d % 4) : Math.min(1 + (i.d % 6), (WINDOW_END - addr) / P)) * P;
      if (len <= 0) return null;
      const prev = model.before(addr);
      const next = model.after(addr + len);
      return {
        op: 'mmap',
        addr,
        len,
        flags: stack ? (prev && prev.flags & VM_GROWSDOWN && i.d % 3 ? prev.flags : flags) : flagsFor(i, prev),
        pgoff: pgoffFor(i, addr, addr + len, prev, next),
        file: i.a % 4 === 3 ? ((1 + (i.b % 4)) as FileId) : (prev?.file ?? null),
      };
    }
    case 'merge_extend': {
      const v = pickVma(model, i.a);
      if (!v) return null;
      const next = model.after(v.end);
      const room = ((next ? next.start : WINDOW_END) - v.end) / P;
      if (room < 1) return null;
      const delta = i.b % 2 === 0 ? room : 1 + (i.c % room);
      return { op: 'merge_extend', vma: v.id, delta: delta * P };
    }
    case 'copy_vma': {
      const v = pickVma(model, i.a);
      if (!v) return null;
      const gap = gapAt(model, pageAddr(i.b));
      if (!gap) return null;
      const len = Math.min(vmaPages(v), (gap[1] - gap[0]) / P, 1 + (i.c % 4));
      const addr = i.d % 2 ? gap[1] - len * P : gap[0];
      const prev = model.before(addr);
      const next = model.after(addr + len * P);
      const pgoff = i.d % 3 === 0 ? v.pgoff : pgoffFor(i, addr, addr + len * P, prev, next);
      return { op: 'copy_vma', vma: v.id, addr, len: len * P, pgoff };
    }
    case 'set_anon': {
      const v = pickVma(model, i.a);
      if (!v) return null;
      /* Often the neighbour's anon_vma, so that merges stay possible. */
      const neighbour = i.c % 2 ? model.before(v.start) : model.after(v.end);
      const anon = i.b % 3 === 0 ? null : i.b % 3 === 1 && neighbour?.anon ? neighbour.anon : ((1 + (i.d % 8)) as AnonId);
      return { op: 'set_anon', vma: v.id, anon, chain: (i.c % 5 === 4 ? 2 : i.c % 5 === 3 ? 0 : 1) as ChainLength };
    }
    case 'set_ops': {
      const v = pickVma(model, i.a);
      if (!v) return null;
      const kinds: VmOpsKind[] = ['none', 'dummy', 'close'];
      return { op: 'set_ops', vma: v.id, ops: kinds[i.b % 3] };
    }
    case 'set_file': {
      const v = pickVma(model, i.a);
      if (!v) return null;
      return { op: 'set_file', vma: v.id, file: i.b % 2 ? null : ((1 + (i.c % 4)) as FileId) };
    }
    case 'fail_prealloc':
      /* Switch it on only briefly: most of these switch it off. */
      return { op: 'fail_prealloc', value: model.faults.failPrealloc ? i.a % 4 === 0 : i.a % 2 === 0 };
    default:
      return resolveExt(i.op, i, model, WINDOW);
  }
}
