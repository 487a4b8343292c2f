// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Preconditions of the operations that place, grow, shrink or cut one VMA:
 * alloc_and_link, merge_new, expand, shrink, split, merge_extend and
 * copy_vma.  Their callers make the destination free first (mmap, mremap),
 * expand only over free space or exactly through the following VMA, keep
 * an end when shrinking, split strictly inside, and compute page offsets
 * that stay in range.
 */

import { PAGE_SIZE, VM_IO, VM_DONTEXPAND, VM_PFNMAP, VM_MIXEDMAP } from '../../vma_internal/constants';
import type {
  AllocAndLinkStep,
  CopyVmaStep,
  ExpandStep,
  MergeExtendStep,
  MergeNewStep,
  ShrinkStep,
  SplitStep,
} from '../types';
import type { LayoutView, LayoutVma } from '../layout';
import {
  aligned,
  describeVma,
  free,
  hex,
  inside,
  isViolation,
  live,
  pgoffFits,
  TASK_SIZE,
  userRange,
  userSpan,
  violation,
  type Verdict,
} from './common';

/** The flags that keep a VMA from ever merging. */
export const VM_SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;

const pages = (bytes: number): number => bytes / PAGE_SIZE;

/** alloc_and_link and merge_new: a new VMA over a free range. */
export function checkNewRange(l: LayoutView, step: AllocAndLinkStep | MergeNewStep): Verdict {
  const bad =
    userSpan('start', step.start, 'end', step.end) ??
    pgoffFits('pgoff', step.pgoff, step.end - step.start) ??
    free(l, 'start', step.start, step.end);
  if (bad || step.op !== 'merge_new') return bad;
  /*
   * The harness helper takes next with vma_next() and then prev with
   * vma_prev(): with nothing below start that leaves the iterator on next,
   * past the range, and a merge stores from there.
   */
  if (l.before(step.start) === null) {
    const next = l.after(step.end);
    if (next !== null) {
      return violation('start', `no VMA below ${hex(step.start)} but ${describeVma(next)} above it: merge_new needs a VMA below start`, next);
    }
  }
  return null;
}

/** expand: cover the VMA, grow only over free space or exactly through the following VMA. */
export function checkExpand(l: LayoutView, step: ExpandStep): Verdict {
  const vma = live(l, 'vma', step.vma);
  if (isViolation(vma)) return vma;
  const bad = userSpan('start', step.start, 'end', step.end) ?? pgoffFits('pgoff', step.pgoff, step.end - step.start);
  if (bad) return bad;
  if (step.start > vma.start || step.end < vma.end) {
    return violation(step.start > vma.start ? 'start' : 'end', `[${hex(step.start)}, ${hex(step.end)}) does not cover ${describeVma(vma)}: vma_expand() only grows`, vma);
  }
  let next: LayoutVma | null = null;
  if (step.next !== null) {
    const n = live(l, 'next', step.next);
    if (isViolation(n)) return n;
    const following = l.above(vma);
    if (n !== following) {
      return violation(
        'next',
        `${describeVma(n)} is not the VMA following ${describeVma(vma)} (${following ? describeVma(following) : 'there is none'})`,
        n,
      );
    }
    if (step.end > n.start && step.end !== n.end) {
      return violation(
        'end',
        `${hex(step.end)} ${step.end > n.end ? 'passes the end of' : 'ends inside'} next, ${describeVma(n)}: an expansion stops at next or takes it whole`,
        n,
      );
    }
    if (step.end === n.end && n.ops === 'close') {
      return violation('next', `${describeVma(n)} has a close hook: vma_expand() may not remove it (can_merge_remove_vma())`, n);
    }
    next = n;
  }
  return free(l, 'end', step.start, step.end, vma, next);
}

/** shrink: a range inside the VMA that keeps one of its ends. */
export function checkShrink(l: LayoutView, step: ShrinkStep): Verdict {
  const vma = live(l, 'vma', step.vma);
  if (isViolation(vma)) return vma;
  const bad = inside(vma, 'start', step.start, 'end', step.end) ?? pgoffFits('pgoff', step.pgoff, step.end - step.start);
  if (bad) return bad;
  if (step.start !== vma.start && step.end !== vma.end) return violation('start', `a shrink must keep one end of ${describeVma(vma)}`, vma);
  if (step.start === vma.start && step.end === vma.end) return violation('end', `[${hex(step.start)}, ${hex(step.end)}) is all of ${describeVma(vma)}: nothing to shrink`, vma);
  return null;
}

/** split: strictly inside the VMA. */
export function checkSplit(l: LayoutView, step: SplitStep): Verdict {
  const vma = live(l, 'vma', step.vma);
  if (isViolation(vma)) return vma;
  const bad = aligned('addr', step.addr);
  if (bad) return bad;
  if (step.addr <= vma.start || step.addr >= vma.end) return violation('addr', `${hex(step.addr)} is not strictly inside ${describeVma(vma)}`, vma);
  return null;
}

/** merge_extend: mremap grows the VMA in place over free space, below TASK_SIZE. */
export function checkMergeExtend(l: LayoutView, step: MergeExtendStep): Verdict {
  const vma = live(l, 'vma', step.vma);
  if (isViolation(vma)) return vma;
  const bad = aligned('delta', step.delta);
  if (bad) return bad;
  if (step.delta === 0) return violation('delta', 'delta is 0: nothing to extend');
  if (step.delta > TASK_SIZE - vma.end) {
    return violation('delta', `${describeVma(vma)} grown by ${hex(step.delta)} ends past TASK_SIZE (${hex(TASK_SIZE)})`, vma);
  }
  const end = vma.end + step.delta;
  return pgoffFits('delta', vma.pgoff, end - vma.start) ?? free(l, 'delta', vma.end, end);
}

/**
 * copy_vma: mremap's move to a free destination.  The harness cannot
 * survive a failed link of a copy without anon_vma (fail_prealloc), and a
 * copy of a faulted VMA must not be able to merge back into its source
 * (mremap's new offset lies within the source, so the kernel never lets it;
 * copy_vma() would hit its VM_BUG_ON).
 */
export function checkCopyVma(l: LayoutView, step: CopyVmaStep): Verdict {
  const src = live(l, 'vma', step.vma);
  if (isViolation(src)) return src;
  const bad =
    userRange('addr', step.addr, 'len', step.len, 'the destination') ??
    pgoffFits('pgoff', step.pgoff, step.len) ??
    free(l, 'addr', step.addr, step.addr + step.len);
  if (bad) return bad;
  if (l.faults.failPrealloc && src.anon === null) {
    return violation(
      'vma',
      `${describeVma(src)} has no anon_vma and fail_prealloc is set: the harness's unlink_anon_vmas() would dereference the missing anon_vma`,
      src,
    );
  }
  const faulted = !(src.ops === 'none' && src.anon === null);
  if (faulted && (src.flags & VM_SPECIAL) === 0n) {
    const above = step.addr === src.end && step.pgoff === src.pgoff + pages(src.end - src.start);
    const below = step.addr + step.len === src.start && step.pgoff + pages(step.len) === src.pgoff;
    if (above || below) {
      return violation(
        'pgoff',
        `the copy at [${hex(step.addr)}, ${hex(step.addr + step.len)}) pgoff ${hex(step.pgoff)} would merge with its own source ${describeVma(src)}, which is faulted: copy_vma() would hit its VM_BUG_ON (mremap's offset lies within the source)`,
        src,
      );
    }
  }
  return null;
}
