// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Upstream changes made after v6.15 that the model can apply on request
 * (`vma-harness race --fix <commit>`).  By default none is applied: the
 * model is v6.15 as released, defects included.  The code each fix changes
 * is marked where it is ported, under the fix's commit id.
 */

/** An upstream fix the model knows how to apply. */
export interface UpstreamFix {
  /** The commit id (12 hex digits, as kernel developers quote it). */
  readonly commit: string;
  readonly subject: string;
  /** Where it landed, and why v6.15.y lacks it. */
  readonly note: string;
}

/** "mm: fix a UAF when vma->mm is freed after vma->vm_refcnt got dropped". */
export const FIX_VMA_UAF = '9bbffee67ffd';

/** The upstream fixes after v6.15 that --fix can apply. */
export const UPSTREAM_FIXES: readonly UpstreamFix[] = [
  {
    commit: FIX_VMA_UAF,
    subject: 'mm: fix a UAF when vma->mm is freed after vma->vm_refcnt got dropped',
    note: 'v6.17-rc1 (in 6.16.y); the backport to 6.15.y failed to apply',
  },
];

const applied = new Set<string>();

/** Apply exactly the fixes in @commits (an unknown commit is an error). */
export function fixes_apply(commits: readonly string[]): void {
  for (const c of commits) {
    if (!UPSTREAM_FIXES.some((f) => f.commit === c)) {
      throw new RangeError(`unknown upstream fix '${c}' (known: ${UPSTREAM_FIXES.map((f) => f.commit).join(', ')})`);
    }
  }
  applied.clear();
  for (const c of commits) applied.add(c);
}

/** Is the upstream change @commit applied? */
export function fixed(commit: string): boolean {
  return applied.size !== 0 && applied.has(commit);
}

/** The fixes applied, in the order of UPSTREAM_FIXES. */
export function fixes_applied(): string[] {
  return UPSTREAM_FIXES.filter((f) => applied.has(f.commit)).map((f) => f.commit);
}
