// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Long random traces for the benchmark, in two shapes: 'churn' populates to
 * a target number of VMAs first, then mixes every operation so that the
 * count stays near the target; 'buildup' grows towards the target for the
 * whole trace (five steps in six add a mapping, by mmap() or by linking a
 * VMA, while the count is below the target; the sixth churns as above).  Arguments are chosen from the live
 * state (by running each step while generating), so every step respects its
 * caller's preconditions; an expectation is recorded every `expectEvery`
 * steps, as in the long traces made from the C code.
 */

import { PAGE_SIZE, VM_ACCOUNT, VM_LOCKED, VM_MAYREAD, VM_MAYWRITE, VM_READ, type vm_area_struct } from '../vma_internal';
import type { AnonId, FileId, Trace, TraceStep } from '../trace/types';
import { TraceWorld } from '../trace/world';
import { prng } from '../util/prng';

export interface BenchTraceOptions {
  readonly name: string;
  readonly targetVmas: number;
  readonly steps: number;
  readonly seed: number;
  readonly expectEvery: number;
  /** 'churn' (default) or 'buildup' (see above). */
  readonly mode?: 'churn' | 'buildup';
}

const BASE = 0x10000000;
/*
 * Read-only mappings: their pages count in no class of the mm's counters
 * (exec, stack, data), so unmapping what alloc_and_link, copy_vma and the
 * merges placed without charging it is valid input (TRACE_FORMAT.md).
 */
const FLAG_CHOICES: bigint[] = [
  VM_READ | VM_MAYREAD | VM_MAYWRITE,
  VM_READ | VM_MAYREAD,
  VM_READ | VM_MAYREAD | VM_MAYWRITE | VM_ACCOUNT,
  VM_READ | VM_MAYREAD | VM_MAYWRITE | VM_LOCKED,
];

