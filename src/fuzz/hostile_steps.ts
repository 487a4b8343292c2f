// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A fuzz target for the replayer's validator: fast-check draws steps of all
 * 27 operations with arguments that are plausible for the current layout
 * (ranges around and inside its VMAs, neighbours as `next`, offsets that
 * run on) and, now and then, hostile (unaligned, past TASK_SIZE or 2^53,
 * freed or unknown ids, odd flags, armed failures, a tiny max_map_count).
 * Each step goes to the validator first; whatever it lets through must run
 * on the port without a throw, a WARN-class check or a broken invariant
 * (src/fuzz/invariants.ts): otherwise the validator has a gap.  The one
 * exception is v6.15's own commit_merge() OOM defect, which the validator
 * deliberately lets through (an mlockall walk merging while fail_prealloc
 * is set: the port shows the maple-state misuse and the warning, as a
 * replayer must): such a run is counted as reaching the known defect and
 * ends there.
 */

import fc from 'fast-check';
import { PAGE_SIZE } from '../vma_internal/constants';
import { TraceInputError } from '../trace/preconditions';
import { TraceWorld } from '../trace/world';
import { INJECT_POINTS, type AnonId, type FileId, type NameId, type TraceStep } from '../trace/types';
import { formatStep } from '../trace/write';
import type { LayoutVma } from '../trace/layout';
import { checkInvariants, snapshotVmas } from './invariants';

/** One drawn step: an operation and numbers that pick its arguments against the layout. */
export interface HostileIntent {
  readonly op: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
}

const OPS = [
  'alloc_and_link', 'alloc_and_link', 'mmap', 'mmap', 'set_anon', 'set_ops', 'set_file', 'fail_prealloc', 'merge_new',
  'merge_existing', 'modify_flags', 'expand', 'shrink', 'split', 'munmap', 'merge_extend', 'copy_vma', 'brk',
  'vm_unmapped_area', 'expand_stack', 'modify_flags_uffd', 'modify_name', 'modify_policy', 'find_mergeable_anon_vma',
  'vm_munmap', 'take_all_locks', 'inject', 'inject', 'set_max_map_count', 'mlockall', 'mlockall',
] as const;

const FLAGS: readonly bigint[] = [
  0x33n, 0x73n, 0x37n, 0x35n, 0x133n, 0x173n, 0x2033n, 0x100073n, 0x11n, 0x0n, 0x4033n, 0x40033n, 0x8000000000000033n,
  0x10000033n, 0x1233n, 0x8033n, 0x20033n, 0x4000033n, 0x3bn,
];
const ODD_ADDR = [0, 0x1000, 0xfff, 0x10000, 2 ** 47 - PAGE_SIZE, 2 ** 47, 2 ** 53 - PAGE_SIZE, 2 ** 52, Number.MAX_SAFE_INTEGER];
const ODD_LEN = [0, 1, 0xfff, 2 ** 47, 2 ** 53 - PAGE_SIZE, Number.MAX_SAFE_INTEGER];
const ODD_PGOFF = [2 ** 53 - 2, 2 ** 52, 0, Number.MAX_SAFE_INTEGER];
const BASE = 0x100000;

/** The arbitrary of hostile step lists. */
export function hostileStepsArbitrary(maxSteps: number): fc.Arbitrary<HostileIntent[]> {
  const n = fc.nat({ max: 1 << 20 });
  return fc.array(fc.record({ op: fc.nat({ max: OPS.length - 1 }), a: n, b: n, c: n, d: n }), { minLength: Math.min(10, maxSteps), maxLength: maxSteps, size: 'max' });
}

/* Turn an intent into a step against the world's current layout. */
function resolve(w: TraceWorld, it: HostileIntent): TraceStep {
  let seed = it.a ^ (it.b << 7) ^ (it.c << 13) ^ (it.d << 3);
  const int = (k: number): number => {
    seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x9e3779b9) | 0;
    return (seed >>> 0) % Math.max(1, k);
  };
  const odd = (): boolean => int(40) === 0;
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const vmas = w.layout.vmas();
  const id = vmas.length > 0 && int(14) !== 0 ? pick(vmas).id : 1 + int(w.layout.allocated + 2);
  const v: LayoutVma | undefined = w.layout.byId(id);
  const page = (): number => (odd() ? pick(ODD_ADDR) : BASE + int(64) * PAGE_SIZE);
  const len = (): number => (odd() ? pick(ODD_LEN) : (1 + int(8)) * PAGE_SIZE);
  const pgoff = (): number => (odd() ? pick(ODD_PGOFF) : 0x100 + int(64));
  const sub = (): [number, number] => {
    if (!v || int(10) === 0) {
      const s = page();
      return [s, s + len()];
    }
    const pages = (v.end - v.start) / PAGE_SIZE;
    const x = int(pages);
    return [v.start + x * PAGE_SIZE, v.start + (x + 1 + int(pages - x)) * PAGE_SIZE];
  };
  const op = OPS[it.op % OPS.length];
  const step = draw(op, w, id, v, { int, pick, page, len, pgoff, sub });
  /* Trace values are never negative (the parser refuses them): keep drawn ones at 0 or above. */
  for (const [k, x] of Object.entries(step)) if (typeof x === 'number' && x < 0) (step as unknown as Record<string, number>)[k] = 0;
  return step;
}

