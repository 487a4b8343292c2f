// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Merge scenarios: small layouts built on purpose around one merge decision.
 * A prev/middle/next neighbourhood (some of them absent, with or without
 * gaps) gets random attributes that matter to the merge rules — flags,
 * pgoff continuity, anon_vma and how many chain entries it has, vm_ops with
 * or without a close hook, file — and then one operation that may merge.
 * Random command sequences reach these combinations only rarely; here every
 * run is one.  Each scenario is a command sequence like any other: run on
 * the port and the model in lockstep with the same checks.
 */

import { PAGE_SIZE, VM_EXEC, VM_LOCKED, VM_LOCKONFAULT } from '../vma_internal/constants';
import { INJECT_POINTS, type AnonId, type ChainLength, type FileId, type InjectStep, type NameId, type TraceOpName, type TraceStep, type VmOpsKind } from '../trace/types';
import { FUZZ_BASE, smallInt } from './intents';
import { F0, FLAGS, type MergeScenario } from './scenario_draw';
import { VmaModel, type Seg } from './model';
import { VM_DONTDUMP, VM_UFFD_MISSING, VM_UFFD_WP } from './model/validate';

const P = PAGE_SIZE;

/** The scenarios and their arbitraries (scenario_draw.ts). */
export { composedMergeScenarioArbitrary, mergeScenarioArbitrary, type MergeScenario, type VmaSpec } from './scenario_draw';

/** Which values of MergeScenario.op end a scenario with each operation. */
export const SCENARIO_OP_CODES: Partial<Record<TraceOpName, readonly number[]>> = {
  merge_existing: [0],
  modify_flags: [1],
  merge_new: [2, 3],
  expand: [4],
  merge_extend: [5],
  copy_vma: [6],
  mmap: [7],
  munmap: [8],
  split: [9],
  modify_flags_uffd: [10],
  modify_name: [11],
  modify_policy: [12],
  brk: [13],
  mlockall: [14],
};

/* Arm one of the points the final step reaches (tried on a copy of the model), or null. */
function armFor(model: VmaModel, step: TraceStep, inj: { pick: number; after: number }): InjectStep | null {
  const trial = model.clone();
  trial.faults.calls.clear();
  try {
    if (trial.validate(step) !== null) return null;
    trial.apply(step);
  } catch {
    return null;
  }
  const reached = INJECT_POINTS.filter((p) => (trial.faults.calls.get(p) ?? 0) > 0);
  if (!reached.length) return null;
  const point = reached[smallInt(inj.pick) % reached.length];
  return { op: 'inject', point, count: 1, after: smallInt(inj.after) % (trial.faults.calls.get(point) ?? 1) };
}

const OPS: VmOpsKind[] = ['none', 'dummy', 'close'];

/**
 * The steps of a scenario (those the model accepts as valid).  With @p run,
 * each step is handed to it as soon as it is chosen, to be applied to the
 * model given (the fuzzer runs it on the port and the model in lockstep:
 * the model then runs each step once, not once here and once there);
 * without, the steps are applied to the model here.
 */
