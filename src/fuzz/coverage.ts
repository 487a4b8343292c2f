// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which paths of vma_merge_existing_range(), vma_merge_new_range() and
 * vma_expand() the fuzzed merge_existing / merge_new / expand steps took,
 * read off the vma_merge_struct each one leaves behind.
 */

import {
  VMA_MERGE_ERROR_NOMEM,
  VMA_MERGE_NOMERGE,
  VMA_MERGE_START,
  VMA_MERGE_SUCCESS,
  type vma_merge_struct,
} from '../mm/vma_h';

export const MERGE_CASES = [
  'existing:left',
  'existing:right',
  'existing:both',
  'existing:adjust_middle_start',
  'existing:adjust_next_start',
  'existing:remove_middle',
  'existing:remove_next',
  'existing:nomerge',
  'existing:nomem',
  'new:left',
  'new:right',
  'new:both',
  'new:nomerge',
  'new:nomem',
  'expand:plain',
  'expand:remove_next',
  'expand:nomem',
] as const;
export type MergeCase = (typeof MERGE_CASES)[number];

export class MergeCoverage {
  readonly counts = new Map<MergeCase, number>(MERGE_CASES.map((c) => [c, 0]));

  private hit(c: MergeCase): void {
    this.counts.set(c, (this.counts.get(c) ?? 0) + 1);
  }

  /** Count the paths one merge step took. */
  record(op: string, vmg: vma_merge_struct): void {
    if (op === 'merge_existing') {
      if (vmg.state === VMA_MERGE_NOMERGE) return this.hit('existing:nomerge');
      if (vmg.state === VMA_MERGE_ERROR_NOMEM) return this.hit('existing:nomem');
      if (vmg.state !== VMA_MERGE_SUCCESS) return;
      if (vmg.target === vmg.prev && vmg.__remove_next) this.hit('existing:both');
      else if (vmg.target === vmg.prev) this.hit('existing:left');
      else this.hit('existing:right');
      if (vmg.__adjust_middle_start) this.hit('existing:adjust_middle_start');
      if (vmg.__adjust_next_start) this.hit('existing:adjust_next_start');
      if (vmg.__remove_middle) this.hit('existing:remove_middle');
      if (vmg.__remove_next) this.hit('existing:remove_next');
    } else if (op === 'merge_new') {
      if (vmg.state === VMA_MERGE_NOMERGE) return this.hit('new:nomerge');
      if (vmg.state === VMA_MERGE_ERROR_NOMEM) return this.hit('new:nomem');
      if (vmg.state !== VMA_MERGE_SUCCESS) return;
      if (vmg.middle === vmg.prev && vmg.__remove_next) this.hit('new:both');
      else if (vmg.middle === vmg.prev) this.hit('new:left');
      else this.hit('new:right');
    } else if (op === 'expand') {
      if (vmg.state === VMA_MERGE_ERROR_NOMEM) return this.hit('expand:nomem');
      if (vmg.state !== VMA_MERGE_START) return;
      this.hit(vmg.__remove_next ? 'expand:remove_next' : 'expand:plain');
    }
  }

  merge(other: MergeCoverage): void {
    for (const [c, n] of other.counts) this.counts.set(c, (this.counts.get(c) ?? 0) + n);
  }

  /** The cases never reached. */
  missing(): MergeCase[] {
    return MERGE_CASES.filter((c) => (this.counts.get(c) ?? 0) === 0);
  }

  format(): string {
    return MERGE_CASES.map((c) => `${c}=${this.counts.get(c)}`).join(' ');
  }
}