interface Draw {
  int(k: number): number;
  pick<T>(xs: readonly T[]): T;
  page(): number;
  len(): number;
  pgoff(): number;
  sub(): [number, number];
}

/* The step of operation @op, its arguments drawn against VMA @id (@v when live). */
function draw(op: (typeof OPS)[number], w: TraceWorld, id: number, v: LayoutVma | undefined, d: Draw): TraceStep {
  const { int, pick, page, len, pgoff, sub } = d;
  switch (op) {
    case 'alloc_and_link': {
      const s = page();
      return { op, start: s, end: s + len(), pgoff: pgoff(), flags: pick(FLAGS) };
    }
    case 'mmap': {
      const s = v && int(3) === 0 ? v.start : page();
      return { op, addr: s, len: len(), flags: pick(FLAGS), pgoff: s / PAGE_SIZE, file: int(3) === 0 ? ((1 + int(4)) as FileId) : null };
    }
    case 'set_anon':
      return { op, vma: id, anon: int(4) === 0 ? null : ((1 + int(8)) as AnonId), chain: int(3) as 0 | 1 | 2 };
    case 'set_ops':
      return { op, vma: id, ops: pick(['dummy', 'close', 'none'] as const) };
    case 'set_file':
      return { op, vma: id, file: int(2) === 0 ? null : ((1 + int(4)) as FileId) };
    case 'fail_prealloc':
      return { op, value: int(3) === 0 };
    case 'merge_new': {
      const s = v && int(3) !== 0 ? v.end : page();
      return {
        op,
        start: s,
        end: s + len(),
        pgoff: v ? v.pgoff + (s - v.start) / PAGE_SIZE : pgoff(),
        flags: v && int(4) !== 0 ? v.flags : pick(FLAGS),
        anon: int(4) === 0 ? ((1 + int(8)) as AnonId) : null,
        file: int(4) === 0 ? ((1 + int(4)) as FileId) : null,
      };
    }
    case 'merge_existing':
    case 'modify_flags': {
      const [s, e] = sub();
      return { op, vma: id, start: s, end: e, flags: pick(FLAGS) };
    }
    case 'modify_flags_uffd': {
      const [s, e] = sub();
      return { op, vma: id, start: s, end: e, flags: v ? v.flags ^ pick([0n, 0x200n, 0x1000n, 0x1n]) : pick(FLAGS), give_up_on_oom: int(3) === 0 };
    }
    case 'modify_name': {
      const [s, e] = sub();
      return { op, vma: id, start: s, end: e, flags: v ? v.flags ^ pick([0n, 0x20000n, 0x8000n, 0x1n]) : pick(FLAGS), name: int(3) === 0 ? null : ((1 + int(4)) as NameId) };
    }
    case 'modify_policy': {
      const [s, e] = sub();
      return { op, vma: id, start: s, end: e };
    }
    case 'expand': {
      const next = v ? w.layout.above(v) : null;
      const end = next && int(2) === 0 ? next.end : (v ? v.end : page()) + int(4) * PAGE_SIZE;
      return {
        op,
        vma: id,
        start: v && int(5) !== 0 ? v.start - int(2) * PAGE_SIZE : page(),
        end,
        pgoff: v ? v.pgoff : pgoff(),
        next: next && int(3) !== 0 ? next.id : int(8) === 0 ? 1 + int(w.layout.allocated + 2) : null,
      };
    }
    case 'shrink': {
      const [s, e] = sub();
      return { op, vma: id, start: s, end: e, pgoff: v ? v.pgoff + Math.max(0, s - v.start) / PAGE_SIZE : pgoff() };
    }
    case 'split':
      return { op, vma: id, addr: v ? v.start + int((v.end - v.start) / PAGE_SIZE + 1) * PAGE_SIZE : page(), new_below: int(2) === 0 };
    case 'munmap':
      return { op, start: v && int(3) === 0 ? v.start : page(), len: len() };
    case 'vm_munmap':
      return { op, start: v && int(3) === 0 ? v.start : page(), len: len(), unlock: int(2) === 0 };
    case 'merge_extend':
      return { op, vma: id, delta: len() };
    case 'copy_vma':
      return { op, vma: id, addr: page(), len: len(), pgoff: v && int(2) === 0 ? v.pgoff : pgoff() };
    case 'brk': {
      const s = v && int(2) === 0 ? v.end : page();
      return { op, start_brk: s - int(3) * PAGE_SIZE, addr: s, len: len(), flags: pick([0n, 4n, 0x2000n, 0x2004n, 1n]) };
    }
    case 'vm_unmapped_area': {
      const lo = page();
      return {
        op,
        length: len(),
        low_limit: lo,
        high_limit: lo + int(64) * PAGE_SIZE,
        align_mask: pick([0, PAGE_SIZE, 0x1ff000]),
        align_offset: pick([0, PAGE_SIZE]),
        start_gap: pick([0, PAGE_SIZE]),
        topdown: int(2) === 0,
      };
    }
    case 'expand_stack':
      return { op, vma: id, addr: v ? v.start - (1 + int(300)) * PAGE_SIZE + int(2) : page() };
    case 'find_mergeable_anon_vma':
      return { op, vma: id };
    case 'take_all_locks':
      return { op };
    case 'inject':
      return { op, point: pick(INJECT_POINTS), count: int(3), after: int(3) };
    case 'set_max_map_count':
      return { op, value: pick([0, 1, 2, 3, 5, 0x1000000]) };
    case 'mlockall':
      /* Mostly what the syscalls take; now and then MCL_ONFAULT alone or a bit they do not know. */
      return { op, flags: int(12) === 0 ? pick([4, 8, 9, 15]) : pick([0, 0, 1, 1, 2, 3, 5, 6, 7]) };
  }
}

