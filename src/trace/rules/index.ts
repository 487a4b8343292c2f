// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The precondition rules of vma-trace/1, in one place: for each operation,
 * what its kernel caller guarantees (TRACE_FORMAT.md, "Preconditions", and
 * the callers in the kernel), checked against a LayoutView before the step
 * runs.  The replayer applies them to its cheap layout (src/trace/layout.ts),
 * the reference model to its own state (src/fuzz/model/validate.ts, which
 * adds only the fuzzer's own constraints).
 *
 * One module per kernel seam: map.ts (place, grow, shrink, cut one VMA),
 * modify.ts (the vma_modify family), unmap.ts (munmap, mmap),
 * accounting.ts (the page counters), growth.ts (brk, stack), mlock.ts
 * (mlockall, an operation of this project), misc.ts (setters, fault
 * switches, lookups); common.ts holds the limits and the range checks.
 */

import type { TraceStep } from '../types';
import type { LayoutView } from '../layout';
import type { Verdict } from './common';
import { checkBrk, checkExpandStack } from './growth';
import { checkCopyVma, checkExpand, checkMergeExtend, checkNewRange, checkShrink, checkSplit } from './map';
import { checkFaultSwitch, checkSetter, checkTakeAllLocks, checkUnmappedArea } from './misc';
import { checkModify } from './modify';
import { checkMlockall } from './mlock';
import { checkMmap, checkMunmap, NO_RULE_OPTIONS, type RuleOptions } from './unmap';

export type { Verdict, Violation } from './common';
export type { RuleOptions } from './unmap';
export { NO_RULE_OPTIONS } from './unmap';

/** The first precondition @step breaks in state @l, or null. */
export function checkStep(l: LayoutView, step: TraceStep, opts: RuleOptions = NO_RULE_OPTIONS): Verdict {
  switch (step.op) {
    case 'alloc_and_link':
    case 'merge_new':
      return checkNewRange(l, step);
    case 'set_anon':
    case 'set_ops':
    case 'set_file':
    case 'find_mergeable_anon_vma':
      return checkSetter(l, step);
    case 'fail_prealloc':
    case 'inject':
    case 'set_max_map_count':
      return checkFaultSwitch(l, step);
    case 'merge_existing':
    case 'modify_flags':
    case 'modify_flags_uffd':
    case 'modify_name':
    case 'modify_policy':
      return checkModify(l, step);
    case 'expand':
      return checkExpand(l, step);
    case 'shrink':
      return checkShrink(l, step);
    case 'split':
      return checkSplit(l, step);
    case 'munmap':
    case 'vm_munmap':
      return checkMunmap(l, step);
    case 'mmap':
      return checkMmap(l, step, opts);
    case 'merge_extend':
      return checkMergeExtend(l, step);
    case 'copy_vma':
      return checkCopyVma(l, step);
    case 'brk':
      return checkBrk(l, step);
    case 'vm_unmapped_area':
      return checkUnmappedArea(step);
    case 'expand_stack':
      return checkExpandStack(l, step);
    case 'take_all_locks':
      return checkTakeAllLocks(l);
    case 'mlockall':
      return checkMlockall(l, step);
  }
}
