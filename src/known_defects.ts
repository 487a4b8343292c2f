// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Defects of Linux v6.15 itself that this project's checks find.  The port
 * reproduces them faithfully (it never hides them); the tools that find
 * them (the fuzzer, the race explorer) consult this list, report a finding
 * that matches an entry as that known defect, and fail on anything else.
 */

/** One known v6.15 defect. */
export interface KnownDefect {
  /** A stable name. */
  readonly id: string;
  /** What goes wrong, in one line. */
  readonly summary: string;
  /** How a finding is recognised as this defect. */
  readonly recognisedBy: string;
  /** The upstream commit that fixes it, or "none". */
  readonly fix: string;
  /**
   * For race findings: matches the finding's one-line summary
   * ("<kind>: <message>") exactly when it is this defect.
   */
  readonly raceFinding?: RegExp;
}

/** The list. */
export const KNOWN_DEFECTS: readonly KnownDefect[] = [
  {
    id: 'v6.15-mmap-expand-clone-iterator',
    summary:
      'mmap() filling the hole between two VMAs it would merge, with anon_vma_clone() failing in ' +
      "vma_expand() -> dup_anon_vma(), leaves the VMA iterator on prev; __mmap_new_vma()'s " +
      "vma_iter_config() then trips __mas_set_range()'s check",
    recognisedBy:
      'a fuzz finding whose failing command is an mmap for which the reference model took ' +
      "vma_merge_new_range() -> vma_expand() -> dup_anon_vma()'s failure (prev and next both mergeable), " +
      'the port differing only by the warning or maple-state misuse it records there',
    fix: 'none',
  },
  {
    id: 'v6.15-commit-merge-oom-iterator',
    summary:
      "vma_merge_existing_range() does not reset the VMA iterator when commit_merge()'s preallocation fails: " +
      'it stays where the merge moved it (on prev, for a merge with prev) with the merged range, so a caller that ' +
      "goes on walking — apply_mlockall_flags() — steps on from there (a maple-state misuse) and meets the same VMA " +
      'again with itself as prev (VM_WARN_ON_VMG(prev && start <= prev->vm_start), as syzbot reported through munlockall())',
    recognisedBy:
      'a fuzz finding whose failing command is an mlockall for which the reference model saw a merge of ' +
      "vma_modify_flags() fail in commit_merge()'s preallocation, the port differing only by the maple-state " +
      'misuse and the warning it records there',
    fix: '0cf4b1687a187ba9247c71721d8b064634eda1f7 ("mm/vma: reset VMA iterator on commit_merge() OOM failure", mainline after v6.15, for v6.16; Fixes: 47b16d0462a4)',
  },
  {
    id: 'v6.15-vma-refcount-put-uaf',
    summary:
      'vma_refcount_put() wakes the writer of the mm a recycled VMA now belongs to, after dropping ' +
      'the count that kept that mm alive (use-after-free of the mm)',
    recognisedBy:
      'a race finding "use-after-free: <reader> reads vma_writer_wait.task of mm#N ... in rcuwait_wake_up()"',
    fix: '9bbffee67ffd ("mm: fix a UAF when vma->mm is freed after vma->vm_refcnt got dropped", mainline after v6.15)',
    raceFinding: /^use-after-free: \S+ reads vma_writer_wait\.task of mm#\d+ .*in rcuwait_wake_up\(\)/,
  },
];

/** How a report names the defect: its id, and the upstream commit that fixes it when there is one. */
export function knownDefectTitle(d: KnownDefect): string {
  return d.fix === 'none' ? `${d.id} (not fixed upstream)` : `${d.id}, fixed upstream by ${d.fix}`;
}

/** The entry with this id, if any. */
export function knownDefect(id: string): KnownDefect | undefined {
  return KNOWN_DEFECTS.find((d) => d.id === id);
}

/** The known defect a race finding's one-line summary ("<kind>: <message>") is, if any. */
export function knownRaceDefect(summary: string): KnownDefect | null {
  for (const d of KNOWN_DEFECTS) if (d.raceFinding !== undefined && d.raceFinding.test(summary)) return d;
  return null;
}

/** How a campaign reports a known defect. */
export function describeKnown(d: KnownDefect): string {
  return d.fix === 'none' ? `known defect ${d.id} (no upstream fix)` : `known defect, fixed upstream by ${d.fix}`;
}
