// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vm_unmapped_area(), in the model's terms: a read-only search of the free
 * space for `length` bytes between low_limit and high_limit.
 *
 *  - low_limit is raised to mmap_min_addr.  The search asks for room for
 *    length + align_mask + start_gap (the worst case of the adjustments
 *    below), within [low_limit, high_limit).  The free space is every range
 *    no VMA covers, from 0 up to the top of the address space.
 *  - Bottom-up: take the lowest free range whose part inside the limits is
 *    big enough; the candidate is that part's start, plus start_gap, then
 *    moved up to the next address congruent to align_offset modulo
 *    (align_mask + 1).  If the VMA right above the free range is a stack
 *    whose guard gap (stack_guard_gap below its start, never below 0)
 *    begins before candidate + search size - 1, search again from that
 *    stack's end.  If instead the VMA below the free range ends after the
 *    candidate, search again from its end.
 *  - Top-down: take the highest such free range; the candidate is the end
 *    of its part inside the limits, less length, moved down to an address
 *    congruent to align_offset.  If the VMA above is a stack whose guard
 *    gap begins below that part's end, search again below the guard gap;
 *    if the VMA below ends after the candidate, search again below its
 *    start.
 *  - Nothing found is -ENOMEM.
 */

import { ENOMEM, VM_GROWSDOWN } from '../../vma_internal/constants';
import type { VmUnmappedAreaStep } from '../../trace/types';
import { MMAP_MIN_ADDR, STACK_GUARD_GAP } from './growth';
import type { ModelState, Seg } from './state';

/** The top of the address space (ULONG_MAX's stand-in). */
const TOP = Number.MAX_SAFE_INTEGER;

/** A free range [start, end) with the VMAs around it. */
interface Hole {
  start: number;
  end: number;
  below: Seg | null;
  above: Seg | null;
}

function holes(m: ModelState): Hole[] {
  const out: Hole[] = [];
  let from = 0;
  let below: Seg | null = null;
  for (const s of m.segs) {
    if (s.start > from) out.push({ start: from, end: s.start, below, above: s });
    from = s.end;
    below = s;
  }
  if (TOP > from) out.push({ start: from, end: TOP, below, above: null });
  return out;
}

/* Where a stack's guard gap begins (other VMAs have none). */
function startGap(s: Seg): number {
  if ((s.flags & VM_GROWSDOWN) === 0n) return s.start;
  return s.start > STACK_GUARD_GAP ? s.start - STACK_GUARD_GAP : 0;
}

/* (a - b) & mask, for a mask of the form 2^k - 1 (or page multiples thereof). */
function subMask(a: number, b: number, mask: number): number {
  return Number((BigInt(a) - BigInt(b)) & BigInt(mask));
}

/** The address vm_unmapped_area() returns, or -ENOMEM. */
export function unmappedArea(m: ModelState, q: VmUnmappedAreaStep): number {
  const size = q.length + q.align_mask + q.start_gap;
  let low = Math.max(q.low_limit, MMAP_MIN_ADDR);
  let high = q.high_limit;
  const all = holes(m);
  for (;;) {
    const fits = (h: Hole): boolean => Math.min(h.end, high) - Math.max(h.start, low) >= size;
    if (!q.topdown) {
      const h = all.find(fits);
      if (!h) {
        m.took('gap:none');
        return -ENOMEM;
      }
      let gap = Math.max(h.start, low) + q.start_gap;
      gap += subMask(q.align_offset, gap, q.align_mask);
      if (h.above && (h.above.flags & VM_GROWSDOWN) !== 0n) {
        if (startGap(h.above) < gap + size - 1) {
          m.took('gap:stack_guard_retry');
          low = h.above.end;
          continue;
        }
      } else if (h.below && h.below.end > gap) {
        low = h.below.end;
        continue;
      }
      m.took('gap:bottom_up');
      return gap;
    }
    let h: Hole | undefined;
    for (let i = all.length - 1; i >= 0 && !h; i--) if (fits(all[i])) h = all[i];
    if (!h) {
      m.took('gap:none');
      return -ENOMEM;
    }
    const gapEnd = Math.min(h.end, high);
    let gap = gapEnd - q.length;
    gap -= subMask(gap, q.align_offset, q.align_mask);
    if (h.above && (h.above.flags & VM_GROWSDOWN) !== 0n) {
      if (startGap(h.above) < gapEnd) {
        m.took('gap:stack_guard_retry');
        high = startGap(h.above);
        continue;
      }
    } else if (h.below && h.below.end > gap) {
      high = h.below.start;
      continue;
    }
    m.took('gap:top_down');
    return gap;
  }
}