/** What a run of hostile steps found. */
export interface HostileRun {
  /** Steps the validator let through, and refused. */
  readonly accepted: number;
  readonly refused: number;
  /** Did the run end on the known v6.15 commit_merge() OOM defect (see the top of this file)? */
  readonly knownDefect: boolean;
  /** A throw, warning or broken invariant after an accepted step; null when none. */
  readonly failure: string | null;
  /** The accepted steps up to the failure, one per line. */
  readonly steps: string;
}

/* The validator's layout against the port after an accepted step: its page counters (derived, never read from the mm) and its VMA ranges. */
function layoutDrift(w: TraceWorld): string[] {
  const c = w.layout.counters;
  const m = w.mm;
  const mine = [c.total, c.locked, c.data, c.exec, c.stack].join();
  const port = [m.total_vm, m.locked_vm, m.data_vm, m.exec_vm, m.stack_vm].join();
  if (mine !== port) return [`the validator's layout counts ${mine} (total, locked, data, exec, stack), the port ${port}`];
  if (w.layout.mapCount !== m.map_count) return [`the validator's layout holds ${w.layout.mapCount} VMAs, the port ${m.map_count}`];
  return [];
}

/** Run the intents in a fresh world: each step is validated, and run when the validator accepts it. */
export function runHostileSteps(intents: readonly HostileIntent[]): HostileRun {
  const w = new TraceWorld();
  const run: string[] = [];
  let refused = 0;
  try {
    for (const it of intents) {
      const step = resolve(w, it);
      try {
        w.check(step);
      } catch (err) {
        if (err instanceof TraceInputError) {
          refused++;
          continue;
        }
        throw err;
      }
      run.push(formatStep(step));
      w.endStep();
      const defectZone = step.op === 'mlockall' && w.layout.faults.failPrealloc;
      const before = snapshotVmas();
      let errs: string[];
      try {
        errs = checkInvariants(w.mm, before, w.observe(step, w.execute(step)));
      } catch (err) {
        errs = [`the port threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`];
      }
      if (errs.length === 0) errs = layoutDrift(w);
      if (errs.length && defectZone && errs.every((e) => /maple-state misuse in mas_find \(vma_next <- apply_mlockall_flags|VM_WARN_ON_VMG/.test(e))) {
        return { accepted: run.length, refused, knownDefect: true, failure: null, steps: run.join('\n') };
      }
      if (errs.length) return { accepted: run.length, refused, knownDefect: false, failure: `step ${run.length - 1} (${step.op}): ${errs.join('; ')}`, steps: run.join('\n') };
    }
    return { accepted: run.length, refused, knownDefect: false, failure: null, steps: run.join('\n') };
  } finally {
    w.dispose();
  }
}
