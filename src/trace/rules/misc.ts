// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Preconditions of the operations that only set something up or only look:
 * the set_* steps, the fault switches, vm_unmapped_area,
 * find_mergeable_anon_vma and take_all_locks.
 */

import type { FailPreallocStep, InjectStep, SetMaxMapCountStep, TraceStep, VmUnmappedAreaStep } from '../types';
import type { LayoutView } from '../layout';
import { aligned, describeVma, hex, isViolation, live, MMAP_MIN_ADDR, TASK_SIZE, violation, type Verdict } from './common';

/** set_anon, set_ops, set_file, find_mergeable_anon_vma: a live VMA (the last one without anon_vma). */
export function checkSetter(l: LayoutView, step: Extract<TraceStep, { vma: number }>): Verdict {
  const vma = live(l, 'vma', step.vma);
  if (isViolation(vma)) return vma;
  if (step.op === 'find_mergeable_anon_vma' && vma.anon !== null) {
    return violation('vma', `${describeVma(vma)} already has anon_vma ${vma.anon}: __anon_vma_prepare() asks only for a VMA without one`, vma);
  }
  return null;
}

/** The fault switches: nothing armed while fail_prealloc is set. */
export function checkFaultSwitch(l: LayoutView, step: FailPreallocStep | InjectStep | SetMaxMapCountStep): Verdict {
  switch (step.op) {
    case 'fail_prealloc':
      return step.value && l.faults.anyArmed ? violation('value', 'fail_prealloc set while an injection point is armed (TRACE_FORMAT.md: nothing is armed while fail_prealloc is set)') : null;
    case 'inject':
      return step.count > 0 && l.faults.failPrealloc ? violation('count', `${step.point} armed while fail_prealloc is set (TRACE_FORMAT.md: nothing is armed while fail_prealloc is set)`) : null;
    case 'set_max_map_count':
      return Number.isInteger(step.value) && step.value >= 0 && step.value <= 0x7fffffff ? null : violation('value', `${step.value} is not a sysctl_max_map_count (0 to 2^31-1)`);
  }
}

/** vm_unmapped_area: what its callers pass (page multiples, sane limits, below TASK_SIZE). */
export function checkUnmappedArea(step: VmUnmappedAreaStep): Verdict {
  const bad =
    aligned('length', step.length) ??
    aligned('low_limit', step.low_limit) ??
    aligned('high_limit', step.high_limit) ??
    aligned('align_mask', step.align_mask) ??
    aligned('align_offset', step.align_offset) ??
    aligned('start_gap', step.start_gap);
  if (bad) return bad;
  if (step.length === 0) return violation('length', 'length is 0');
  for (const f of ['length', 'high_limit', 'align_mask', 'align_offset', 'start_gap'] as const) {
    if (step[f] > TASK_SIZE) return violation(f, `${hex(step[f])} is above TASK_SIZE (${hex(TASK_SIZE)})`);
  }
  if (step.high_limit <= step.low_limit) return violation('high_limit', `${hex(step.high_limit)} is not above low_limit ${hex(step.low_limit)}`);
  if (step.high_limit <= MMAP_MIN_ADDR) return violation('high_limit', `${hex(step.high_limit)} is not above mmap_min_addr (${hex(MMAP_MIN_ADDR)})`);
  return null;
}

/** take_all_locks: no anon_vma_chain entries without an anon_vma (the harness's lock walk would dereference it). */
export function checkTakeAllLocks(l: LayoutView): Verdict {
  const v = l.nullChainVma();
  return v === null ? null : violation('op', `${describeVma(v)} has anon_vma_chain entries without an anon_vma (a null set_anon): mm_take_all_locks() would dereference them`, v);
}