export function scenarioSteps(sc: MergeScenario, run?: (step: TraceStep, model: VmaModel) => void): TraceStep[] {
  const model = new VmaModel();
  const steps: TraceStep[] = [];
  const push = (s: TraceStep): boolean => {
    if (model.validate(s) !== null) return false;
    if (run) run(s, model);
    else model.apply(s);
    steps.push(s);
    return true;
  };
  /* Lay out prev, middle, next (the middle's slot stays even when absent). */
  let addr = FUZZ_BASE + 4 * P;
  const ranges: ([number, number] | null)[] = [];
  for (let k = 0; k < 3; k++) {
    const spec = sc.vmas[k];
    const start = addr;
    const end = start + spec.pages * P;
    addr = end + (k < 2 ? sc.gaps[k] * P : 0);
    ranges.push(sc.present[k] ? [start, end] : null);
    if (!sc.present[k]) continue;
    push({
      op: 'alloc_and_link',
      start,
      end,
      pgoff: start / P + spec.pgoffShift,
      flags: FLAGS[spec.flags],
    });
    const id = model.segs.find((s) => s.start === start)?.id;
    if (id === undefined) continue;
    if (spec.anon || spec.chain) push({ op: 'set_anon', vma: id, anon: (spec.anon || null) as AnonId | null, chain: spec.chain as ChainLength });
    if (spec.ops !== 1) push({ op: 'set_ops', vma: id, ops: OPS[spec.ops] });
    if (spec.file) push({ op: 'set_file', vma: id, file: spec.file as FileId });
  }
  if (sc.failPrealloc) push({ op: 'fail_prealloc', value: true });
  /* The operation the scenario ends with (injection, if any, is armed right before it). */
  let final: TraceStep | null = null;
  const fin = (s: TraceStep): void => {
    final = s;
  };

  const [pr, mid, nx] = ranges;
  const idAt = (r: [number, number] | null): number | undefined => (r ? model.segs.find((s) => s.start === r[0])?.id : undefined);
  const midId = idAt(mid);
  const prevSeg = pr ? model.segs.find((s) => s.start === pr[0]) : undefined;
  const nextSeg = nx ? model.segs.find((s) => s.start === nx[0]) : undefined;
  /* Flags for the operation: a neighbour's, mostly. */
  const flags = sc.y === 0 ? FLAGS[sc.x % FLAGS.length] : ((sc.y % 2 === 1 ? prevSeg : nextSeg) ?? prevSeg ?? nextSeg)?.flags ?? F0;
  const midPages = mid ? (mid[1] - mid[0]) / P : 0;

  switch (sc.op) {
    case 0:
    case 1: {
      /* merge_existing / modify_flags over all, the start, the end or the inside of middle. */
      if (midId === undefined || !mid) break;
      const kind = sc.x % 4;
      const s = kind === 2 || kind === 3 ? mid[0] + Math.min(midPages - 1, 1) * P : mid[0];
      const e = kind === 1 || kind === 3 ? Math.max(s + P, mid[1] - P) : mid[1];
      fin({ op: sc.op === 0 ? 'merge_existing' : 'modify_flags', vma: midId, start: s, end: Math.min(e, mid[1]), flags });
      break;
    }
    case 2:
    case 3: {
      /* merge_new into the space of middle (or part of it), when it is free. */
      const from = pr ? pr[1] : FUZZ_BASE + 4 * P;
      const to = nx ? nx[0] : from + 3 * P;
      if (mid && midId !== undefined) break;
      /* The harness helper needs a VMA below the range if one lies above (TRACE_FORMAT.md). */
      if (!pr && nx) break;
      if (to <= from) break;
      const len = sc.op === 2 ? (to - from) / P : 1 + (sc.x % ((to - from) / P));
      const start = sc.op === 2 || sc.y % 2 === 0 ? from : to - len * P;
      fin({
        op: 'merge_new',
        start,
        end: start + len * P,
        pgoff: start / P + (sc.x === 7 ? 1 : 0),
        flags,
        anon: sc.y === 5 ? (1 as AnonId) : null,
        file: (prevSeg?.file ?? nextSeg?.file ?? null) as FileId | null,
      });
      break;
    }
    case 4: {
      /* expand middle over the gap after it, or exactly through next. */
      if (midId === undefined || !mid) break;
      const nextId = nextSeg?.id ?? null;
      const through = nextSeg && sc.x % 2 === 0;
      const end = through ? (nextSeg as { end: number }).end : nx ? nx[0] : mid[1] + P;
      fin({ op: 'expand', vma: midId, start: mid[0], end, pgoff: model.byId(midId)?.pgoff ?? 0, next: through || sc.y % 2 ? nextId : null });
      break;
    }
    case 5: {
      /* merge_extend middle (or prev) up to the next VMA. */
      const id = midId ?? prevSeg?.id;
      const seg = id === undefined ? undefined : model.byId(id);
      if (!seg) break;
      const after = model.after(seg.end);
      const delta = (after ? after.start : seg.end + 2 * P) - seg.end;
      if (delta > 0) fin({ op: 'merge_extend', vma: seg.id, delta });
      break;
    }
    case 6: {
      /* copy_vma of one of them into a free slot next to the others. */
      const src = model.segs[sc.x % Math.max(1, model.segs.length)];
      if (!src) break;
      const from = pr ? pr[1] : FUZZ_BASE;
      const to = nx ? nx[0] : from + 2 * P;
      if (to <= from || !model.isFree(from, to)) break;
      const len = Math.min((to - from) / P, (src.end - src.start) / P);
      fin({ op: 'copy_vma', vma: src.id, addr: sc.y % 2 ? to - len * P : from, len: len * P, pgoff: sc.y % 3 ? from / P : src.pgoff });
      break;
    }
    case 7:
    case 8: {
      /* mmap over middle (or where it would be), or munmap part of it. */
      const base = mid ?? [pr ? pr[1] : FUZZ_BASE + 4 * P, (pr ? pr[1] : FUZZ_BASE + 4 * P) + P];
      if (sc.op === 7) {
        fin({ op: 'mmap', addr: base[0], len: base[1] - base[0], flags, pgoff: base[0] / P, file: (prevSeg?.file ?? null) as FileId | null });
      } else {
        fin({ op: 'munmap', start: base[0] + (sc.x % 2) * P, len: P });
      }
      break;
    }
    case 10:
    case 11:
    case 12: {
      /* The vma_modify family over middle: userfaultfd, madvise/anon name, mempolicy. */
      if (midId === undefined || !mid) break;
      const m = model.byId(midId) as Seg;
      const kind = sc.x % 4;
      const s = kind >= 2 ? mid[0] + Math.min(midPages - 1, 1) * P : mid[0];
      const e = kind === 1 || kind === 3 ? Math.max(s + P, mid[1] - P) : mid[1];
      const range = { vma: midId, start: s, end: Math.min(e, mid[1]) };
      if (sc.op === 12) {
        fin({ op: 'modify_policy', ...range });
        break;
      }
      /* Take a neighbour's flags when they differ only in the bits the caller changes. */
      const bits = sc.op === 10 ? VM_UFFD_MISSING | VM_UFFD_WP : VM_DONTDUMP;
      const bit = sc.op === 10 ? VM_UFFD_MISSING : VM_DONTDUMP;
      let like = [prevSeg, nextSeg].find((n) => n && n.flags !== m.flags && ((n.flags ^ m.flags) & ~bits) === 0n);
      /* No neighbour differs by the bit yet: give one the bit first, so that the operation can merge with it. */
      const twin = (sc.x % 2 ? nextSeg : prevSeg) ?? prevSeg ?? nextSeg;
      if (!like && twin && twin.flags === m.flags && sc.y % 4 !== 0) {
        const whole = { vma: twin.id, start: twin.start, end: twin.end, flags: twin.flags ^ bit };
        if (push(sc.op === 10 ? { op: 'modify_flags_uffd', ...whole, give_up_on_oom: false } : { op: 'modify_name', ...whole, name: null })) like = twin;
      }
      const flags = sc.y % 4 !== 0 && like ? like.flags : m.flags ^ bit;
      if (sc.op === 10) {
        const whole = range.start === m.start && range.end === m.end;
        fin({ op: 'modify_flags_uffd', ...range, flags, give_up_on_oom: whole && sc.y % 2 === 1 });
      } else {
        fin({ op: 'modify_name', ...range, flags, name: sc.y % 3 === 0 ? null : ((1 + (sc.y % 4)) as NameId) });
      }
      break;
    }
    case 13: {
      /* brk grows the heap: prev (or middle) is the heap VMA, the break at its end. */
      const heap = (sc.x % 2 ? (midId === undefined ? undefined : model.byId(midId)) : undefined) ?? prevSeg;
      if (!heap) break;
      const after = model.after(heap.end);
      const room = ((after ? after.start : heap.end + 4 * P) - heap.end) / P - 1;
      if (room < 1) break;
      const brkFlags = [0n, 0n, VM_EXEC, VM_LOCKED][sc.y % 4];
      fin({ op: 'brk', start_brk: heap.start, addr: heap.end, len: (1 + (sc.x % room)) * P, flags: brkFlags });
      break;
    }
    case 14: {
      /*
       * mlockall: the neighbours (some of them) get the lock bits first, so
       * that middle, locked by the walk, merges with them.
       */
      if (midId === undefined) break;
      const flagsOf = [1, 5, 3][sc.x % 3];
      const bits = flagsOf & 4 ? VM_LOCKED | VM_LOCKONFAULT : VM_LOCKED;
      for (const [k, n] of [prevSeg, nextSeg].entries()) {
        if (n && ((sc.y >> k) & 1) === 1) push({ op: 'modify_flags', vma: n.id, start: n.start, end: n.end, flags: n.flags | bits });
      }
      fin({ op: 'mlockall', flags: flagsOf });
      break;
    }
    default: {
      /* split middle, then merge the halves back through merge_existing. */
      if (midId === undefined || !mid || midPages < 2) break;
      if (push({ op: 'split', vma: midId, addr: mid[0] + P, new_below: sc.x % 2 === 0 })) {
        const low = model.segs.find((s) => s.start === mid[0]);
        if (low) fin({ op: 'merge_existing', vma: low.id, start: low.start, end: low.end, flags: low.flags });
      }
    }
  }
  const last = final as TraceStep | null;
  const armed = last && sc.inject ? armFor(model, last, sc.inject) : null;
  if (armed) push(armed);
  if (last) push(last);
  if (sc.failPrealloc) push({ op: 'fail_prealloc', value: false });
  if (armed) push({ ...armed, count: 0, after: 0 });
  return steps;
}
