// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Preconditions of the operations that unmap: munmap, vm_munmap, and mmap
 * (which first unmaps what lies in its way).  munmap and vm_munmap take
 * any arguments, as the syscall does: out-of-range, unaligned or empty
 * ranges are answered with -EINVAL by do_vmi_munmap() itself.  What they
 * must not do is unmap pages the mm was never charged for (see
 * accounting.ts).  mmap's range is one a caller of mmap_region() computed:
 * page-aligned, inside [mmap_min_addr, TASK_SIZE], with an offset that does
 * not overflow.
 */

import { PAGE_SIZE } from '../../vma_internal/constants';
import type { MmapStep, MunmapStep, VmMunmapStep } from '../types';
import type { LayoutView } from '../layout';
import { chargedUnmap } from './accounting';
import { describeVma, hex, pgoffFits, TASK_SIZE, userRange, violation, type Verdict } from './common';

/** Options of the rules. */
export interface RuleOptions {
  /** Accept steps that reach a known v6.15 defect (the fuzzer's probe for it). */
  readonly allowKnownDefects?: boolean;
}

/** The default options: one shared object, not a new {} per checked step. */
export const NO_RULE_OPTIONS: RuleOptions = Object.freeze({});

/** munmap and vm_munmap: no uncharged pages unmapped. */
export function checkMunmap(l: LayoutView, step: MunmapStep | VmMunmapStep): Verdict {
  /* What do_vmi_munmap() refuses with -EINVAL before it looks at any VMA. */
  if (step.start % PAGE_SIZE !== 0 || step.start > TASK_SIZE || step.len > TASK_SIZE - step.start) return null;
  const len = Math.ceil(step.len / PAGE_SIZE) * PAGE_SIZE;
  if (len === 0) return null;
  /* __vm_munmap() interrupted before it starts. */
  if (step.op === 'vm_munmap' && l.faults.armedAt('mmap_write_lock_killable')?.after === 0) return null;
  return chargedUnmap(l, 'start', step.start, step.start + len, step.op);
}

/** mmap: a valid range and offset, no uncharged pages replaced, not the known v6.15 defect. */
export function checkMmap(l: LayoutView, step: MmapStep, opts: RuleOptions): Verdict {
  const bad = userRange('addr', step.addr, 'len', step.len) ?? pgoffFits('pgoff', step.pgoff, step.len);
  if (bad) return bad;
  const end = step.addr + step.len;
  const clone = l.faults.armedAt('anon_vma_clone');
  if (!opts.allowKnownDefects && clone !== null) {
    /*
     * Once the range is unmapped, prev is what touches it from below (the
     * lower piece of a VMA split at addr keeps its anon_vma) and next the
     * VMA starting exactly at its end (a piece split off at the end would
     * be a new VMA with an empty anon_vma_chain).  vma_expand() clones
     * next's anon_vma into prev (dup_anon_vma()) only when next has one and
     * prev has none, and that clone can fail only when next's chain has
     * entries; it is the call that fails when the split of prev (which
     * also asks anon_vma_clone, when prev's chain has entries) used up
     * exactly `after`.
     */
    const prev = l.firstIn(step.addr - 1, step.addr);
    const next = l.after(end);
    const splits = prev !== null && prev.end > step.addr && prev.chain > 0 ? 1 : 0;
    if (prev !== null && next !== null && next.start === end && prev.anon === null && next.anon !== null && next.chain > 0 && clone.after === splits) {
      return violation(
        'addr',
        `[${hex(step.addr)}, ${hex(end)}) fills the hole between ${describeVma(prev)} and ${describeVma(next)} while anon_vma_clone is armed: ` +
          'a merge expanding prev over next would fail in dup_anon_vma() and trip __mas_set_range() (the known v6.15 defect; TRACE_FORMAT.md, fault-* preconditions)',
        prev,
      );
    }
  }
  return chargedUnmap(l, 'addr', step.addr, end, 'mmap');
}
