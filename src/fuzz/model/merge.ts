// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The merge rules of v6.15, in the model's terms, and the operations built
 * on them: growing a VMA over a new range (merge_new, mmap, brk, copy_vma,
 * merge_extend), giving part of a VMA new attributes (merge_existing and
 * the vma_modify family), expanding and splitting.
 *
 *  - A proposed range may join its left neighbour when they touch, the flags
 *    and the file are equal, the flags are not VM_SPECIAL, the neighbour's
 *    pgoff runs straight into the range's, and the anon_vmas agree: equal,
 *    or one missing while the neighbour's anon_vma_chain has exactly one
 *    entry (v6.15's rule).
 *  - Likewise on the right; when both sides qualify, the two neighbours'
 *    anon_vmas must not be two different ones.
 *  - A VMA with a close hook is never removed by a merge: merging into it is
 *    fine, absorbing it is not (the merge shrinks to the other side or is
 *    dropped).
 *  - A range touching neither end of the VMA it modifies never merges.
 *  - The VMA that grows over another's pages takes that one's anon_vma if it
 *    has none (cloning it: this can fail when the source's chain is not
 *    empty, and then nothing is merged).
 *  - Nothing moves before the one preallocation of the merge succeeded; what
 *    was write-locked or cloned before it stays so.  A failed merge reports
 *    ERROR_NOMEM, unless the caller asked to give up on OOM: then it looks
 *    like no merge at all.
 *  - A split allocates the new VMA (a copy), preallocates, then clones the
 *    anon_vma; each can fail, and a failure frees the copy.  Callers other
 *    than munmap refuse to split at or above sysctl_max_map_count VMAs.
 */

import { ENOMEM, VM_DONTEXPAND, VM_IO, VM_MIXEDMAP, VM_PFNMAP } from '../../vma_internal/constants';
import type { AnonId, FileId, MergeStateName } from '../../trace/types';
import { pages, type ModelState, type Seg } from './state';

/* The model's own copy of the flags that forbid merging. */
export const SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;

/** The proposed range of a merge. */
export interface Proposal {
  start: number;
  end: number;
  pgoff: number;
  flags: bigint;
  file: FileId | null;
  anon: AnonId | null;
}

/** What a merge returned and the state it left. */
export interface MergeResult {
  vma: Seg | null;
  state: MergeStateName;
  /**
   * A failed merge of an existing range: the VMA whose slot the iterator is
   * left on, where a caller that goes on walking continues from.
   */
  iterOn?: Seg;
  /** The failure was the preallocation of commit_merge() (v6.15 does not put the iterator back then). */
  commitFailed?: boolean;
}

/** May a range with anon_vma a join seg (v6.15)? */
function anonOk(a: AnonId | null, seg: Seg): boolean {
  return a === seg.anon || ((a === null || seg.anon === null) && seg.chain === 1);
}

function sameKind(seg: Seg, p: Proposal): boolean {
  return seg.flags === p.flags && seg.file === p.file;
}

function joinsLeft(prev: Seg | null, p: Proposal): prev is Seg {
  return (
    prev !== null &&
    prev.end === p.start &&
    sameKind(prev, p) &&
    anonOk(p.anon, prev) &&
    prev.pgoff + pages(prev.end - prev.start) === p.pgoff
  );
}

function joinsRight(next: Seg | null, p: Proposal, prev: Seg | null, left: boolean): next is Seg {
  return (
    next !== null &&
    next.start === p.end &&
    sameKind(next, p) &&
    anonOk(p.anon, next) &&
    next.pgoff === p.pgoff + pages(p.end - p.start) &&
    /* prev and next must suit each other too */
    (!left || prev === null || prev.anon === null || next.anon === null || prev.anon === next.anon)
  );
}

/**
 * dst takes over pages of src: it needs src's anon_vma if it has none.
 * Returns dst when it got one, null when nothing was needed, 'fail' when
 * cloning failed (dst is left without).
 */
function dupAnon(m: ModelState, dst: Seg, src: Seg): Seg | null | 'fail' {
  if (src.anon === null || dst.anon !== null) return null;
  if (src.chain > 0 && m.faults.fails('anon_vma_clone')) return 'fail';
  dst.anon = src.anon;
  m.mark(src.anon, 0);
  m.took('merge:dup_anon_vma');
  return dst;
}

/** How an expansion ended. */
export type ExpandOutcome = 'ok' | 'clone_failed' | 'nomem';

/**
 * Grow middle to [start, end) with pgoff, absorbing next when the range
 * ends at next's end.
 */
export function expand(m: ModelState, middle: Seg, next: Seg | null, start: number, end: number, pgoff: number): ExpandOutcome {
  m.write(middle);
  let dup: Seg | null = null;
  const absorb = next !== null && next !== middle && end === next.end;
  if (absorb) {
    m.write(next);
    const d = dupAnon(m, middle, next);
    if (d === 'fail') {
      m.took('err:vma_expand:dup_anon_vma');
      return 'clone_failed';
    }
    dup = d;
  }
  if (m.faults.preallocFails()) {
    if (dup) m.mark(dup.anon, 1);
    return 'nomem';
  }
  middle.start = start;
  middle.end = end;
  middle.pgoff = pgoff;
  if (absorb) {
    m.remove(next);
    m.free(next.id);
  }
  return 'ok';
}

/**
 * A new range [p.start, p.end) next to prev/next: expand a neighbour over
 * it.  With justExpand (brk) only prev is considered.
 */
export function mergeNew(m: ModelState, p: Proposal, prev: Seg | null, next: Seg | null, justExpand = false): MergeResult {
  if ((p.flags & SPECIAL) !== 0n || (prev === null && next === null)) return { vma: null, state: 'NOMERGE' };
  const left = joinsLeft(prev, p);
  const right = !justExpand && joinsRight(next, p, prev, left);
  let start = p.start;
  let end = p.end;
  let pgoff = p.pgoff;
  let middle: Seg | null = null;
  if (right) {
    end = next.end;
    middle = next;
  }
  if (left) {
    start = prev.start;
    middle = prev;
    pgoff = prev.pgoff;
    /* next has a close hook: it cannot be absorbed. */
    if (right && next.ops === 'close') end = p.end;
  }
  if (middle === null) return { vma: null, state: 'NOMERGE' };
  const out = expand(m, middle, next, start, end, pgoff);
  if (out === 'clone_failed') return { vma: null, state: 'NOMERGE' };
  if (out === 'nomem') return { vma: null, state: 'ERROR_NOMEM' };
  m.took('merge:new');
  return { vma: middle, state: 'SUCCESS' };
}

/**
 * [start, end) of mid gets new flags: merge it with a neighbour if the
 * rules allow.  prev is what the caller passes (mid itself when the range
 * starts inside it).
 */
export function mergeExisting(
  m: ModelState,
  mid: Seg,
  prev: Seg | null,
  start: number,
  end: number,
  flags: bigint,
  giveUpOnOom = false,
): MergeResult {
  const p: Proposal = {
    start,
    end,
    pgoff: mid.pgoff + pages(start - mid.start),
    flags,
    file: mid.file,
    anon: mid.anon,
  };
  const failed: MergeStateName = giveUpOnOom ? 'NOMERGE' : 'ERROR_NOMEM';
  const leftSide = start === mid.start;
  const rightSide = end === mid.end;
  if ((flags & SPECIAL) !== 0n || (!leftSide && !rightSide)) return { vma: null, state: 'NOMERGE' };

  const left = leftSide && joinsLeft(prev, p);
  /* The neighbour on the right, only if it touches. */
  const nextSeg = rightSide ? (m.segs.find((s) => s.start === mid.end) ?? null) : null;
  let right = rightSide && joinsRight(nextSeg, p, prev, left);
  if (!left && !right) return { vma: null, state: 'NOMERGE' };

  const removeMid = leftSide && rightSide;
  if (removeMid && mid.ops === 'close') return { vma: null, state: 'NOMERGE' };
  let both = left && right;
  if (both && (nextSeg as Seg).ops === 'close') {
    both = false;
    right = false;
  }

  m.write(mid);
  if (right) m.write(nextSeg as Seg);
  if (left) m.write(prev as Seg);

  const next = nextSeg as Seg;
  let target: Seg;
  let dup: Seg | null | 'fail';
  /* What the merge will do, once the preallocation succeeds. */
  let apply: () => void;
  if (both) {
    const pr = prev as Seg;
    target = pr;
    dup = dupAnon(m, pr, next.anon !== null ? next : mid);
    apply = () => {
      pr.end = next.end;
      m.remove(mid);
      m.remove(next);
      m.free(mid.id);
      m.free(next.id);
    };
  } else if (left) {
    const pr = prev as Seg;
    target = pr;
    dup = dupAnon(m, pr, mid);
    apply = () => {
      pr.end = end;
      if (removeMid) {
        m.remove(mid);
        m.free(mid.id);
      } else {
        mid.pgoff += pages(end - mid.start);
        mid.start = end;
      }
    };
  } else {
    target = next;
    dup = dupAnon(m, next, mid);
    apply = () => {
      if (removeMid) {
        next.pgoff -= pages(mid.end - mid.start);
        next.start = mid.start;
        m.remove(mid);
        m.free(mid.id);
      } else {
        next.pgoff -= pages(next.start - start);
        next.start = start;
        mid.end = start;
      }
    };
  }
  m.took(both ? 'merge:existing:both' : left ? 'merge:existing:left' : 'merge:existing:right');
  if (dup === 'fail') {
    /* Cloning the anon_vma failed: give up before anything moved; the iterator goes back to the range. */
    m.took('err:vma_merge_existing_range:abort');
    if (giveUpOnOom) m.took('uffd:give_up_on_oom');
    return { vma: null, state: failed, iterOn: mid };
  }
  if (m.faults.preallocFails()) {
    if (dup) m.mark(dup.anon, 1);
    if (giveUpOnOom) m.took('uffd:give_up_on_oom');
    /*
     * The merge had moved the iterator onto prev (merging left) and given it
     * the merged range; v6.15 leaves it so (upstream resets it since 0cf4b1687a18).
     */
    return { vma: null, state: failed, iterOn: left ? (prev as Seg) : mid, commitFailed: true };
  }
  apply();
  m.took('merge:existing');
  return { vma: target, state: 'SUCCESS' };
}

/**
 * Split seg at addr; the new VMA is the lower part when newBelow.  With
 * checkMax (split_vma, as every caller but munmap's gathering uses it) the
 * map count limit applies.  Returns 0 or -ENOMEM.
 */
export function split(m: ModelState, seg: Seg, addr: number, newBelow: boolean, checkMax: boolean): number {
  if (checkMax && m.mapCount >= m.faults.maxMapCount) return m.failed('err:split_vma:max_map_count', -ENOMEM);
  if (m.faults.fails('vm_area_dup')) return m.failed('err:__split_vma:vm_area_dup', -ENOMEM);
  const id = m.alloc();
  if (m.faults.preallocFails()) {
    m.free(id);
    return m.failed('err:__split_vma:vma_iter_prealloc', -ENOMEM);
  }
  if (seg.chain > 0 && m.faults.fails('anon_vma_clone')) {
    m.free(id);
    return m.failed('err:__split_vma:anon_vma_clone', -ENOMEM);
  }
  const neu: Seg = { ...seg, id, chain: 0, chainAnon: null };
  m.mark(seg.anon, 0);
  m.write(seg);
  m.write(neu);
  if (newBelow) {
    neu.end = addr;
    seg.pgoff += pages(addr - seg.start);
    seg.start = addr;
  } else {
    neu.start = addr;
    neu.pgoff = seg.pgoff + pages(addr - seg.start);
    seg.end = addr;
  }
  m.insert(neu);
  return 0;
}

/** What a vma_modify-family call returned: a VMA or an error (and, for a failed merge, where its iterator is). */
export interface ModifyResult {
  vma: Seg | null;
  err: number;
  iterOn?: Seg;
  commitFailed?: boolean;
}

/**
 * [start, end) of vma gets new attributes (vma_modify): merge it with a
 * neighbour, or else split off the parts of vma outside the range.
 */
export function modify(
  m: ModelState,
  vma: Seg,
  prev: Seg | null,
  start: number,
  end: number,
  flags: bigint,
  giveUpOnOom = false,
): ModifyResult {
  const r = mergeExisting(m, vma, prev, start, end, flags, giveUpOnOom);
  if (r.vma) return { vma: r.vma, err: 0 };
  if (r.state === 'ERROR_NOMEM') return { vma: null, err: -ENOMEM, iterOn: r.iterOn, commitFailed: r.commitFailed };
  /* Giving up on OOM makes sense only when no split is needed. */
  if (giveUpOnOom && (vma.start !== start || vma.end !== end)) m.warnings++;
  if (vma.start < start) {
    const err = split(m, vma, start, true, true);
    if (err) return { vma: null, err };
  }
  if (vma.end > end) {
    const err = split(m, vma, end, false, true);
    if (err) return { vma: null, err };
  }
  return { vma, err: 0 };
}
