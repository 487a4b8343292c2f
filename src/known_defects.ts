// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Known defects of Linux v6.15 that the checks of this project find.  They
 * are reported, never masked: the port stays faithful to v6.15, and a
 * campaign that finds one of these prints it as a known defect (with the
 * upstream fix, if any) instead of failing; anything else fails.
 *
 * One entry per defect: an id, a one-line description, how a finding is
 * recognised (a regular expression tested against the finding's one-line
 * summary, "<kind>: <message>"), and the upstream commit that fixes it, or
 * "none".
 */

export interface KnownDefect {
  readonly id: string;
  readonly description: string;
  /** Matches the one-line summary of a finding ("<kind>: <message>"). */
  readonly recognise: RegExp;
  /** Upstream fix (12-digit commit id), or "none". */
  readonly fix: string;
}

export const KNOWN_DEFECTS: readonly KnownDefect[] = [
  {
    id: 'vma-refcount-put-uaf',
    description:
      'vma_refcount_put() wakes the writer of the mm a recycled VMA now belongs to, after dropping the count that kept that mm alive (use-after-free of the mm)',
    recognise: /^use-after-free: \S+ reads vma_writer_wait\.task of mm#\d+ .*in rcuwait_wake_up\(\)/,
    fix: '9bbffee67ffd',
  },
];

/** The known defect a finding's summary matches, if any. */
export function knownDefect(summary: string): KnownDefect | null {
  for (const d of KNOWN_DEFECTS) if (d.recognise.test(summary)) return d;
  return null;
}

/** How a campaign reports a known defect. */
export function describeKnown(d: KnownDefect): string {
  return d.fix === 'none' ? `known defect ${d.id} (no upstream fix)` : `known defect, fixed upstream by ${d.fix}`;
}
