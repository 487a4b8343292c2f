// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Queries that change no VMA, in the model's terms: take_all_locks and
 * find_mergeable_anon_vma.
 *
 * take_all_locks walks the VMAs four times (write-lock each; lock hugetlb
 * files, of which the harness has none; lock the other files' mappings;
 * lock the anon_vmas the chain entries point at), asking before each VMA
 * whether a signal is pending.  A pending signal undoes the locks and
 * returns -EINTR, keeping the write marks already made.  What is locked
 * when it returns: every file a VMA maps, and every anon_vma a VMA with an
 * anon_vma holds chain entries for.
 *
 * find_mergeable_anon_vma looks at the VMA right after (only if it
 * touches) and then the VMA right before: a neighbour's anon_vma may be
 * shared when the two touch, map the same file, have flags differing only
 * in read/write/exec, continue each other's pgoff, and the neighbour's
 * anon_vma_chain has exactly one entry (it was never forked).  A close hook
 * does not matter here.
 */

import { EINTR, VM_EXEC, VM_READ, VM_WRITE } from '../../vma_internal/constants';
import type { AnonId, FileId, LockedSets } from '../../trace/types';
import { pages, type ModelState, type Seg } from './state';

/** take_all_locks: the error and what was locked when mm_take_all_locks() returned. */
export function takeAllLocks(m: ModelState): { err: number; locked: LockedSets } {
  const files = new Set<FileId>();
  const anon = new Set<AnonId>();
  const none: LockedSets = { files: [], anon: [] };
  for (let pass = 0; pass < 4; pass++) {
    for (const s of m.segs) {
      if (m.faults.fails('signal_pending')) {
        return { err: m.failed('err:mm_take_all_locks:signal_pending', -EINTR), locked: none };
      }
      if (pass === 0) m.write(s);
      else if (pass === 2 && s.file !== null) files.add(s.file);
      else if (pass === 3 && s.anon !== null && s.chain > 0 && s.chainAnon !== null) anon.add(s.chainAnon);
    }
  }
  const up = (a: number, b: number): number => a - b;
  return { err: 0, locked: { files: [...files].sort(up), anon: [...anon].sort(up) } };
}

/* May a and b (a right below b) share an anon_vma? */
function compatible(a: Seg, b: Seg): boolean {
  const access = VM_READ | VM_WRITE | VM_EXEC;
  return (
    a.end === b.start &&
    a.file === b.file &&
    ((a.flags ^ b.flags) & ~access) === 0n &&
    b.pgoff === a.pgoff + pages(b.start - a.start)
  );
}

/* old's anon_vma, when it may be shared and old was never forked. */
function reusable(old: Seg, a: Seg, b: Seg): AnonId | null {
  return compatible(a, b) && old.anon !== null && old.chain === 1 ? old.anon : null;
}

/** find_mergeable_anon_vma(vma). */
export function findMergeableAnonVma(m: ModelState, vma: Seg): AnonId | null {
  const next = m.segs.find((s) => s.start === vma.end);
  if (next) {
    const av = reusable(next, vma, next);
    if (av !== null) {
      m.took('find_mergeable_anon_vma:next');
      return av;
    }
  }
  const prev = m.below(vma);
  const av = prev ? reusable(prev, prev, vma) : null;
  if (av !== null) m.took('find_mergeable_anon_vma:prev');
  return av;
}