export function generateBenchTrace(opts: BenchTraceOptions): { trace: Trace; vmaCounts: number[] } {
  const rnd = prng(opts.seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  /* About one VMA per 6 pages of window. */
  const windowPages = Math.max(64, opts.targetVmas * 6);
  const world = new TraceWorld();
  const steps: TraceStep[] = [];
  const vmaCounts: number[] = [];
  const ranges = world.mm.mm_mt.ranges;

  const page = (): number => BASE + int(windowPages) * PAGE_SIZE;
  const vmaAt = (addr: number): vm_area_struct | null => {
    const e = ranges.lookup(addr) ?? ranges.ceil(addr) ?? ranges.floor(addr);
    return e ? e.value : null;
  };
  /* A free range [s, e) of 1..n pages starting at a random free page, or null. */
  const freeRange = (n: number): [number, number] | null => {
    const s = page();
    if (ranges.lookup(s) !== null) return null;
    const next = ranges.ceil(s);
    const limit = next ? next.index : BASE + windowPages * PAGE_SIZE;
    const len = Math.min(1 + int(n), (limit - s) / PAGE_SIZE);
    return len >= 1 ? [s, s + len * PAGE_SIZE] : null;
  };
  const subRange = (v: vm_area_struct): [number, number] => {
    const pages = (v.vm_end - v.vm_start) / PAGE_SIZE;
    const a = int(pages);
    const b = a + 1 + int(pages - a);
    return [v.vm_start + a * PAGE_SIZE, v.vm_start + b * PAGE_SIZE];
  };

  const buildup = opts.mode === 'buildup';
  const propose = (): TraceStep | null => {
    const count = world.mm.map_count;
    if (buildup && count < opts.targetVmas && int(6) !== 0) {
      const fr = freeRange(4);
      if (!fr) return null;
      const flags = pick(FLAG_CHOICES);
      return rnd() < 0.5
        ? { op: 'mmap', addr: fr[0], len: fr[1] - fr[0], flags, pgoff: fr[0] / PAGE_SIZE, file: null }
        : { op: 'alloc_and_link', start: fr[0], end: fr[1], pgoff: fr[0] / PAGE_SIZE, flags };
    }
    if (!buildup && steps.length < opts.targetVmas && count < opts.targetVmas) {
      /* Populate first. */
      const fr = freeRange(4);
      if (!fr) return null;
      return { op: 'alloc_and_link', start: fr[0], end: fr[1], pgoff: fr[0] / PAGE_SIZE, flags: pick(FLAG_CHOICES) };
    }
    const grow = count < opts.targetVmas * 0.9;
    const shrink = count > opts.targetVmas * 1.1;
    const r = rnd();
    if (grow && r < 0.5) {
      const fr = freeRange(4);
      if (!fr) return null;
      return { op: 'alloc_and_link', start: fr[0], end: fr[1], pgoff: fr[0] / PAGE_SIZE, flags: pick(FLAG_CHOICES) };
    }
    if (shrink && r < 0.5) {
      const s = page();
      return { op: 'munmap', start: s, len: (1 + int(8)) * PAGE_SIZE };
    }
    const v = vmaAt(page());
    const k = int(12);
    if (v === null || k === 0) {
      const fr = freeRange(4);
      if (!fr) return null;
      return { op: 'mmap', addr: fr[0], len: fr[1] - fr[0], flags: pick(FLAG_CHOICES), pgoff: fr[0] / PAGE_SIZE, file: null };
    }
    const [a, b] = subRange(v);
    switch (k) {
      case 1:
        return { op: 'modify_flags', vma: v.__id, start: a, end: b, flags: pick(FLAG_CHOICES) };
      case 2:
        return { op: 'merge_existing', vma: v.__id, start: a, end: b, flags: pick(FLAG_CHOICES) };
      case 3: {
        if (v.vm_end - v.vm_start < 2 * PAGE_SIZE) return null;
        const pages = (v.vm_end - v.vm_start) / PAGE_SIZE;
        return { op: 'split', vma: v.__id, addr: v.vm_start + (1 + int(pages - 1)) * PAGE_SIZE, new_below: rnd() < 0.5 };
      }
      case 4:
        return { op: 'munmap', start: a, len: b - a };
      case 5: {
        if (v.vm_end - v.vm_start < 2 * PAGE_SIZE) return null;
        return rnd() < 0.5
          ? { op: 'shrink', vma: v.__id, start: v.vm_start, end: v.vm_end - PAGE_SIZE, pgoff: v.vm_pgoff }
          : { op: 'shrink', vma: v.__id, start: v.vm_start + PAGE_SIZE, end: v.vm_end, pgoff: v.vm_pgoff + 1 };
      }
      case 6: {
        /* Grow over the gap after it, if any. */
        const next = ranges.ceil(v.vm_end);
        const limit = next ? next.index : BASE + windowPages * PAGE_SIZE;
        if (limit <= v.vm_end) return null;
        const end = v.vm_end + Math.min(1 + int(4), (limit - v.vm_end) / PAGE_SIZE) * PAGE_SIZE;
        return { op: 'expand', vma: v.__id, start: v.vm_start, end, pgoff: v.vm_pgoff, next: null };
      }
      case 7: {
        const next = ranges.ceil(v.vm_end);
        const limit = next ? next.index : BASE + windowPages * PAGE_SIZE;
        if (limit <= v.vm_end) return null;
        const delta = Math.min(1 + int(4), (limit - v.vm_end) / PAGE_SIZE) * PAGE_SIZE;
        return { op: 'merge_extend', vma: v.__id, delta };
      }
      case 8: {
        const fr = freeRange(4);
        if (!fr) return null;
        return { op: 'copy_vma', vma: v.__id, addr: fr[0], len: fr[1] - fr[0], pgoff: v.vm_pgoff };
      }
      case 9: {
        /* A new range right after a VMA, in the gap. */
        const next = ranges.ceil(v.vm_end);
        const limit = next ? next.index : BASE + windowPages * PAGE_SIZE;
        if (limit <= v.vm_end) return null;
        const end = v.vm_end + Math.min(1 + int(3), (limit - v.vm_end) / PAGE_SIZE) * PAGE_SIZE;
        return {
          op: 'merge_new',
          start: v.vm_end,
          end,
          pgoff: v.vm_pgoff + (v.vm_end - v.vm_start) / PAGE_SIZE,
          flags: v.vm_flags,
          anon: null,
          file: null,
        };
      }
      case 10:
        return { op: 'set_anon', vma: v.__id, anon: (1 + int(8)) as AnonId, chain: 1 };
      default:
        return { op: 'set_file', vma: v.__id, file: rnd() < 0.7 ? null : ((1 + int(4)) as FileId) };
    }
  };

  while (steps.length < opts.steps) {
    const step = propose();
    if (step === null) continue;
    const checked = (steps.length + 1) % opts.expectEvery === 0;
    if (checked) world.endStep();
    try {
      world.check(step);
    } catch {
      continue;
    }
    const out = world.execute(step);
    if (checked) {
      /* Performance traces never carry the mm counters (their unmaps are uncharged). */
      const { mm: _mm, ...expect } = world.observe(step, out);
      step.expect = expect;
    }
    steps.push(step);
    if (steps.length % 1000 === 0) vmaCounts.push(world.mm.map_count);
  }
  world.dispose();
  return { trace: { format: 'vma-trace/1', kernel: 'v6.15', name: opts.name, steps }, vmaCounts };
}
